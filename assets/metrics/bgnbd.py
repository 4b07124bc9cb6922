"""BG/NBD repeat-purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Each customer buys at a Poisson rate λ ~ Gamma(r, α) while alive and, after every repeat purchase, drops out
for good with probability p ~ Beta(a, b). A customer is summarised by x (repeat purchases), t_x (time of the
last one, 0 when x = 0) and T (time since the first purchase), all measured from the first purchase. The model
is time-unit agnostic: t_x, T, horizons and α are all in the same unit as T, whatever the caller chose.
Equation numbers refer to the paper.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
from scipy import special

from assets.metrics.model_fit import ModelFitError, as_arrays, maximise

MODEL = "BG/NBD"
MIN_CUSTOMERS = 4  # one per parameter


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters; α is in the same unit as T."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    @property
    def values(self) -> tuple[float, float, float, float]:
        return astuple(self)[:4]


def _validated(frequency: object, recency: object, age: object, weights: object = None) -> list[np.ndarray]:
    x, t_x, T = as_arrays(MODEL, frequency=frequency, recency=recency, age=age)
    w = np.ones_like(x) if weights is None else as_arrays(MODEL, frequency=x, weights=weights)[1]
    problems = {
        "frequency is negative or not a whole number": (x < 0) | (x != np.round(x)),
        "age T is not positive": T <= 0,
        "recency t_x is outside [0, T]": (t_x < 0) | (t_x > T),
        "recency t_x is not 0 for a customer without repeat purchases": (x == 0) & (t_x != 0),
        "a weight is negative": w < 0,
    }
    for reason, bad in problems.items():
        if bad.any():
            raise ModelFitError(MODEL, f"{reason} for {int(bad.sum())} customers", "Correct the RFM summary.")
    return [x, t_x, T, w]


def _log_likelihoods(params: tuple[float, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood (FHL 2005, section 7) as a log-sum-exp of its two terms: no overflow for large x."""
    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    still_alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    # The second term exists only for x > 0; x = 1 stands in elsewhere so betaln never sees b + x - 1 < 0.
    x_safe = np.where(repeat, x, 1.0)
    dropped = special.betaln(a + 1, b + x_safe - 1) - (r + x) * np.log(alpha + t_x)
    return common + np.logaddexp(still_alive, np.where(repeat, dropped, -np.inf))


def log_likelihood(
    params: tuple[float, ...], frequency: object, recency: object, age: object, weights: object = None
) -> float:
    """Sample log-likelihood of (r, α, a, b), with optional per-row weights (counts of identical customers)."""
    x, t_x, T, w = _validated(frequency, recency, age, weights)
    return float(np.sum(w * _log_likelihoods(tuple(params), x, t_x, T)))


def fit(frequency: object, recency: object, age: object, weights: object = None) -> BgNbdParams:
    """Maximum-likelihood fit on x = frequency, t_x = recency, T = age (recency and age in the same unit)."""
    x, t_x, T, w = _validated(frequency, recency, age, weights)
    if w.sum() < MIN_CUSTOMERS or not np.any((x > 0) & (w > 0)):
        raise ModelFitError(
            MODEL, f"needs at least {MIN_CUSTOMERS} customers and one repeat purchase, "
            f"got {int(w.sum())} customers and {int(np.sum(w[x > 0]))} with repeat purchases",
            "Fit on a larger or longer-observed book.",
        )
    # The likelihood depends on a customer only through (x, t_x, T): identical summaries are evaluated once and
    # weighted by their count, the same sum in far fewer terms (30,679 demo clients have 4,844 distinct ones).
    # The optimum moves only by the optimiser's own tolerance (test_weights_count_identical_customers).
    summaries, inverse = np.unique(np.column_stack([x, t_x, T]), axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=w, minlength=len(summaries))
    x, t_x, T = summaries[:, 0], summaries[:, 1], summaries[:, 2]
    params, ll, _ = maximise(lambda p: -np.sum(weights * _log_likelihoods(tuple(p), x, t_x, T)), np.zeros(4), MODEL)
    return BgNbdParams(*(float(v) for v in params), log_likelihood=ll, customers=int(round(w.sum())))


def _one_minus_ratio_2f1(params: BgNbdParams, x: np.ndarray, start: np.ndarray, t: np.ndarray) -> np.ndarray:
    """1 - (start/(start+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(start+t)), the bracket of eqs. 9 and 10.

    Euler's transformation turns it into (1-z)^(a-1) · 2F1(a+b-1-r, a-1; a+b+x-1; z), whose first two
    arguments do not grow with x: the direct form overflows 2F1 for frequent buyers. (a = 1 exactly, a removable
    singularity of both equations, is left unhandled: a fitted a never lands on it.)
    """
    r, _, a, b = params.values
    z = t / (start + t)
    return 1.0 - (1.0 - z) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)


