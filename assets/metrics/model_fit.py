"""Maximum-likelihood plumbing shared by the CLV models (BG/NBD, Gamma-Gamma, sBG).

Every model parameter is positive, so the search runs over log-parameters: no constraints to violate and
steps that are relative, which suits parameters that differ by orders of magnitude (r ≈ 0.2, α ≈ 4, v ≈ 15).
A fit that fails says so in a `ModelFitError` naming the model, the reason and what to do, never a scipy
traceback and never a value of the client data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

# exp(±25) ≈ 1e±11: no sensible parameter in any time or currency unit gets there, so an optimum on the
# edge means the likelihood kept improving towards 0 or infinity, i.e. the data cannot identify the model.
LOG_BOUND = 25.0
MAX_ITERATIONS = 2000


class ModelFitError(ValueError):
    """A fit failed, or a model was given input it cannot use; the message says which model, why, and what to do."""

    def __init__(self, model: str, reason: str, hint: str) -> None:
        self.model, self.reason, self.hint = model, reason, hint
        super().__init__(f"{model}: {reason}. {hint}")


def as_arrays(model_name: str, **columns: object) -> list[np.ndarray]:
    """The named columns as 1-d float arrays of one length and finite values, or a ModelFitError naming the column."""
    arrays = [np.atleast_1d(np.asarray(values, dtype=float)) for values in columns.values()]
    lengths = {name: len(array) for name, array in zip(columns, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        raise ModelFitError(
            model_name, f"the input columns differ in length ({lengths})", "Pass one value per customer in each.",
        )
    for name, array in zip(columns, arrays, strict=True):
        if array.ndim != 1:
            raise ModelFitError(model_name, f"{name} is not one-dimensional", "Pass one value per customer.")
        if not np.all(np.isfinite(array)):
            raise ModelFitError(
                model_name, f"{name} has {int(np.sum(~np.isfinite(array)))} missing or infinite values",
                "Fill or drop those customers before fitting.",
            )
    return arrays


def maximise(
    neg_log_lik: Callable[[np.ndarray], float],
    x0_log: Sequence[float],
    model_name: str,
    maxiter: int = MAX_ITERATIONS,
) -> tuple[np.ndarray, float, int]:
    """Minimise `neg_log_lik(params)` over log(params); return (params, log-likelihood, iterations).

    L-BFGS-B first (fast, bounded); when its line search gives up, which happens near a flat optimum with
    numerical gradients, Nelder-Mead polishes from where it stopped. Raises ModelFitError when neither
    converges, when the log-likelihood is not finite at the optimum, or when a parameter ran to the bound.
    """

    def objective(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = float(neg_log_lik(np.exp(theta)))
        # Nelder-Mead copes with +inf (it just rejects the point); NaN would poison the simplex.
        return value if np.isfinite(value) else np.inf

    x0 = np.asarray(x0_log, dtype=float)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(x0)
    result = optimize.minimize(objective, x0, method="L-BFGS-B", bounds=bounds, options={"maxiter": maxiter})
    iterations = int(result.nit)
    if not result.success:
        start = result.x if np.isfinite(result.fun) else x0
        result = optimize.minimize(
            objective, start, method="Nelder-Mead", bounds=bounds,
            options={"maxiter": maxiter, "xatol": 1e-8, "fatol": 1e-10},
        )
        iterations += int(result.nit)
    if not result.success:
        raise ModelFitError(
            model_name, f"the fit did not converge after {iterations} iterations",
            "Check the input for extreme values, or fit on more customers.",
        )
    if not np.isfinite(result.fun):
        raise ModelFitError(
            model_name, "the log-likelihood is not finite at the optimum",
            "Check the input for extreme or inconsistent values.",
        )
    if np.any(np.abs(result.x) >= LOG_BOUND - 1e-3):
        raise ModelFitError(
            model_name, "a parameter ran off towards 0 or infinity, so the data do not identify the model",
            "Fit on more customers or a longer observation period.",
        )
    return np.exp(result.x), -float(result.fun), iterations


def standard_errors(neg_log_lik: Callable[[np.ndarray], float], params: Sequence[float]) -> np.ndarray:
    """Asymptotic standard errors from the inverse of a numerical Hessian of the negative log-likelihood.

    The Hessian is taken over log-parameters (better scaled) and mapped back by the delta method,
    se(θ) = θ · se(log θ). NaN where the Hessian is not positive definite (no reliable error then).
    """
    theta = np.log(np.asarray(params, dtype=float))
    k, step = len(theta), 1e-4

    def f(shift: np.ndarray) -> float:
        return float(neg_log_lik(np.exp(theta + shift)))

    hessian = np.empty((k, k))
    unit = np.eye(k) * step
    for i in range(k):
        for j in range(i, k):
            hessian[i, j] = hessian[j, i] = (
                f(unit[i] + unit[j]) - f(unit[i] - unit[j]) - f(unit[j] - unit[i]) + f(-unit[i] - unit[j])
            ) / (4 * step**2)
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)
    return np.exp(theta) * np.sqrt(np.diag(np.linalg.inv(hessian)))
