"""The book valuation arithmetic, worked by hand on numbers small enough to check on paper."""

import numpy as np
import pytest

from assets.valuation.book import (
    Assumptions,
    concentration_adjustment,
    monthly_rate,
    residual_value_factor,
    retention_12m,
    survival_paths,
)


def test_survival_for_gamma_one_delta_one():
    # gamma = delta = 1: r_t = t / (t + 1). A new client (0 renewals) pays month 2 with r_1 = 1/2,
    # month 3 with r_1 r_2 = 1/2 × 2/3 = 1/3; one that has renewed twice: r_3 = 3/4, r_3 r_4 = 3/5
    a = Assumptions(gamma=1.0, delta=1.0, annual_discount=0.0, annual_growth=0.0, horizon_months=2)
    paths = survival_paths(a, np.array([0, 2]))
    np.testing.assert_allclose(paths, [[1 / 2, 1 / 3], [3 / 4, 3 / 5]])


def test_residual_value_without_discount_is_the_expected_payments():
    # no discount, no growth, 2 months: 1/2 + 1/3 = 0.8333 payments for a new client
    a = Assumptions(gamma=1.0, delta=1.0, annual_discount=0.0, annual_growth=0.0, horizon_months=2)
    assert residual_value_factor(a, np.array([0]))[0] == pytest.approx(5 / 6)


def test_discount_and_growth_are_monthly_compounded():
    # 12.68250301% a year is exactly 1% a month: 1.01^12 = 1.1268250301
    assert monthly_rate(0.1268250301) == pytest.approx(0.01, abs=1e-10)
    # a client who always stays (delta huge): Σ_{k=1..2} 1.01^-k = 0.990099 + 0.980296 = 1.970395
    a = Assumptions(gamma=1e-9, delta=1e9, annual_discount=0.1268250301, annual_growth=0.0, horizon_months=2)
    assert residual_value_factor(a, np.array([5]))[0] == pytest.approx(1.970395, abs=1e-6)
    # growth equal to the discount cancels it: 2 payments
    b = Assumptions(gamma=1e-9, delta=1e9, annual_discount=0.10, annual_growth=0.10, horizon_months=2)
    assert residual_value_factor(b, np.array([5]))[0] == pytest.approx(2.0)


def test_churn_multiplier_scales_each_months_churn():
    # gamma = delta = 1, new client: r_1 = 1/2 → churn 1/2; × 1.5 → churn 3/4, renew 1/4;
    # r_2 = 2/3 → churn 1/3 × 1.5 = 1/2, renew 1/2 → survival 1/4, 1/8
    a = Assumptions(1.0, 1.0, 0.0, 0.0, 2, churn_multiplier=1.5)
    np.testing.assert_allclose(survival_paths(a, np.array([0])), [[1 / 4, 1 / 8]])


def test_retention_12m_is_mrr_weighted():
    # gamma = delta = 1: S after 12 more months for n renewals = Π_{t=n+1..n+12} t/(t+1) = (n+1)/(n+13)
    # n = 0: 1/13; n = 12: 13/25. Weighted by MRR 100 and 300: (100/13 + 300 × 13/25) / 400 = 0.409231
    a = Assumptions(1.0, 1.0, 0.0, 0.0, 36)
    assert retention_12m(a, np.array([0, 12]), np.array([100.0, 300.0])) == pytest.approx(
        (100 / 13 + 300 * 13 / 25) / 400
    )


def test_concentration_adjustment_only_counts_value_above_the_threshold():
    # book 1,000: one client 500 holds 300 above 20% × 1,000 = 200; the others are below.
    # haircut 50% → −150
    assert concentration_adjustment(np.array([500, 200, 100, 100, 100]), 0.20, 0.5) == -150.0
    # nobody above 20% → no deduction
    assert concentration_adjustment(np.array([100.0] * 10), 0.20, 0.5) == 0.0

