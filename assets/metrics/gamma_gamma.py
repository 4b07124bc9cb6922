"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value";
Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer base analysis").

A customer's transaction values are Gamma(p, ν) around a personal mean p/ν, and ν ~ Gamma(q, v) across
customers (v is the papers' γ, in the currency unit of the spend). A customer is summarised by x, the number of
repeat transactions, and z̄, their mean value; the first purchase is left out, as in the papers. Spend is
assumed independent of purchase frequency, which is what lets it multiply a BG/NBD purchase forecast.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
from scipy import special

from assets.metrics.model_fit import ModelFitError, as_arrays, maximise

MODEL = "Gamma-Gamma"
MIN_CUSTOMERS = 2


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters; v (the papers' γ) is in the currency unit of the spend."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int

    @property
    def values(self) -> tuple[float, float, float]:
        return astuple(self)[:3]


def _validated(frequency: object, mean_spend: object, weights: object = None) -> list[np.ndarray]:
    x, z = as_arrays(MODEL, frequency=frequency, mean_spend=mean_spend)
    w = np.ones_like(x) if weights is None else as_arrays(MODEL, frequency=x, weights=weights)[1]
    problems = {
        "frequency is negative or not a whole number": (x < 0) | (x != np.round(x)),
        "mean_spend is negative": z < 0,
        "a weight is negative": w < 0,
    }
    for reason, bad in problems.items():
        if bad.any():
            raise ModelFitError(MODEL, f"{reason} for {int(bad.sum())} customers", "Correct the spend summary.")
    return [x, z, w]


def _log_likelihoods(params: tuple[float, ...], x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log f(z̄ | p, q, v; x): z̄ is Gamma(px, xν) given ν, and ν ~ Gamma(q, v) integrates out in closed form."""
    p, q, v = params
    px = p * x
    return (
        special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
        + (px - 1) * np.log(z) + px * np.log(x) - (px + q) * np.log(v + x * z)
    )


def log_likelihood(params: tuple[float, ...], frequency: object, mean_spend: object, weights: object = None) -> float:
    """Sample log-likelihood of (p, q, v) over the customers a fit would use (x > 0 and z̄ > 0)."""
    x, z, w = _validated(frequency, mean_spend, weights)
    used = (x > 0) & (z > 0)
    return float(np.sum(w[used] * _log_likelihoods(tuple(params), x[used], z[used])))


def fit(frequency: object, mean_spend: object, weights: object = None) -> GammaGammaParams:
    """Maximum-likelihood fit on the customers with at least one repeat purchase and a positive mean spend.

    The others are excluded from the fit (with no repeat transaction there is no spend to learn from, and a
    zero or credit-note mean has no Gamma density); `customers` counts the ones used.
    """
    x, z, w = _validated(frequency, mean_spend, weights)
    used = (x > 0) & (z > 0) & (w > 0)
    x, z, w = x[used], z[used], w[used]
    if w.sum() < MIN_CUSTOMERS:
        raise ModelFitError(
            MODEL, f"needs at least {MIN_CUSTOMERS} customers with repeat purchases and a positive mean spend, "
            f"got {int(round(w.sum()))}", "Fit on a larger book or a longer period.",
        )
    # v scales with the currency unit; fitting in units of the mean spend keeps every search start near 1.
    scale = float(np.average(z, weights=w))
    params, ll, _ = maximise(lambda prm: -np.sum(w * _log_likelihoods(tuple(prm), x, z / scale)), np.zeros(3), MODEL)
    p, q, v = params
    if q <= 1:
        raise ModelFitError(
            MODEL, f"q is {q:.3f} at the optimum, at most 1, so the mean spend does not exist",
            "Spend is too heavy-tailed for the model: cap outliers or use a plain average.",
        )
    # The density of z̄ is the density of z̄/scale divided by scale: back to the original unit.
    ll -= float(np.sum(w) * np.log(scale))
    return GammaGammaParams(float(p), float(q), float(v * scale), ll, int(round(w.sum())))


def expected_spend(params: GammaGammaParams, frequency: object, mean_spend: object) -> np.ndarray:
    """E[mean transaction value | x, z̄] = (v + x·z̄)·p / (p·x + q - 1).

    That is a credibility-weighted average of the population mean p·v/(q-1) and the customer's own z̄, with weight
    p·x/(p·x + q - 1) on z̄. For x = 0 it returns the population mean, whatever mean_spend says: a customer without
    repeat transactions has no repeat spend to go on, so the best forecast is the average customer's.
    """
    p, q, v = params.values
    x, z, _ = _validated(frequency, mean_spend)
    z = np.where(x > 0, z, 0.0)
    return (v + x * z) * p / (p * x + q - 1)


def simulate(params: GammaGammaParams, frequency: object, rng: np.random.Generator) -> np.ndarray:
    """Draw each customer's mean spend over `frequency` transactions; 0 where frequency is 0.

    ν ~ Gamma(q, rate v); the mean of x draws of Gamma(p, rate ν) is Gamma(px, rate xν), drawn in one go.
    """
    p, q, v = params.values
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1 / v, x.shape)
    repeat = x > 0
    x_safe = np.where(repeat, x, 1.0)
    return np.where(repeat, rng.gamma(p * x_safe, 1 / (x_safe * nu)), 0.0)
