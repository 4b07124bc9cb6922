"""The survey charts: NPS and CSAT by month, each with its 95% band and the answers behind it."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from warehouse.report import fmt_number
from warehouse.report.svg import BLUE, GREY, RED, chart_style, floats, month_axis, to_svg

SCALE_COLOURS = ("#1f4e79", "#b35900", "#6a3d9a", "#2e7d32")
FEW_RESPONSES = 30  # below this many answers a month's score is drawn hollow and its n is written out


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
    month_axis(ax, months)


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
    v, e = floats(values), floats(moe)
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
    with chart_style():
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
        return to_svg(fig, "nps_trend")


def csat_trend(frame: pl.DataFrame, months: Sequence[dt.date]) -> str:
    """CSAT top-box % per month and scale, with a 95% band of 1.96·√(p(1−p)/n) percentage points."""
    months = _from_first_answer(frame, months)
    scales = sorted({(r["scale_min"], r["scale_max"]) for r in frame.iter_rows(named=True)})
    with chart_style():
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
        return to_svg(fig, "csat_trend")


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
