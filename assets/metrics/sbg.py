"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to project customer
retention"; Fader & Hardie 2010, "Customer-base valuation in a contractual setting: the perils of ignoring
heterogeneity").

A customer pays for period 1, then at the end of every period renews with probability 1 - θ, θ ~ Beta(γ, δ)
across customers. Aggregate retention rises over time because the customers likely to churn leave first; a
single average churn rate misses that and undervalues the book. Time is counted in contract periods.

Conventions used throughout: T is the number of periods a customer pays for before churning, so
P(T = t) = B(γ+1, δ+t-1)/B(γ, δ) is the probability of churning at the renewal at the end of period t, and
S(t) = P(T > t) = B(γ, δ+t)/B(γ, δ) is the probability of having renewed t times (S(0) = 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass

import numpy as np
from scipy import special

from assets.metrics.model_fit import ModelFitError, as_arrays, maximise

MODEL = "sBG"


@dataclass(frozen=True)
class SbgParams:
    """Fitted sBG parameters of the Beta(γ, δ) distribution of per-period churn probabilities."""

    gamma: float
    delta: float
    log_likelihood: float
    customers: int

    @property
    def values(self) -> tuple[float, float]:
        return astuple(self)[:2]


def _log_likelihoods(
    params: tuple[float, ...], k: np.ndarray, churned: np.ndarray, before: np.ndarray | float = 0.0
) -> np.ndarray:
    gamma, delta = params
    log_p = special.betaln(gamma + 1, delta + before + k - 1)  # log P(T = a + k) + log B(γ, δ)
    log_s = special.betaln(gamma, delta + before + k - 1)  # log S(a + k - 1) + log B(γ, δ)
    return np.where(churned, log_p, log_s) - special.betaln(gamma, delta + before)  # given S(a): observed from a


def log_likelihood(params: tuple[float, ...], periods: object, churned: object, weights: object = None) -> float:
    """Sample log-likelihood of (γ, δ) on individual customers; see `fit` for what each one contributes."""
    k, c, w = _validated(periods, churned, weights)
    return float(np.sum(w * _log_likelihoods(tuple(params), k, c)))


def _validated(periods: object, churned: object, weights: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k, c = as_arrays(MODEL, periods=periods, churned=churned)
    w = np.ones_like(k) if weights is None else as_arrays(MODEL, periods=k, weights=weights)[1]
    problems = {
        "periods is below 1 or not a whole number": (k < 1) | (k != np.round(k)),
        "churned is neither true nor false": (c != 0) & (c != 1),
        "a weight is negative": w < 0,
    }
    for reason, bad in problems.items():
        if bad.any():
            raise ModelFitError(MODEL, f"{reason} for {int(bad.sum())} customers", "Correct the retention input.")
    return k, c.astype(bool), w


def fit(periods: object, churned: object, weights: object = None, paid_before: object = None) -> SbgParams:
    """Maximum-likelihood fit on individual customers, with optional weights (counts of identical rows).

    `periods[i]` = k >= 1 is the number of periods customer i paid for. `churned[i]` True: paid periods 1..k and
    did not renew for period k+1, contributing P(T = k). False: has paid periods 1..k and is still a customer, so
    renewed k-1 times and the renewal at the end of period k is still to come, contributing S(k-1) (censored).

    `paid_before[i]` = a >= 0 (default 0) marks a left-truncated customer: it had already paid a periods when
    observation began, and `periods` counts the ones after. Only survivors of a renewals can be seen at all, so
    its contribution is conditional on them: P(T = a + k) / S(a) or S(a + k - 1) / S(a).
    """
    k, c, w = _validated(periods, churned, weights)
    a = np.zeros_like(k) if paid_before is None else as_arrays(MODEL, periods=k, paid_before=paid_before)[1]
    if np.any((a < 0) | (a != np.round(a))):
        raise ModelFitError(MODEL, f"paid_before is negative or not whole for {int(np.sum(a < 0))} customers",
                            "Count the periods paid before observation began.")
    if w.sum() < 2 or not np.any(c & (w > 0)):
        raise ModelFitError(
            MODEL, f"needs at least 2 customers and one churn, got {int(round(w.sum()))} customers "
            f"and {int(round(w[c].sum()))} churns", "Fit on a larger book or a longer period.",
        )
    params, ll, _ = maximise(lambda prm: -np.sum(w * _log_likelihoods(tuple(prm), k, c, a)), np.zeros(2), MODEL)
    return SbgParams(float(params[0]), float(params[1]), ll, int(round(w.sum())))


def fit_cohort(survivors: Sequence[int]) -> SbgParams:
    """Fit one cohort's survival counts: survivors[0] = cohort size, survivors[t] = alive after t renewals.

    The survivors[t-1] - survivors[t] who left at renewal t paid t periods and churned; the survivors[n] still
    there at the last count paid n+1 periods and are censored: Fader & Hardie's (2007) cohort likelihood.
    """
    counts = np.asarray(survivors, dtype=float)
    if counts.ndim != 1 or len(counts) < 2 or counts[0] <= 0 or np.any(np.diff(counts) > 0) or counts[-1] < 0:
        raise ModelFitError(
            MODEL, "survivors must be a cohort size followed by at least one non-increasing count",
            "Pass the counts alive after 0, 1, 2, … renewals.",
        )
    n = len(counts) - 1
    periods = np.arange(1, n + 2)
    churned = periods <= n
    weights = np.append(-np.diff(counts), counts[-1])
    return fit(periods, churned, weights)


def survival(params: SbgParams, t: object) -> np.ndarray:
    """S(t): share of a new cohort still paying after t renewals, i.e. paying for period t+1."""
    gamma, delta = params.values
    return np.exp(special.betaln(gamma, delta + np.asarray(t, dtype=float)) - special.betaln(gamma, delta))


def churn_probability(params: SbgParams, t: object) -> np.ndarray:
    """P(T = t), t >= 1: share of a new cohort that churns at the renewal at the end of period t."""
    gamma, delta = params.values
    return np.exp(special.betaln(gamma + 1, delta + np.asarray(t, dtype=float) - 1) - special.betaln(gamma, delta))


def retention_rate(params: SbgParams, t: object) -> np.ndarray:
    """r_t = S(t)/S(t-1) = (δ+t-1)/(γ+δ+t-1), t >= 1: share of period-t payers who renew; it rises with t."""
    gamma, delta = params.values
    t = np.asarray(t, dtype=float)
    return (delta + t - 1) / (gamma + delta + t - 1)


def conditional_survival(params: SbgParams, renewals: object, t: object) -> np.ndarray:
    """S(renewals + t)/S(renewals): chance that a customer who has renewed `renewals` times renews t more times."""
    gamma, delta = params.values
    base = delta + np.asarray(renewals, dtype=float)
    return np.exp(special.betaln(gamma, base + np.asarray(t, dtype=float)) - special.betaln(gamma, base))


def discounted_residual_value(
    params: SbgParams, renewals: object, periods: int, discount_per_period: float, growth_per_period: float = 0.0
) -> np.ndarray:
    """Σ_{t=1..periods} (1+g)^t · S(renewals+t)/S(renewals) / (1+d)^t, per value of `renewals`.

    The expected discounted number of future payments (each of the current payment's size, grown by g a period)
    of a customer who has renewed `renewals` times and is paying for the current period: the first future payment
    is the next renewal, one period ahead and discounted by one period; the current payment is not counted.
    """
    if periods < 0 or discount_per_period <= -1:
        raise ValueError("periods must not be negative and the discount rate must be above -100%")
    t = np.arange(1, periods + 1, dtype=float)
    kept = conditional_survival(params, np.asarray(renewals, dtype=float)[..., None], t)
    return np.sum(kept * ((1 + growth_per_period) / (1 + discount_per_period)) ** t, axis=-1)


def derl(params: SbgParams, renewals: object, discount_per_period: float) -> np.ndarray:
    """Discounted expected residual lifetime in closed form (Fader & Hardie 2010), for n - 1 = `renewals`:

    DERL = B(γ, δ+n)/B(γ, δ+n-1) · 2F1(1, δ+n; γ+δ+n; 1/(1+d)) = Σ_{t>=1} S(renewals+t)/S(renewals) / (1+d)^(t-1).

    Its timing is the paper's: valued at the renewal decision, so the next payment counts undiscounted. Hence
    derl = (1+d) · discounted_residual_value(renewals, periods → ∞, d); d must be positive for the sum to converge.
    """
    if discount_per_period <= 0:
        raise ValueError("DERL needs a positive discount rate: the undiscounted sum need not converge")
    gamma, delta = params.values
    n = np.asarray(renewals, dtype=float) + 1
    ratio = (delta + n - 1) / (gamma + delta + n - 1)  # B(γ, δ+n)/B(γ, δ+n-1)
    return ratio * special.hyp2f1(1, delta + n, gamma + delta + n, 1 / (1 + discount_per_period))


def simulate(
    params: SbgParams, customers: int, periods_observed: object, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (periods, churned) for customers observed over `periods_observed` periods (a number or one per customer).

    θ ~ Beta(γ, δ), T ~ Geometric(θ) on 1, 2, …; a customer with T < n is seen to churn after T periods, the rest
    have paid all n periods and their renewal at the end of period n is still to come.
    """
    gamma, delta = params.values
    n = np.broadcast_to(np.asarray(periods_observed, dtype=int), (customers,))
    # θ can underflow to 0 for a small γ, which numpy's geometric refuses: such a customer never churns anyway.
    lifetime = rng.geometric(np.maximum(rng.beta(gamma, delta, customers), 1e-300))
    churned = lifetime < n
    return np.where(churned, lifetime, n), churned
