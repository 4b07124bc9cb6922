"""The report's charts: each function draws one matplotlib figure and returns it as an inline SVG.

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
from typing import Any

import matplotlib
import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from warehouse.report import fmt_month, fmt_number, fmt_pct

BLUE, GREEN, RED, GREY = "#1f4e79", "#2e7d32", "#c62828", "#6b6b6b"
SCALE_COLOURS = ("#1f4e79", "#b35900", "#6a3d9a", "#2e7d32")
FEW_RESPONSES = 30  # below this many answers a month's score is drawn hollow and its n is written out
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
def _style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def _svg(fig: Figure, name: str) -> str:
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


def _money_axis(ax: Axes, label: str) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: fmt_number(value)))
    ax.set_ylabel(label)


def _floats(values: Sequence[float | None]) -> np.ndarray:
    """Values to plot, a missing one as NaN (a gap in the line)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _month_axis(ax: Axes, months: Sequence[dt.date]) -> None:
    """Months as categories 0..n-1: a tick each month, a YYYY-MM label every 1, 3, 6 or 12 months."""
    step = next(step for limit, step in ((8, 1), (36, 3), (72, 6), (math.inf, 12)) if len(months) <= limit)
    ax.set_xticks(range(len(months)), minor=True)
    # label the last month (the report month) and every `step` months back from it
    ticks = list(range(len(months) - 1, -1, -step))[::-1]
    ax.set_xticks(ticks, [fmt_month(months[i]) for i in ticks])
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.grid(axis="x", visible=False)


