"""Choosing the retention model: the sBG only when the data support heterogeneity."""

import math

import numpy as np
import polars as pl
import pytest

from assets.metrics import sbg
from assets.valuation.month_value import fit_retention, geometric

# the tiny fixture's spells in June 2024 (tests/e2e/test_client_value.py)
TINY = pl.DataFrame({"periods": [6, 6, 2, 3, 4, 2], "churned": [False, False, True, False, True, False],
                     "paid_before": [1, 1, 1, 0, 0, 0]})


def test_geometric_churn_and_its_likelihood_by_hand():
    p, log_likelihood = geometric(TINY)
    # renewal decisions: 23 paid months − 4 running spells = 19; churns 2 → p = 2/19;
    # LL = 2 ln(2/19) + 17 ln(17/19) = −4.502609 − 1.890810 = −6.393419
    assert p == 2 / 19
    assert log_likelihood == pytest.approx(2 * math.log(2 / 19) + 17 * math.log(17 / 19))
    assert log_likelihood == pytest.approx(-6.393419, abs=1e-6)


def test_without_evidence_of_heterogeneity_the_constant_churn_is_used():
    params, model = fit_retention(TINY)
    assert model == "geometric"
    # recorded as gamma = p·1e6, delta = (1 − p)·1e6: the sBG's retention is then 1 − p
    assert params.gamma / (params.gamma + params.delta) == pytest.approx(2 / 19)
    assert sbg.retention_rate(params, 5) == pytest.approx(17 / 19, abs=1e-6)


def test_a_heterogeneous_book_gets_the_sbg():
    rng = np.random.default_rng(3)
    periods, churned = sbg.simulate(sbg.SbgParams(0.7, 1.2, 0.0, 0), 3_000, rng.integers(1, 25, 3_000), rng)
    params, model = fit_retention(pl.DataFrame({"periods": periods, "churned": churned,
                                                "paid_before": np.zeros(3_000, dtype=int)}))
    # strongly heterogeneous (gamma 0.7, delta 1.2): the likelihood ratio is far above 2.71
    assert model == "sBG" and params.customers == 3_000
    assert params.gamma == pytest.approx(0.7, rel=0.25) and params.delta == pytest.approx(1.2, rel=0.25)


def test_no_churn_yet_is_an_error_not_a_guess():
    from assets.metrics.model_fit import ModelFitError

    with pytest.raises(ModelFitError, match="no spell has ended in a churn yet"):
        fit_retention(TINY.with_columns(pl.lit(False).alias("churned")))
