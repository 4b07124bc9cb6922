"""What the report reads: one parameterised query per section, over a read-only connection.

A section's table may be missing (an older warehouse, no survey extract): its query then returns
None and the section says so. Only `metrics.mrr_by_month`, which fixes the reporting month, must
exist. Money is read as DOUBLE: the report rounds it for display and never adds it up.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.db import qualified
from warehouse.report import ReportError, add_months, fmt_month

TREND_MONTHS = 24  # the trend charts, the cohort heatmap and its months since start
TOP_RISKS = 10
TRAILING_NPS_MONTHS = 12  # the headline NPS pools the answers of the 12 months ending with M


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only: a report never changes the file (builds write a copy and swap it in)."""
    if not warehouse.exists():
        raise ReportError(f"warehouse file {warehouse} does not exist")
    if not warehouse.is_file():
        raise ReportError(f"warehouse {warehouse} is not a file")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise ReportError(f"cannot open {warehouse} read-only: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def has_table(conn: duckdb.DuckDBPyConnection, layer: str, table: str) -> bool:
    """Whether `layer.table` exists (as a table or a view)."""
    row = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [layer, table]
    ).fetchone()
    return bool(row and row[0])


def _select(
    conn: duckdb.DuckDBPyConnection, layer: str, table: str, sql: str, params: list[Any]
) -> pl.DataFrame | None:
    """Run `sql` with `{table}` replaced by the checked address; None when the table is missing."""
    if not has_table(conn, layer, table):
        return None
    try:
        return conn.execute(sql.format(table=qualified(layer, table)), params).pl()
    except duckdb.Error as exc:
        raise ReportError(f"cannot read {layer}.{table}: {_first_line(exc)}") from None


def report_month(conn: duckdb.DuckDBPyConnection, month: dt.date | None) -> dt.date:
    """The month asked for, checked against metrics.mrr_by_month; by default its latest month."""
    months = _select(conn, "metrics", "mrr_by_month", "select distinct revenue_month from {table} order by 1", [])
    if months is None:
        raise ReportError("table metrics.mrr_by_month is missing: build the warehouse with `clientbook run` first")
    available = months["revenue_month"].to_list()
    if not available:
        raise ReportError("metrics.mrr_by_month has no rows: there is no month to report on")
    if month is None:
        return available[-1]
    if month not in available:
        span = f"{fmt_month(available[0])} to {fmt_month(available[-1])}"
        raise ReportError(f"month {fmt_month(month)} is not in metrics.mrr_by_month (it holds {span})")
    return month


