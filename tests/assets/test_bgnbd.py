"""BG/NBD: the published CDNOW fit, Hardie's worked values, recovery from simulated books, and bad input."""

from pathlib import Path

import numpy as np
import pytest
from scipy import special

from assets.metrics import bgnbd
from assets.metrics.model_fit import ModelFitError, maximise, standard_errors

CDNOW = Path(__file__).parents[1] / "fixtures" / "cdnow" / "cdnow_summary.csv"
# FHL 2005's estimates on CDNOW (weeks), the population the simulations draw from.
CDNOW_PARAMS = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4, customers=2357)


@pytest.fixture(scope="module")
def cdnow():
    data = np.genfromtxt(CDNOW, delimiter=",", names=True)
    return data["x"], data["t_x"], data["T"]


@pytest.fixture(scope="module")
def fitted(cdnow):
    return bgnbd.fit(*cdnow)


def test_cdnow_fit_reproduces_fader_hardie_lee_2005(fitted):
    # Published to 3 decimals (r = 0.243, α = 4.414, a = 0.793, b = 2.426); one unit in the last place is allowed
    # for that rounding plus the optimiser's tolerance. Measured: 0.2426, 4.4135, 0.7929, 2.4257.
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(CDNOW_PARAMS, name), abs=1e-3), name
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # published to 0.1; measured -9582.43
    assert fitted.customers == 2357


