"""Sections 1, 2, 3 and 5 of the report: headline, MRR bridge and trend, cohort retention, satisfaction."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import polars as pl

from warehouse.months import add_months
from warehouse.report import (
    charts_revenue,
    charts_survey,
    fmt_money,
    fmt_month,
    fmt_number,
    fmt_pct,
    fmt_signed,
    queries_revenue,
)
from warehouse.report.fragments import Row, card, first_row, flag, for_month, no_data


def pooled_nps(responses: int, promoters: int, detractors: int) -> tuple[float, float] | None:
    """NPS and its 95% margin of error over pooled answers (docs/metrics.md, NPS); None without answers."""
    if not responses:
        return None
    p, d = promoters / responses, detractors / responses
    return 100 * (p - d), 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / responses)


def headline(
    conn: duckdb.DuckDBPyConnection,
    month: dt.date,
    bridge: Row,
    concentration: Row | None,
    valuation: Row | None,
    currency: str,
) -> str:
    """Section 1: the headline cards (clients, MRR, NRR/GRR, trailing NPS, book value) and the flag."""
    churn = first_row(queries_revenue.churn_row(conn, month))
    nps_counts = first_row(queries_revenue.trailing_nps(conn, month))
    nps = pooled_nps(nps_counts["responses"], nps_counts["promoters"], nps_counts["detractors"]) if nps_counts else None
    window = f"{fmt_month(add_months(month, 1 - queries_revenue.TRAILING_NPS_MONTHS))} to {fmt_month(month)}"
    cards = [
        card("Active clients", fmt_number(bridge["ending_customers"]), f"at the end of {fmt_month(month)}"),
        card("MRR", fmt_money(bridge["ending_mrr"], currency), f"ARR {fmt_money(12 * bridge['ending_mrr'], currency)}"),
        card(
            "NRR / GRR",
            f"{fmt_pct(churn['net_revenue_retention'])} / {fmt_pct(churn['gross_revenue_retention'])}"
            if churn
            else "no data",
            "net / gross revenue retention of the month",
        ),
        card(
            f"NPS, trailing {queries_revenue.TRAILING_NPS_MONTHS} months",
            f"{fmt_signed(nps[0])} ± {fmt_number(nps[1], 1)}" if nps else "no data",
            f"{fmt_number(nps_counts['responses'])} responses, {window}" if nps and nps_counts else window,
        ),
        _book_card(valuation, currency),
    ]
    return f'<div class="cards">{"".join(cards)}</div>\n{flag(conn, month, concentration)}'


def _book_card(valuation: Row | None, currency: str) -> str:
    if valuation is None:
        return card("Book value", "no data")
    if valuation["book_value"] is None:  # the month could not be valued; `method` says why
        return card("Book value", "not valued", str(valuation["method"]))
    return card(
        "Book value",
        fmt_money(valuation["book_value"], currency),
        f"{fmt_money(valuation['book_value_before_adjustment'], currency)} before a concentration adjustment of "
        f"{fmt_money(valuation['concentration_adjustment'], currency)}",
    )


def mrr_bridge_and_trend(bridge: pl.DataFrame, currency: str) -> str:
    """Section 2: the month's MRR bridge, then the ending-MRR trend."""
    return charts_revenue.mrr_bridge(bridge.row(-1, named=True), currency) + charts_revenue.mrr_trend(bridge, currency)


def cohort_retention(conn: duckdb.DuckDBPyConnection, month: dt.date) -> str:
    """Section 3: the cohort retention heatmap and how to read it."""
    frame = queries_revenue.cohorts(conn, month)
    if frame is None or frame.is_empty():
        return no_data(conn, "metrics.retention_by_cohort", for_month(month))
    return (
        charts_revenue.cohort_heatmap(frame) + '<p class="note">Share of each cohort\'s clients active n months after '
        "their first active month (logo retention), for the last 24 cohorts, as known in "
        f"{fmt_month(month)}.</p>\n"
    )


def client_satisfaction(conn: duckdb.DuckDBPyConnection, month: dt.date) -> str:
    """Section 5: NPS and CSAT over the last 24 months, with their margins of error."""
    months = [add_months(month, i - queries_revenue.TREND_MONTHS + 1) for i in range(queries_revenue.TREND_MONTHS)]
    nps = queries_revenue.survey_trend(conn, "nps_by_month", month)
    csat = queries_revenue.survey_trend(conn, "csat_by_month", month)
    window = f"from {fmt_month(months[0])} to {fmt_month(month)}"
    return (
        "<h3>NPS</h3>\n"
        + (
            charts_survey.nps_trend(nps, months)
            if nps is not None and nps.height
            else no_data(conn, "metrics.nps_by_month", window)
        )
        + "<h3>CSAT</h3>\n"
        + (
            charts_survey.csat_trend(csat, months)
            if csat is not None and csat.height
            else no_data(conn, "metrics.csat_by_month", window)
        )
        + '<p class="note">Shaded bands are 95% margins of error. NPS: ±1.96·√((p+d−(p−d)²)/n)·100 points, as '
        "stored in metrics.nps_by_month. CSAT: ±1.96·√(p(1−p)/n) in percentage points, computed by this report "
        "from the top-box share p and the responses n (it gives no band at 0% or 100%). Hollow markers: "
        f"fewer than {charts_survey.FEW_RESPONSES} responses; a month without answers is a gap in the line and shows "
        "n=0 below it.</p>\n"
    )
