"""Value of a book of contractual clients from a shifted-beta-geometric retention model.

Pure functions (numpy), so the arithmetic is tested by hand. Time runs in months. A client who has
made `renewals` monthly renewals (it is in its month `renewals + 1`) pays its monthly margin at the
start of each future month it stays; under the sBG its chance of renewing in month t is
r_t = (delta + t - 1) / (gamma + delta + t - 1) (Fader & Hardie 2007, eq. 4). The first future
payment is one month ahead, and the payments of the next `horizon_months` months are counted:

    value = margin × Σ_{k=1..H} (1 + g)^k / (1 + d)^k × Π_{j=1..k} r'_{n+j}

with g, d the monthly growth and discount rates from the annual ones ((1 + x)^(1/12) − 1) and
r' = 1 − multiplier × (1 − r): the churn multiplier of the sensitivity grid (1 = the model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Assumptions:
    """Every assumption a book value depends on; recorded beside the value."""

    gamma: float
    delta: float
    annual_discount: float
    annual_growth: float
    horizon_months: int
    churn_multiplier: float = 1.0


def monthly_rate(annual: float) -> float:
    """The monthly rate compounding to `annual` over 12 months."""
    if annual <= -1:
        raise ValueError("an annual rate must be above -100%")
    return (1 + annual) ** (1 / 12) - 1


def survival_paths(a: Assumptions, renewals: np.ndarray) -> np.ndarray:
    """Probability of still paying k = 1..H months ahead, one row per client (clients × H)."""
    if a.horizon_months < 0:
        raise ValueError("the horizon must not be negative")
    n = np.asarray(renewals, dtype=float)[:, None]
    t = n + np.arange(1, a.horizon_months + 1)[None, :]  # the renewal month index n + k
    renew = (a.delta + t - 1) / (a.gamma + a.delta + t - 1)
    renew = np.clip(1 - a.churn_multiplier * (1 - renew), 0.0, 1.0)
    return np.cumprod(renew, axis=1)


def residual_value_factor(a: Assumptions, renewals: np.ndarray) -> np.ndarray:
    """Expected discounted number of future monthly payments per client (multiply by its margin)."""
    k = np.arange(1, a.horizon_months + 1)
    weights = ((1 + monthly_rate(a.annual_growth)) / (1 + monthly_rate(a.annual_discount))) ** k
    return survival_paths(a, renewals) @ weights


def retention_12m(a: Assumptions, renewals: np.ndarray, mrr: np.ndarray) -> float:
    """MRR-weighted probability that today's clients still pay in 12 months."""
    twelve = Assumptions(a.gamma, a.delta, a.annual_discount, a.annual_growth, 12, a.churn_multiplier)
    weights = np.asarray(mrr, dtype=float)
    if weights.sum() <= 0:
        return float("nan")
    return float(np.average(survival_paths(twelve, renewals)[:, -1], weights=weights))


def concentration_adjustment(values: np.ndarray, threshold: float, haircut: float) -> float:
    """Deduction for single clients holding more than `threshold` of the book's value.

    −haircut × Σ_i max(0, value_i − threshold × book value): only the part above the threshold is
    at risk, and only `haircut` of it is deducted. Zero when no client is above the threshold.
    """
    values = np.asarray(values, dtype=float)
    total = values.sum()
    if total <= 0:
        return 0.0
    excess = np.clip(values - threshold * total, 0.0, None).sum()
    return -haircut * float(excess)