def test_predictions_match_hardies_spreadsheet(fitted):
    # Values from Hardie's BG/NBD spreadsheet as quoted in Lifetimes' tests/test_estimation.py
    # (test_conditional_expectation_… and test_expectation_returns_same_value_Hardie_excel_sheet), to 3 decimals.
    assert bgnbd.expected_purchases(fitted, 39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=1e-3)
    times = [0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    np.testing.assert_allclose(bgnbd.expected_purchases_new(fitted, times), expected, atol=1e-3)


def test_log_likelihood_matches_hardies_numerical_note():
    # Hardie's note 027 ("BG/NBD numerical error"), values quoted in pymc-marketing's
    # tests/clv/models/test_beta_geo.py::test_numerically_stable_logp: r = .25, α = 4, a = .8, b = 2.5, T = 40.
    params = (0.25, 4.0, 0.8, 2.5)
    assert bgnbd.log_likelihood(params, [0], [0], [40]) == pytest.approx(-0.59947382, abs=1e-6)
    assert bgnbd.log_likelihood(params, [200], [38], [40]) == pytest.approx(100.7957, abs=1e-4)


def test_euler_form_agrees_with_the_direct_formula_and_stays_finite(fitted):
    # The textbook eq. 10, evaluated directly where 2F1 is still finite (Lifetimes' form); 1e-10 relative.
    r, alpha, a, b = fitted.values
    x, t_x, T, t = np.array([0, 1, 5, 20]), np.array([0, 2.0, 20, 35]), np.full(4, 38.0), 52.0
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    odds = (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    direct = (a + b + x - 1) / (a - 1) * bracket / (1 + odds)
    np.testing.assert_allclose(bgnbd.expected_purchases(fitted, t, x, t_x, T), direct, rtol=1e-10)
    # Frequent buyers overflow the direct form; the stable one stays finite, and a recent one expects many purchases.
    many = bgnbd.expected_purchases(fitted, 39, [500, 5000, 5000], [38.0, 38.0, 10.0], [38.0, 38.0, 38.0])
    assert np.all(np.isfinite(many)) and many[1] > 1000 and 0 <= many[2] < 1e-6


def test_boundary_cases_worked_by_hand(fitted):
    _, _, a, b = fitted.values
    assert bgnbd.p_alive(fitted, [0, 0], [0, 0], [1.0, 50.0]).tolist() == [1.0, 1.0]  # no repeat: cannot be dead
    assert bgnbd.expected_purchases_new(fitted, 0.0) == 0  # nothing happens in an empty interval
    assert bgnbd.expected_purchases(fitted, 0.0, [0, 3], [0, 10.0], [20.0, 20.0]).tolist() == [0, 0]
    # x = 3 and t_x = T: ((α+T)/(α+t_x))^(r+x) = 1, so P(alive) = 1 / (1 + a/(b + 3 - 1)); then it falls with T.
    alive = bgnbd.p_alive(fitted, [3, 3, 3], [10.0, 10.0, 10.0], [10.0, 20.0, 40.0])
    assert alive[0] == pytest.approx(1 / (1 + a / (b + 2)), rel=1e-12)
    assert alive[0] > alive[1] > alive[2] > 0


def test_discounted_expected_purchases_sums_the_period_increments(fitted):
    x, t_x, T = [0, 4], [0, 30.0], [39.0, 39.0]
    e1, e2 = (bgnbd.expected_purchases(fitted, k, x, t_x, T) for k in (1, 2))
    # Two periods at 10 %: E[Y(1)]/1.1 + (E[Y(2)] - E[Y(1)])/1.21.
    np.testing.assert_allclose(
        bgnbd.discounted_expected_purchases(fitted, x, t_x, T, 2, 0.10), e1 / 1.1 + (e2 - e1) / 1.21, rtol=1e-12
    )
    # Undiscounted, the increments telescope to E[Y(52)].
    np.testing.assert_allclose(
        bgnbd.discounted_expected_purchases(fitted, x, t_x, T, 52, 0.0),
        bgnbd.expected_purchases(fitted, 52, x, t_x, T), rtol=1e-10,
    )


def test_weights_count_identical_customers(cdnow, fitted):
    rows, counts = np.unique(np.column_stack(cdnow), axis=0, return_counts=True)
    weighted = bgnbd.fit(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    np.testing.assert_allclose(weighted.values, fitted.values, rtol=1e-4)  # same likelihood, optimiser noise only
    assert weighted.log_likelihood == pytest.approx(fitted.log_likelihood, abs=1e-4)
    assert weighted.customers == 2357
    # the fit sums over distinct (x, t_x, T) weighted by their count: the same log-likelihood as the plain
    # per-customer sum at the optimum
    assert bgnbd.log_likelihood(fitted.values, *cdnow) == pytest.approx(fitted.log_likelihood, abs=1e-6)


def test_parameters_and_holdout_purchases_are_recovered_from_a_simulated_book():
    rng = np.random.default_rng(20240611)
    customers = 20_000
    x, t_x, T, holdout = bgnbd.simulate(CDNOW_PARAMS, customers, rng.uniform(26, 39, customers), rng, holdout=39)
    fitted = bgnbd.fit(x, t_x, T)
    se = standard_errors(lambda p: -bgnbd.log_likelihood(p, x, t_x, T), fitted.values)
    # Each estimate within 3 standard errors of the truth (inverse Hessian); across 10 other seeds the largest
    # deviation seen was 2.1 SE. At 20,000 customers the SEs are about 2-3 % (r, α) and 8-10 % (a, b).
    for estimate, truth, error in zip(fitted.values, CDNOW_PARAMS.values, se, strict=True):
        assert abs(estimate - truth) < 3 * error
    # Next 39 weeks: predicted total vs simulated total. Across 30 seeds the error had a mean of 0.2 % and a
    # standard deviation of 2.1 % (a few heavy buyers dominate the total); 8 % is about 4 SD.
    predicted = bgnbd.expected_purchases(fitted, 39, x, t_x, T).sum()
    assert predicted == pytest.approx(holdout.sum(), rel=0.08)


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "reason"),
    [
        ([1, 2], [1.0], [5.0, 5.0], "differ in length"),
        ([1, np.nan], [1.0, 2.0], [5.0, 5.0], "frequency has 1 missing or infinite values"),
        ([1.5, 2], [1.0, 2.0], [5.0, 5.0], "frequency is negative or not a whole number for 1 customers"),
        ([1, 2], [6.0, 2.0], [5.0, 5.0], "recency t_x is outside [0, T] for 1 customers"),
        ([0, 2], [1.0, 2.0], [5.0, 5.0], "recency t_x is not 0 for a customer without repeat purchases"),
        ([1, 2], [0.0, 0.0], [0.0, 5.0], "age T is not positive"),
        ([0, 0, 0, 0], [0, 0, 0, 0], [5.0] * 4, "got 4 customers and 0 with repeat purchases"),
        ([1, 2], [1.0, 2.0], [5.0, 5.0], "needs at least 4 customers"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(frequency, recency, age, reason):
    with pytest.raises(ModelFitError, match="^BG/NBD: ") as refused:
        bgnbd.fit(frequency, recency, age)
    assert reason in str(refused.value)


def test_predictions_refuse_bad_input_without_echoing_client_data(fitted):
    with pytest.raises(ModelFitError, match=r"^BG/NBD: recency t_x is outside \[0, T\] for 1 customers\. ") as refused:
        bgnbd.p_alive(fitted, [3, 1], [123456.789, 1.0], [40.0, 40.0])
    assert "123456" not in str(refused.value)  # counts only, never a customer's values


def test_an_optimiser_that_runs_out_of_iterations_is_a_model_fit_error(cdnow):
    with pytest.raises(ModelFitError, match=r"^BG/NBD: the fit did not converge after \d+ iterations\. "):
        maximise(lambda p: -bgnbd.log_likelihood(p, *cdnow), np.zeros(4), "BG/NBD", maxiter=1)
