"""What the headline, revenue and satisfaction sections read: MRR, churn, cohorts and survey scores."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.months import add_months
from warehouse.report.queries import select

TREND_MONTHS = 24  # the trend charts, the cohort heatmap and its months since start
TRAILING_NPS_MONTHS = 12  # the headline NPS pools the answers of the 12 months ending with M


def mrr_months(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame:
    """The MRR bridge of the last 24 months ending with `month` (the last row is the month's own bridge)."""
    frame = select(
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
    return select(
        conn,
        "metrics",
        "churn_by_month",
        "select net_revenue_retention, gross_revenue_retention, logo_churn_rate from {table} where revenue_month = ?",
        [month],
    )


def trailing_nps(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """Answer counts of the trailing NPS window, pooled (one row; responses 0 when none)."""
    return select(
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
    return select(
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


def survey_trend(conn: duckdb.DuckDBPyConnection, table: str, month: dt.date) -> pl.DataFrame | None:
    """The rows of metrics.nps_by_month or metrics.csat_by_month for the last 24 months."""
    if table not in ("nps_by_month", "csat_by_month"):
        raise ValueError(f"not a survey trend table: {table!r}")
    return select(
        conn,
        "metrics",
        table,
        "select * from {table} where response_month between ? and ? order by all",
        [add_months(month, 1 - TREND_MONTHS), month],
    )
