"""The report's charts: each function draws one matplotlib figure and returns it as an inline SVG.

This module holds what they all share (style, palette, axes helpers, the figure-to-SVG step); the
charts themselves are in `charts_revenue`, `charts_value` and `charts_survey`.

Figures are built with `matplotlib.figure.Figure`, never pyplot, so no GUI backend or global
figure state is involved. Text stays text (`svg.fonttype = none`) with a generic sans-serif
fallback. Ids are hashed with a fixed salt, so the same data always gives the same bytes, and
prefixed with the chart's name, so seven SVGs can share one HTML page.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from warehouse.report import fmt_month, fmt_number

BLUE, GREEN, RED, GREY = "#1f4e79", "#2e7d32", "#c62828", "#6b6b6b"
STYLE = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#ececec",
    "legend.frameon": False,
}
# No date, creator or RDF block: the SVG carries no external URI but its namespaces.
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


@contextmanager
def chart_style() -> Iterator[None]:
    """The report's matplotlib settings, for the figures built inside the block only."""
    with matplotlib.rc_context(STYLE):
        yield


def to_svg(fig: Figure, name: str) -> str:
    """The figure as an `<svg>` element, without the XML prolog and DOCTYPE."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", metadata=NO_METADATA)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib numbers its ids per figure (figure_1, axes_1, ...): prefix them, and every reference
    # to them, with the chart's name so the SVGs of one page never share an id.
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    return re.sub(r'(href="#|url\(#)([^")]+)', rf"\g<1>{name}-\2", text)


def money_axis(ax: Axes, label: str) -> None:
    """A y axis of amounts with thousands separators, labelled with its currency."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: fmt_number(value)))
    ax.set_ylabel(label)


def floats(values: Sequence[float | None]) -> np.ndarray:
    """Values to plot, a missing one as NaN (a gap in the line)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def month_axis(ax: Axes, months: Sequence[dt.date]) -> None:
    """Months as categories 0..n-1: a tick each month, a YYYY-MM label every 1, 3, 6 or 12 months."""
    step = next(step for limit, step in ((8, 1), (36, 3), (72, 6), (math.inf, 12)) if len(months) <= limit)
    ax.set_xticks(range(len(months)), minor=True)
    # label the last month (the report month) and every `step` months back from it
    ticks = list(range(len(months) - 1, -1, -step))[::-1]
    ax.set_xticks(ticks, [fmt_month(months[i]) for i in ticks])
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.grid(axis="x", visible=False)