def mrr_months(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame:
    """The MRR bridge of the last 24 months ending with `month` (the last row is the month's own bridge)."""
    frame = _select(
        conn,
        "metrics",
        "mrr_by_month",
        """
        select
            revenue_month,
            starting_mrr::double as starting_mrr,
            new_mrr::double as new_mrr,
            expansion_mrr::double as expansion_mrr,
            reactivation_mrr::double as reactivation_mrr,
            contraction_mrr::double as contraction_mrr,
            churned_mrr::double as churned_mrr,
            ending_mrr::double as ending_mrr,
            ending_customers,
            reporting_currency
        from {table}
        where revenue_month between ? and ?
        order by revenue_month
        """,
        [add_months(month, 1 - TREND_MONTHS), month],
    )
    assert frame is not None  # report_month has checked the table exists
    return frame


def churn_row(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """NRR, GRR and logo churn of the month."""
    return _select(
        conn,
        "metrics",
        "churn_by_month",
        "select net_revenue_retention, gross_revenue_retention, logo_churn_rate from {table} where revenue_month = ?",
        [month],
    )


def trailing_nps(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """Answer counts of the trailing NPS window, pooled (one row; responses 0 when none)."""
    return _select(
        conn,
        "metrics",
        "nps_by_month",
        """
        select
            coalesce(sum(responses), 0) as responses,
            coalesce(sum(promoters), 0) as promoters,
            coalesce(sum(detractors), 0) as detractors
        from {table}
        where response_month between ? and ?
        """,
        [add_months(month, 1 - TRAILING_NPS_MONTHS), month],
    )


def cohorts(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """Logo retention of the last 24 cohorts up to `month`, 0..24 months since start, as known in `month`."""
    return _select(
        conn,
        "metrics",
        "retention_by_cohort",
        """
        with

        last_cohorts as (
            select distinct cohort_month
            from {table}
            where cohort_month <= ?
            order by cohort_month desc
            limit ?
        )

        select
            retention.cohort_month,
            retention.months_since_start,
            retention.cohort_customers,
            retention.logo_retention
        from {table} as retention
        inner join last_cohorts on retention.cohort_month = last_cohorts.cohort_month
        where retention.revenue_month <= ? and retention.months_since_start <= ?
        order by retention.cohort_month, retention.months_since_start
        """,
        [month, TREND_MONTHS, month, TREND_MONTHS],
    )


# The month column of each table read whole for one month; only these are ever interpolated.
MONTH_COLUMNS = {
    ("metrics", "concentration_by_month"): "revenue_month",
    ("metrics", "concentration_by_segment_month"): "revenue_month",
    ("metrics", "lorenz_by_month"): "revenue_month",
    ("valuation", "book_valuation_by_month"): "valuation_month",
    ("valuation", "book_valuation_sensitivity"): "valuation_month",
    ("valuation", "book_valuation_by_segment"): "valuation_month",
}


def month_rows(conn: duckdb.DuckDBPyConnection, layer: str, table: str, month: dt.date) -> pl.DataFrame | None:
    """Every column of the rows of `month` in a table keyed by month (its month column is looked up)."""
    column = MONTH_COLUMNS[(layer, table)]
    sql = f"select * exclude ({column}) from {{table}} where {column} = ? order by all"
    return _select(conn, layer, table, sql, [month])


def survey_trend(conn: duckdb.DuckDBPyConnection, table: str, month: dt.date) -> pl.DataFrame | None:
    """The rows of metrics.nps_by_month or metrics.csat_by_month for the last 24 months."""
    if table not in ("nps_by_month", "csat_by_month"):
        raise ValueError(f"not a survey trend table: {table!r}")
    return _select(
        conn,
        "metrics",
        table,
        "select * from {table} where response_month between ? and ? order by all",
        [add_months(month, 1 - TREND_MONTHS), month],
    )


def book_value_history(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """Book value, before and after the concentration adjustment, for every month up to `month`."""
    return _select(
        conn,
        "valuation",
        "book_valuation_by_month",
        """
        select
            valuation_month,
            book_value::double as book_value,
            book_value_before_adjustment::double as book_value_before_adjustment
        from {table}
        where valuation_month <= ?
        order by valuation_month
        """,
        [month],
    )


def top_risks(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """The 10 clients with the most expected MRR at risk (churn probability × MRR): ids only, never names."""
    return _select(
        conn,
        "metrics",
        "churn_risk_by_customer",
        """
        select
            customer_id,
            mrr::double as mrr,
            churn_probability,
            churn_probability * mrr::double as expected_mrr_at_risk,
            risk_decile
        from {table}
        where reference_month = ?
        order by expected_mrr_at_risk desc nulls last, customer_id
        limit ?
        """,
        [month, TOP_RISKS],
    )


def cost_over_revenue(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """How many of the month's clients cost more than they bring in, out of how many."""
    return _select(
        conn,
        "metrics",
        "profit_by_customer_month",
        """
        select
            count(*) filter (where is_cost_over_revenue) as cost_over_revenue,
            count(*) as clients
        from {table}
        where revenue_month = ?
        """,
        [month],
    )


def backtest_summary(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """Mean ROC AUC and precision in the top decile per churn model, over backtests up to `month`."""
    return _select(
        conn,
        "metrics",
        "churn_backtest",
        """
        select
            model,
            count(*) as backtests,
            min(backtest_month) as first_month,
            max(backtest_month) as last_month,
            avg(roc_auc) as mean_roc_auc,
            avg(precision_top_decile) as mean_precision_top_decile
        from {table}
        where backtest_month <= ?
        group by model
        order by model
        """,
        [month],
    )
