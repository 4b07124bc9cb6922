"""What the report reads: one parameterised query per section, over a read-only connection.

A section's table may be missing (an older warehouse, no survey extract): its query then returns
None and the section says so. Only `metrics.mrr_by_month`, which fixes the reporting month, must
exist. Money is read as DOUBLE: the report rounds it for display and never adds it up.

This module holds the connection, the guarded `select` every query goes through and the reporting
month; `queries_revenue` and `queries_value` hold the sections' own queries.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.db import qualified
from warehouse.report import ReportError, fmt_month


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


def select(conn: duckdb.DuckDBPyConnection, layer: str, table: str, sql: str, params: list[Any]) -> pl.DataFrame | None:
    """Run `sql` with `{table}` replaced by the checked address; None when the table is missing."""
    if not has_table(conn, layer, table):
        return None
    try:
        return conn.execute(sql.format(table=qualified(layer, table)), params).pl()
    except duckdb.Error as exc:
        raise ReportError(f"cannot read {layer}.{table}: {_first_line(exc)}") from None


def report_month(conn: duckdb.DuckDBPyConnection, month: dt.date | None) -> dt.date:
    """The month asked for, checked against metrics.mrr_by_month; by default its latest month."""
    months = select(conn, "metrics", "mrr_by_month", "select distinct revenue_month from {table} order by 1", [])
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
    return select(conn, layer, table, sql, [month])
