"""DuckDB idioms shared by every layer: reading SQL files, replacing a table in one transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

SQL_DIR = Path(__file__).parent / "sql"
# Layers double as DuckDB schemas; only these names are ever interpolated into SQL.
LAYERS = ("raw", "staging", "marts", "metrics", "valuation", "restricted")


def qualified(layer: str, table: str) -> str:
    """Return `layer.table` after checking both parts are code identifiers, never input."""
    if layer not in LAYERS:
        raise ValueError(f"unknown warehouse layer {layer!r}")
    if not table.replace("_", "").isalnum() or not table.islower():
        raise ValueError(f"not a plain table identifier: {table!r}")
    return f"{layer}.{table}"


def quote_identifier(name: str) -> str:
    """A column or table name read from the catalogue, double-quoted for SQL text (never a value)."""
    return '"' + name.replace('"', '""') + '"'


def read_sql(layer: str, table: str) -> str:
    """Return the select statement stored in `warehouse/sql/<layer>/<table>.sql`."""
    qualified(layer, table)
    return (SQL_DIR / layer / f"{table}.sql").read_text(encoding="utf-8").strip().rstrip(";")


def used_params(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """DuckDB rejects unused named parameters, so pass only the `$name`s the statement uses."""
    names = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
    missing = names - params.keys()
    if missing:
        raise KeyError(f"SQL needs settings that were not given: {sorted(missing)}")
    return {k: v for k, v in params.items() if k in names}


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside commits together or not at all."""
    conn.execute("begin transaction")
    try:
        yield
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def replace_table(
    conn: duckdb.DuckDBPyConnection, layer: str, table: str, select_sql: str, params: Mapping[str, Any]
) -> int:
    """Replace `layer.table` with the result of `select_sql` atomically and return its row count."""
    target = qualified(layer, table)
    with transaction(conn):
        conn.execute(f"create schema if not exists {layer}")
        conn.execute(f"create or replace table {target} as {select_sql}", used_params(select_sql, params))
    return row_count(conn, layer, table)


def replace_table_from_frame(
    conn: duckdb.DuckDBPyConnection, layer: str, table: str, frame: pl.DataFrame
) -> int:
    """Replace `layer.table` with the rows of a Polars frame, atomically."""
    conn.register("_incoming_frame", frame.to_arrow())
    try:
        return replace_table(conn, layer, table, "select * from _incoming_frame", {})
    finally:
        conn.unregister("_incoming_frame")


# The money conversion every SQL file shares (docs/metrics.md, "Recognised revenue"): an amount in
# `currency` to the reporting currency through the EUR-based rates (EUR itself needs none), in whole
# cents and whole millionths of a rate, rounded half away from zero to the cent: exact integers.
# The rates are widened first: a rate of a million units or more (the old Turkish lira's 1,912,400
# in the ECB history) overflows DECIMAL(18, 6) once scaled to millionths.
FX_CONVERT_MACRO = """
create or replace temp macro fx_convert(amount, currency, units_per_eur, reporting_currency, reporting_units_per_eur)
as ((
    sign(amount) * (
        (
            2 * (abs(amount)::decimal(38, 2) * 100)::hugeint
            * (case when reporting_currency = 'EUR' then 1 else reporting_units_per_eur end::decimal(38, 6)
                * 1000000)::hugeint
            + (case when currency = 'EUR' then 1 else units_per_eur end::decimal(38, 6) * 1000000)::hugeint
        ) // (2 * (case when currency = 'EUR' then 1 else units_per_eur end::decimal(38, 6) * 1000000)::hugeint)
    )
)::decimal(38, 0) * 0.01)::decimal(18, 2)
"""


def build_from_file(
    conn: duckdb.DuckDBPyConnection, layer: str, table: str, params: Mapping[str, Any]
) -> int:
    """Replace `layer.table` with its SQL file's result; the usual body of a thin asset."""
    conn.execute(FX_CONVERT_MACRO)
    return replace_table(conn, layer, table, read_sql(layer, table), params)


def row_count(conn: duckdb.DuckDBPyConnection, layer: str, table: str) -> int:
    """Number of rows in `layer.table`."""
    result = conn.execute(f"select count(*) from {qualified(layer, table)}").fetchone()
    return int(result[0]) if result else 0


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A markdown table for Dagster metadata; None shows as an empty cell."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def preview_markdown(conn: duckdb.DuckDBPyConnection, layer: str, table: str, limit: int = 12) -> str:
    """A markdown preview of aggregate tables only: customer-level tables hold personal data."""
    rel = conn.sql(f"select * from {qualified(layer, table)} limit {int(limit)}")
    return markdown_table(rel.columns, rel.fetchall())


def schema_markdown(conn: duckdb.DuckDBPyConnection, layer: str, table: str) -> str:
    """Column names and types as markdown: safe to show for tables that hold personal data."""
    rel = conn.sql(f"select * from {qualified(layer, table)} limit 0")
    return markdown_table(("column", "type"), zip(rel.columns, rel.types, strict=True))
