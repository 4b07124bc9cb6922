"""The value charts: the Lorenz curve of MRR with its concentration flag, and the book value history."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from warehouse.report import fmt_number, fmt_pct
from warehouse.report.svg import BLUE, GREY, RED, chart_style, floats, money_axis, month_axis, to_svg


def lorenz(points: pl.DataFrame, concentration: dict[str, Any] | None) -> str:
    """Lorenz curve of MRR with the equality line, the Pareto point and, if over it, the threshold flag."""
    ordered = points.sort("client_share")
    x, y = ordered["client_share"].to_list(), ordered["revenue_share"].to_list()
    with chart_style():
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
        return to_svg(fig, "lorenz")


def flag_text(concentration: dict[str, Any]) -> str:
    """`largest client 23.4% > 20% threshold`: the same words in the chart and the HTML."""
    share, threshold = concentration["largest_client_share"], concentration["concentration_threshold"]
    return f"largest client {fmt_pct(share)} > {threshold_text(threshold)} threshold"


def threshold_text(threshold: float) -> str:
    """A threshold as a percentage without needless decimals: `20%`, `17.5%`."""
    return fmt_pct(threshold, 0 if round(threshold * 100, 6).is_integer() else 1)


def book_value_history(frame: pl.DataFrame, currency: str) -> str:
    """Book value per month, after and before the concentration adjustment."""
    months = frame["valuation_month"].to_list()
    after, before = floats(frame["book_value"].to_list()), floats(frame["book_value_before_adjustment"].to_list())
    with chart_style():
        fig = Figure(figsize=(10, 3.4), layout="constrained")
        ax = fig.add_subplot()
        x = range(len(months))
        ax.fill_between(x, after, before, color=RED, alpha=0.12, linewidth=0, label="concentration adjustment")
        ax.plot(x, before, color=GREY, linestyle="--", linewidth=1.2, label="before adjustment")
        ax.plot(x, after, color=BLUE, marker="o", markersize=3.5, linewidth=1.8, label="book value")
        month_axis(ax, months)
        money_axis(ax, f"book value ({currency})")
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
        return to_svg(fig, "book_value_history")
