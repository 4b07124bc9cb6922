"""The revenue charts: the month's MRR bridge, the ending-MRR trend and the cohort retention heatmap."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import matplotlib
import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from warehouse.report import fmt_month, fmt_number
from warehouse.report.svg import BLUE, GREEN, GREY, RED, chart_style, money_axis, month_axis, to_svg


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
    with chart_style():
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
        money_axis(ax, f"MRR ({currency})")
        ax.set_title(f"MRR bridge, {fmt_month(bridge['revenue_month'])}")
        return to_svg(fig, "mrr_bridge")


def mrr_trend(frame: pl.DataFrame, currency: str) -> str:
    """Ending MRR of each of the last 24 months, the last one labelled."""
    months, values = frame["revenue_month"].to_list(), frame["ending_mrr"].to_list()
    with chart_style():
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
        month_axis(ax, months)
        money_axis(ax, f"MRR ({currency})")
        ax.set_title(f"Ending MRR, {fmt_month(months[0])} to {fmt_month(months[-1])}")
        return to_svg(fig, "mrr_trend")


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
    with chart_style():
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
        return to_svg(fig, "cohort_heatmap")
