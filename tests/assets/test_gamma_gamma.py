"""Gamma-Gamma spend model: the published CDNOW fit, Hardie's worked values, recovery, and bad input."""

from pathlib import Path

import numpy as np
import pytest

from assets.metrics import gamma_gamma
from assets.metrics.model_fit import ModelFitError, standard_errors

CDNOW = Path(__file__).parents[1] / "fixtures" / "cdnow" / "cdnow_summary.csv"
# Fader & Hardie (2013) on the 946 CDNOW customers with repeat purchases.
PUBLISHED = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, v=15.44, log_likelihood=np.nan, customers=946)


@pytest.fixture(scope="module")
def cdnow():
    data = np.genfromtxt(CDNOW, delimiter=",", names=True)
    return data["x"], data["zbar"]


@pytest.fixture(scope="module")
def fitted(cdnow):
    return gamma_gamma.fit(*cdnow)


def test_cdnow_fit_reproduces_fader_hardie_2013(fitted):
    # Published to 2 decimals; one unit in the last place allowed. Measured: 6.2488, 3.7446, 15.4476.
    for name in ("p", "q", "v"):
        assert getattr(fitted, name) == pytest.approx(getattr(PUBLISHED, name), abs=0.01), name
    assert fitted.customers == 946  # the 1,411 customers without a repeat purchase are left out of the fit


def test_expected_spend_matches_hardies_spreadsheet(cdnow, fitted):
    # First ten CDNOW customers, values from Hardie's note 025 spreadsheet as quoted in Lifetimes'
    # tests/test_estimation.py::test_conditional_expected_average_profit (atol 0.1 there, with the rounded
    # parameters). With the rounded parameters we keep atol 0.1 (x = 0 gives 96.5/2.74 = 35.22 vs 35.17); with our
    # unrounded fit the spreadsheet's 2-decimal values are matched to 0.01.
    x, zbar = cdnow[0][:10], cdnow[1][:10]
    spreadsheet = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    np.testing.assert_allclose(gamma_gamma.expected_spend(PUBLISHED, x, zbar), spreadsheet, atol=0.1)
    np.testing.assert_allclose(gamma_gamma.expected_spend(fitted, x, zbar), spreadsheet, atol=0.01)


def test_expected_spend_worked_by_hand():
    # x = 2, z̄ = 22.35: (15.44 + 2 × 22.35) × 6.25 / (6.25 × 2 + 3.74 - 1) = 375.875 / 15.24 = 24.66371.
    # x = 0: the population mean p·v/(q-1) = 6.25 × 15.44 / 2.74 = 35.21898, whatever mean_spend says.
    spend = gamma_gamma.expected_spend(PUBLISHED, [2, 0, 0], [22.35, 0.0, 99.0])
    np.testing.assert_allclose(spend, [375.875 / 15.24, 96.5 / 2.74, 96.5 / 2.74], rtol=1e-12)
    # A customer with very many transactions is credited with their own mean.
    assert gamma_gamma.expected_spend(PUBLISHED, [10**7], [50.0])[0] == pytest.approx(50.0, rel=1e-5)


def test_customers_without_repeat_spend_do_not_change_the_fit(cdnow, fitted):
    x, zbar = cdnow
    repeaters = gamma_gamma.fit(x[x > 0], zbar[x > 0])
    np.testing.assert_allclose(repeaters.values, fitted.values, rtol=1e-12)  # the very same rows are fitted
    with_zero_spend = gamma_gamma.fit(np.append(x, [3, 1]), np.append(zbar, [0.0, 0.0]))
    np.testing.assert_allclose(with_zero_spend.values, fitted.values, rtol=1e-12)
    assert with_zero_spend.customers == repeaters.customers == 946


def test_fit_does_not_depend_on_the_currency_unit(cdnow, fitted):
    # Spend in cents: same p and q, v × 100, and every density divided by 100. The 1e-4 relative tolerance covers
    # the optimiser's numerical-gradient noise (about 2e-5 relative, a thousandth of a standard error).
    cents = gamma_gamma.fit(cdnow[0], cdnow[1] * 100)
    np.testing.assert_allclose(cents.values, (fitted.p, fitted.q, fitted.v * 100), rtol=1e-4)
    assert cents.log_likelihood == pytest.approx(fitted.log_likelihood - 946 * np.log(100), abs=1e-4)


def test_parameters_are_recovered_from_a_simulated_book():
    rng = np.random.default_rng(20240611)
    frequency = 1 + rng.poisson(2, 10_000)
    mean_spend = gamma_gamma.simulate(PUBLISHED, frequency, rng)
    fitted = gamma_gamma.fit(frequency, mean_spend)
    se = standard_errors(lambda prm: -gamma_gamma.log_likelihood(prm, frequency, mean_spend), fitted.values)
    # Each estimate within 3 standard errors of the truth (inverse Hessian); SEs here are about 8 %, 2 % and 10 %
    # (measured deviations 0.8, 1.0 and -0.4 SE).
    for estimate, truth, error in zip(fitted.values, PUBLISHED.values, se, strict=True):
        assert abs(estimate - truth) < 3 * error
    assert gamma_gamma.simulate(PUBLISHED, np.array([0, 0]), rng).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("frequency", "mean_spend", "reason"),
    [
        ([0, 0, 0], [0.0, 0.0, 0.0], "needs at least 2 customers with repeat purchases and a positive mean spend"),
        ([1, 2, 3], [10.0, 20.0], "differ in length"),
        ([1, 2, 3], [10.0, np.nan, 5.0], "mean_spend has 1 missing or infinite values"),
        ([1, 2, 3], [10.0, -20.0, 5.0], "mean_spend is negative for 1 customers"),
        ([1, -2, 3], [10.0, 20.0, 5.0], "frequency is negative or not a whole number for 1 customers"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(frequency, mean_spend, reason):
    with pytest.raises(ModelFitError, match="^Gamma-Gamma: ") as refused:
        gamma_gamma.fit(frequency, mean_spend)
    assert reason in str(refused.value)


def test_spend_without_a_finite_mean_is_refused():
    # ν ~ Gamma(q = 0.8, v): E[p/ν] is infinite for q <= 1, so the fit must not return a population mean.
    rng = np.random.default_rng(3)
    frequency = 1 + rng.poisson(2, 5_000)
    heavy = gamma_gamma.GammaGammaParams(p=6.0, q=0.8, v=15.0, log_likelihood=np.nan, customers=0)
    with pytest.raises(ModelFitError, match=r"q is 0\.\d+ at the optimum, at most 1, so the mean spend does not exist"):
        gamma_gamma.fit(frequency, gamma_gamma.simulate(heavy, frequency, rng))
