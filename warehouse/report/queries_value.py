"""What the valuation and risk sections read: book value history, top risks, unprofitable clients, backtests."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.report.queries import select

TOP_RISKS = 10


def book_value_history(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame | None:
    """Book value, before and after the concentration adjustment, for every month up to `month`."""
    return select(
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
    return select(
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
    return select(
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
    return select(
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
