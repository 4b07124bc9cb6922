"""The CLV asset's own arithmetic: the spend fallback when Gamma-Gamma cannot be fitted."""

import numpy as np

from assets.metrics.clv import own_average


def test_own_average_spend_is_the_fallback_of_gamma_gamma():
    # repeat buyers keep their own mean repeat spend; the others get the mean of those means: (100 + 300) / 2
    spend = own_average(np.array([2, 0, 5, 1]), np.array([100.0, 0.0, 300.0, 0.0]))
    np.testing.assert_allclose(spend, [100.0, 200.0, 300.0, 200.0])


def test_own_average_without_repeat_buyers_has_no_spend():
    # nobody bought twice: nothing to go on (NaN, stored as null)
    assert np.isnan(own_average(np.array([0, 0]), np.array([0.0, 0.0]))).all()