def mrr_bridge(bridge: dict[str, Any], currency: str) -> str:
    """Waterfall of the month: starting MRR, each movement as a floating bar, ending MRR."""
    steps = [
        ("Starting", bridge["starting_mrr"]),
        ("+ New", bridge["new_mrr"]),
        ("+ Expansion", bridge["expansion_mrr"]),
        ("+ Reactivation", bridge["reactivation_mrr"]),
        ("− Contraction", bridge["contraction_mrr"]),
        ("− Churned", bridge["churned_mrr"]),
        ("Ending", bridge["ending_mrr"]),
    ]
    with _style():
        fig = Figure(figsize=(10, 4.2), layout="constrained")
        ax = fig.add_subplot()
        last = len(steps) - 1
        running, levels = 0.0, []
        for i, (_label, value) in enumerate(steps):
            total = i in (0, last)
            low, high = sorted((0.0, value)) if total else sorted((running, running + value))
            running = value if total else running + value
            levels.append(running)
            ax.bar(i, high - low, bottom=low, color=BLUE if total else (GREEN if value >= 0 else RED), width=0.62)
            text = fmt_number(value) if total else ("+" if value >= 0 else "−") + fmt_number(abs(value))
            ax.annotate(text, (i, high), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom")
            if i < last:  # a dotted connector carries the running level to the next bar
                ax.plot([i + 0.31, i + 0.69], [running, running], color=GREY, linewidth=0.8, linestyle=":")
        ax.set_xticks(range(len(steps)), [s[0] for s in steps])
        ax.grid(axis="x", visible=False)
        top, bottom = max(levels), min(levels)
        span = top - bottom
        # Movements are small against the book: start the axis near the lowest level so they show.
        if bottom > 0 and span < 0.5 * bottom:
            floor = max(0.0, bottom - 1.5 * max(span, 0.01 * bottom))
            step = 10 ** math.floor(math.log10(top - floor))
            floor = math.floor(floor / step) * step
            ax.set_ylim(floor, top + 0.25 * max(span, 0.01 * top))
            ax.text(
                0.995,
                0.99,
                f"axis starts at {currency} {fmt_number(floor)}",
                transform=ax.transAxes,
                ha="right",
                va="top",
                color=GREY,
                fontsize=8,
            )
        else:
            ax.set_ylim(min(0.0, bottom), top * 1.12 if top > 0 else 1)
        _money_axis(ax, f"MRR ({currency})")
        ax.set_title(f"MRR bridge, {fmt_month(bridge['revenue_month'])}")
        return _svg(fig, "mrr_bridge")


def mrr_trend(frame: pl.DataFrame, currency: str) -> str:
    """Ending MRR of each of the last 24 months, the last one labelled."""
    months, values = frame["revenue_month"].to_list(), frame["ending_mrr"].to_list()
    with _style():
        fig = Figure(figsize=(10, 3.4), layout="constrained")
        ax = fig.add_subplot()
        x = range(len(months))
        ax.plot(x, values, color=BLUE, marker="o", markersize=3.5, linewidth=1.8)
        ax.fill_between(x, values, min(values), color=BLUE, alpha=0.08)
        ax.annotate(
            fmt_number(values[-1]),
            (len(values) - 1, values[-1]),
            xytext=(-4, 8),
            textcoords="offset points",
            ha="right",
            color=BLUE,
            fontweight="bold",
        )
        span = (max(values) - min(values)) or max(abs(values[-1]), 1.0)
        ax.set_ylim(min(values) - 0.1 * span, max(values) + 0.2 * span)
        _month_axis(ax, months)
        _money_axis(ax, f"MRR ({currency})")
        ax.set_title(f"Ending MRR, {fmt_month(months[0])} to {fmt_month(months[-1])}")
        return _svg(fig, "mrr_trend")


def cohort_heatmap(frame: pl.DataFrame) -> str:
    """Logo retention by cohort (rows, oldest on top) and months since start (columns), in %."""
    cohorts = sorted(set(frame["cohort_month"].to_list()))
    columns = int(frame["months_since_start"].max()) + 1
    grid = np.full((len(cohorts), columns), np.nan)
    sizes: dict[dt.date, int] = {}
    for row in frame.iter_rows(named=True):
        if row["logo_retention"] is not None:
            grid[cohorts.index(row["cohort_month"]), row["months_since_start"]] = row["logo_retention"]
        sizes[row["cohort_month"]] = row["cohort_customers"]
    # about 0.34 x 0.3 in a cell, within 10 in across; never so small that the axis labels do not fit
    width = min(10.0, max(6.0, 2.6 + 0.34 * columns))
    height = max(3.0, 1.3 + 0.3 * len(cohorts))
    with _style():
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#f7f7f7")
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1, aspect="auto")
        ax.grid(False)
        # A cell is at least 0.3 in square, room for "100" at 7.5 pt: every cell is annotated, in % (no sign).
        for (r, c), value in np.ndenumerate(grid):
            if not math.isnan(value):
                ax.text(
                    c,
                    r,
                    f"{value * 100:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if value > 0.55 else "#222222",
                    in_layout=False,  # inside the axes anyway; measuring 300 labels for the layout is slow
                )
        ax.set_xticks(range(columns), [str(c) for c in range(columns)])
        ax.set_yticks(range(len(cohorts)), [f"{fmt_month(c)}  (n={fmt_number(sizes[c])})" for c in cohorts])
        ax.tick_params(length=0)
        ax.xaxis.set_ticks_position("top")
        ax.xaxis.set_label_position("top")
        ax.set_xlabel("months since start")
        ax.set_ylabel("cohort (first active month) and its clients")
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, fraction=0.025, pad=0.015, format=PercentFormatter(1.0, decimals=0))
        bar.set_label("% of the cohort's clients still active")
        bar.outline.set_visible(False)
        return _svg(fig, "cohort_heatmap")


