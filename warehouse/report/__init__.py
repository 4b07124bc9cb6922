"""`clientbook report`: one self-contained HTML file describing the client book as of a month.

This module holds what every part of the report shares: its error and its number formats.
`queries` (with `queries_revenue`, `queries_value`) reads the warehouse; `charts_revenue`,
`charts_value` and `charts_survey` draw SVGs with the helpers in `svg`; `sections`, `sections_value` and
`sections_risk` write the sections from the pieces in `fragments`; `html` assembles the file.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

Number = float | int | Decimal | None


class ReportError(Exception):
    """A report cannot be built (no warehouse, no such month); the CLI prints it as one line."""


def fmt_month(value: dt.date) -> str:
    """Months are always shown as YYYY-MM."""
    return value.strftime("%Y-%m")


def _missing(value: Number) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: Number, decimals: int = 0) -> str:
    """Thousands separators; an en dash for a missing value."""
    return "–" if _missing(value) else f"{float(value):,.{decimals}f}"


def fmt_money(value: Number, currency: str, decimals: int = 0) -> str:
    """`EUR 12,345`: the reporting currency before the amount."""
    return "–" if _missing(value) else f"{currency} {fmt_number(value, decimals)}"


def fmt_pct(fraction: Number, decimals: int = 1) -> str:
    """A fraction (0.234) as a percentage (`23.4%`)."""
    return "–" if _missing(fraction) else f"{float(fraction) * 100:,.{decimals}f}%"


def fmt_signed(value: Number, decimals: int = 1) -> str:
    """Points with an explicit sign, for NPS (`+32.5`, `−4.0`)."""
    if _missing(value):
        return "–"
    text = f"{float(value):+,.{decimals}f}"
    return text.replace("-", "−")
