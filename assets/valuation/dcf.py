"""Discounted value of a book's recurring revenue: a pure function, so it is unit-tested alone."""

from __future__ import annotations

import math
from collections.abc import Sequence


def annual_retention(monthly_retention: Sequence[float]) -> float | None:
    """Chain monthly revenue retention rates into a yearly one; None when there are none."""
    rates = [r for r in monthly_retention if r is not None and not math.isnan(r)]
    if not rates:
        return None
    yearly = math.prod(rates) ** (12 / len(rates))
    return max(0.0, yearly)


def book_value(arr: float, retention: float, growth: float, discount: float, horizon_years: int) -> float:
    """Σ_{t=1..H} ARR · (retention · (1 + growth))^t / (1 + discount)^t, revenue at each year's end."""
    if discount <= -1:
        raise ValueError("discount rate must be above -100%")
    if horizon_years < 0:
        raise ValueError("horizon must not be negative")
    factor = retention * (1 + growth) / (1 + discount)
    return sum(arr * factor**t for t in range(1, horizon_years + 1))