def lorenz(points: pl.DataFrame, concentration: dict[str, Any] | None) -> str:
    """Lorenz curve of MRR with the equality line, the Pareto point and, if over it, the threshold flag."""
    ordered = points.sort("client_share")
    x, y = ordered["client_share"].to_list(), ordered["revenue_share"].to_list()
    with _style():
        fig = Figure(figsize=(6.4, 5.6), layout="constrained")
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="equality")
        ax.fill_between(x, y, x, color=BLUE, alpha=0.08)
        curve_label = "Lorenz curve"
        handles: list[Line2D] = []
        if concentration:
            curve_label += f" (Gini {fmt_number(concentration['gini'], 2)})"
        ax.plot(x, y, color=BLUE, linewidth=2, label=curve_label)
        if concentration:
            top_clients, top_revenue = concentration["pareto_client_share"], concentration["pareto_revenue_share"]
            # The curve runs from the smallest client up, so the top p of clients sit at (1 - p, 1 - share).
            ax.plot(
                [1 - top_clients],
                [1 - top_revenue],
                marker="o",
                markersize=8,
                color="#b35900",
                linestyle="none",
                label=f"top {fmt_pct(top_clients, 0)} of clients hold {fmt_pct(top_revenue)} of MRR",
            )
            ax.plot([1 - top_clients] * 2, [1 - top_revenue, 1], color="#b35900", linewidth=1.2, linestyle=":")
            facts = (
                f"HHI {fmt_number(concentration['hhi'], 3)}"
                f" = {fmt_number(concentration['effective_clients'], 1)} effective clients",
                f"largest client {fmt_pct(concentration['largest_client_share'])}, "
                f"{fmt_number(concentration['active_clients'])} active clients",
            )
            handles += [Line2D([], [], linestyle="none", label=fact) for fact in facts]  # text-only legend rows
        ax.legend(handles=ax.get_legend_handles_labels()[0] + handles, loc="upper left", fontsize=8.5, handlelength=1.8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("share of clients, smallest MRR first")
        ax.set_ylabel("cumulative share of MRR")
        ax.set_title("Lorenz curve of MRR")
        if concentration and concentration["is_largest_over_threshold"]:
            fig.suptitle(
                f"Concentration risk: {flag_text(concentration)}",
                color="white",
                fontsize=11,
                fontweight="bold",
                bbox={"facecolor": RED, "edgecolor": RED, "boxstyle": "round,pad=0.4"},
            )
        return _svg(fig, "lorenz")


def flag_text(concentration: dict[str, Any]) -> str:
    """`largest client 23.4% > 20% threshold`: the same words in the chart and the HTML."""
    share, threshold = concentration["largest_client_share"], concentration["concentration_threshold"]
    return f"largest client {fmt_pct(share)} > {threshold_text(threshold)} threshold"


def threshold_text(threshold: float) -> str:
    """A threshold as a percentage without needless decimals: `20%`, `17.5%`."""
    return fmt_pct(threshold, 0 if round(threshold * 100, 6).is_integer() else 1)


def _responses_panel(ax: Axes, months: Sequence[dt.date], counts: list[list[int]]) -> None:
    """Stacked answer counts per month; a month with few answers gets its n written above it."""
    bottom = np.zeros(len(months))
    for i, series in enumerate(counts):
        ax.bar(range(len(months)), series, bottom=bottom, width=0.7, color=SCALE_COLOURS[i % 4], alpha=0.45)
        bottom += np.asarray(series, dtype=float)
    for i, n in enumerate(bottom):
        if n < FEW_RESPONSES:
            ax.annotate(
                f"n={n:.0f}",
                (i, n),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color=RED,
            )
    ax.set_ylim(0, max(bottom.max(), 1) * 1.3)
    ax.set_ylabel("responses (n)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: fmt_number(value)))
    _month_axis(ax, months)


def _score_series(
    ax: Axes,
    values: list[float | None],
    moe: list[float | None],
    n: list[int],
    colour: str,
    label: str,
    limits: tuple[float, float],
) -> None:
    """A score line with its 95% band; months with few answers drawn hollow, months with none left out."""
    x = np.arange(len(values))
    v, e = _floats(values), _floats(moe)
    low, high = np.clip(v - e, *limits), np.clip(v + e, *limits)
    ax.fill_between(x, low, high, color=colour, alpha=0.15, linewidth=0)
    ax.plot(x, v, color=colour, linewidth=1.8, label=label)
    # a month without a neighbour has no band to draw: show its margin as a whisker instead
    known = ~np.isnan(v)
    alone = known & ~np.r_[False, known[:-1]] & ~np.r_[known[1:], False]
    ax.vlines(x[alone], low[alone], high[alone], color=colour, alpha=0.45, linewidth=2.5)
    few = np.array(n) < FEW_RESPONSES
    ax.plot(x[~few], v[~few], linestyle="none", marker="o", markersize=4, color=colour)
    ax.plot(x[few], v[few], linestyle="none", marker="o", markersize=5, markerfacecolor="white", color=colour)


def _from_first_answer(frame: pl.DataFrame, months: Sequence[dt.date]) -> list[dt.date]:
    """The window from the first month with answers: months before the survey began are not gaps."""
    first = frame["response_month"].min()
    return [m for m in months if m >= first]


def nps_trend(frame: pl.DataFrame, months: Sequence[dt.date]) -> str:
    """NPS per month with its 95% margin of error, and the answers behind each month."""
    months = _from_first_answer(frame, months)
    by_month = {r["response_month"]: r for r in frame.iter_rows(named=True)}
    rows = [by_month.get(m) for m in months]
    n = [r["responses"] if r else 0 for r in rows]
    with _style():
        fig = Figure(figsize=(10, 4.6), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.1))
        _score_series(
            top,
            [r["nps"] if r else None for r in rows],
            [r["nps_margin_of_error_95"] if r else None for r in rows],
            n,
            BLUE,
            "NPS",
            (-100, 100),
        )
        top.axhline(0, color=GREY, linewidth=0.8)
        top.set_ylabel("NPS (points)")
        top.set_title("NPS by month")
        _legend_few(fig, top)
        _responses_panel(bottom, months, [n])
        fig.align_ylabels()
        return _svg(fig, "nps_trend")


def csat_trend(frame: pl.DataFrame, months: Sequence[dt.date]) -> str:
    """CSAT top-box % per month and scale, with a 95% band of 1.96·√(p(1−p)/n) percentage points."""
    months = _from_first_answer(frame, months)
    scales = sorted({(r["scale_min"], r["scale_max"]) for r in frame.iter_rows(named=True)})
    with _style():
        fig = Figure(figsize=(10, 4.6), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.1))
        counts, band_lows = [], []
        for i, (low, high) in enumerate(scales):
            rows = {
                r["response_month"]: r
                for r in frame.filter((pl.col("scale_min") == low) & (pl.col("scale_max") == high)).iter_rows(
                    named=True
                )
            }
            values = [rows[m]["csat_pct"] if m in rows else None for m in months]
            n = [rows[m]["responses"] if m in rows else 0 for m in months]
            moe = [csat_margin_of_error(v, k) if v is not None else None for v, k in zip(values, n, strict=True)]
            _score_series(top, values, moe, n, SCALE_COLOURS[i % 4], f"{low}–{high} scale", (0, 100))
            counts.append(n)
            band_lows += [v - (e or 0) for v, e in zip(values, moe, strict=True) if v is not None]
        # from a round 10% below the lowest band (CSAT sits high; 0..100 would flatten every change)
        top.set_ylim(max(0, math.floor(min(band_lows) / 10) * 10 - 10), 102)
        top.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        top.set_ylabel("CSAT top box")
        top.set_title("CSAT top box by month and answer scale")
        _legend_few(fig, top)
        _responses_panel(bottom, months, counts)
        fig.align_ylabels()
        return _svg(fig, "csat_trend")