def expected_purchases_new(params: BgNbdParams, t: object) -> np.ndarray:
    """E[X(t)], eq. 9: expected repeat purchases of a new customer in (0, t], t in the same unit as T."""
    _, alpha, a, b = params.values
    t = np.asarray(t, dtype=float)
    return (a + b - 1) / (a - 1) * _one_minus_ratio_2f1(params, np.zeros_like(t), np.full_like(t, alpha), t)


def _log_odds_dead(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log[a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)]: log-odds that a customer with x > 0 has already dropped out."""
    r, alpha, a, b = params.values
    x_safe = np.where(x > 0, x, 1.0)
    odds = np.log(a) - np.log(b + x_safe - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, odds, -np.inf)


def p_alive(params: BgNbdParams, frequency: object, recency: object, age: object) -> np.ndarray:
    """P(alive at T | x, t_x, T) (Hardie's note 021, "Computing P(alive) using the BG/NBD model").

    It is 1 for x = 0: in the BG/NBD a customer can only drop out right after a repeat purchase.
    """
    x, t_x, T, _ = _validated(frequency, recency, age)
    return special.expit(-_log_odds_dead(params, x, t_x, T))


def expected_purchases(params: BgNbdParams, t: object, frequency: object, recency: object, age: object) -> np.ndarray:
    """E[Y(t) | x, t_x, T], eq. 10: expected purchases in (T, T+t], t in the same unit as T."""
    x, t_x, T, _ = _validated(frequency, recency, age)
    _, alpha, a, b = params.values
    t = np.asarray(t, dtype=float)
    bracket = _one_minus_ratio_2f1(params, x, alpha + T, t)
    # 1/(1 + odds) is P(alive), taken through expit so that huge odds underflow to 0 instead of overflowing.
    return (a + b + x - 1) / (a - 1) * bracket * special.expit(-_log_odds_dead(params, x, t_x, T))


def discounted_expected_purchases(
    params: BgNbdParams, frequency: object, recency: object, age: object, periods: int, discount_per_period: float
) -> np.ndarray:
    """Σ_{k=1..periods} (E[Y(k)] - E[Y(k-1)]) / (1+d)^k: discounted expected purchases (DET) over a finite horizon.

    Purchases of period k, in (T+k-1, T+k], are discounted as if made at its end; a period is one unit of T.
    """
    if periods < 0 or discount_per_period <= -1:
        raise ValueError("periods must not be negative and the discount rate must be above -100%")
    x, t_x, T, _ = _validated(frequency, recency, age)
    k = np.arange(periods + 1, dtype=float)
    cumulative = expected_purchases(params, k[:, None], x, t_x, T)  # one row per horizon k = 0..periods
    return np.sum(np.diff(cumulative, axis=0) / (1 + discount_per_period) ** k[1:, None], axis=0)


def simulate(
    params: BgNbdParams, customers: int, age: object, rng: np.random.Generator, holdout: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw customers from the model: (frequency, recency, age, purchases in (T, T+holdout]), holdout in T's unit.

    λ ~ Gamma(r, rate α), p ~ Beta(a, b); purchases follow a Poisson process from the first purchase at 0 and
    the customer drops out after each repeat purchase with probability p.
    """
    r, alpha, a, b = params.values
    T = np.broadcast_to(np.asarray(age, dtype=float), (customers,)).copy()
    lam, p = rng.gamma(r, 1 / alpha, customers), rng.beta(a, b, customers)
    x, t_x, held = np.zeros(customers), np.zeros(customers), np.zeros(customers)
    now, active = np.zeros(customers), np.ones(customers, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        with np.errstate(divide="ignore"):  # λ can underflow to 0 for tiny r: that customer never buys again
            now[idx] += rng.exponential(size=len(idx)) / lam[idx]
        bought = now[idx] <= T[idx] + holdout
        active[idx[~bought]] = False
        idx = idx[bought]
        in_calibration = now[idx] <= T[idx]
        x[idx[in_calibration]] += 1
        t_x[idx[in_calibration]] = now[idx[in_calibration]]
        held[idx[~in_calibration]] += 1
        active[idx[rng.random(len(idx)) < p[idx]]] = False
    return x, t_x, T, held