def csat_margin_of_error(csat_pct: float, responses: int) -> float | None:
    """95% margin of error of a top-box percentage, in percentage points: 1.96·√(p(1−p)/n)·100."""
    if responses <= 0:
        return None
    p = csat_pct / 100
    return 196 * math.sqrt(p * (1 - p) / responses)


def _legend_few(fig: Figure, ax: Axes) -> None:
    """Series, band and hollow-marker key in one row under the chart, clear of the data and the title."""
    band = Patch(color=GREY, alpha=0.25, label="95% margin of error")
    hollow = Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markerfacecolor="white",
        color=GREY,
        label=f"fewer than {FEW_RESPONSES} responses",
    )
    handles = ax.get_legend_handles_labels()[0] + [band, hollow]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, ncols=len(handles))


def book_value_history(frame: pl.DataFrame, currency: str) -> str:
    """Book value per month, after and before the concentration adjustment."""
    months = frame["valuation_month"].to_list()
    after, before = _floats(frame["book_value"].to_list()), _floats(frame["book_value_before_adjustment"].to_list())
    with _style():
        fig = Figure(figsize=(10, 3.4), layout="constrained")
        ax = fig.add_subplot()
        x = range(len(months))
        ax.fill_between(x, after, before, color=RED, alpha=0.12, linewidth=0, label="concentration adjustment")
        ax.plot(x, before, color=GREY, linestyle="--", linewidth=1.2, label="before adjustment")
        ax.plot(x, after, color=BLUE, marker="o", markersize=3.5, linewidth=1.8, label="book value")
        _month_axis(ax, months)
        _money_axis(ax, f"book value ({currency})")
        for i in np.flatnonzero(np.isnan(after)):  # a month the valuation could not be computed for
            ax.annotate(
                "not valued",
                (i, 0.03),
                xycoords=("data", "axes fraction"),
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=7.5,
                color=RED,
            )
        if not np.isnan(after[-1]):
            ax.annotate(
                fmt_number(after[-1]),
                (len(after) - 1, after[-1]),
                xytext=(-8, 6),
                textcoords="offset points",
                ha="right",
                va="bottom",
                color=BLUE,
                fontweight="bold",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
        fig.legend(loc="outside lower center", ncols=3, fontsize=8)
        ax.set_title("Book value by month")
        return _svg(fig, "book_value_history")
