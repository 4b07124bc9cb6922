"""Month partitions written idempotently, and the restatement log of closed months that changed.

A partitioned table is replaced month by month: the months of a run's range are deleted and
inserted again in one transaction, so a rerun or a second backfill leaves the same rows. A month
that was written before and now comes out different (a late credit note, a corrected file) is a
restatement: its rows get `is_restated = true` for good, and `metrics.restatement_log` records the
table, the month, the files loaded since the month was last written, and the totals before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from warehouse.db import qualified, quote_identifier, transaction, used_params

STATE = "metrics.partition_state"
LOG = "metrics.restatement_log"
STATE_DDL = f"""
create table if not exists {STATE} (
    table_name varchar not null, partition_month date not null, row_count bigint, row_hash hugeint,
    total decimal(38, 6), is_restated boolean, written_at timestamp, run_id varchar
)"""
LOG_DDL = f"""
create table if not exists {LOG} (
    table_name varchar not null, restated_month date not null, total_column varchar,
    rows_before bigint, rows_after bigint, total_before decimal(38, 6), total_after decimal(38, 6),
    files varchar, as_of_date date, run_id varchar, logged_at timestamp
)"""
FLAG = "is_restated"


class PartitionError(Exception):
    """A partition write that would lose rows or mix table versions; the message says what to do."""


@dataclass(frozen=True)
class MonthTable:
    """A month-grain table: where it lives, its month column, and the column its log totals sum."""

    layer: str
    table: str
    month_column: str
    total_column: str | None  # None where a sum over the month means nothing (shares, curve points)

    @property
    def name(self) -> str:
        return qualified(self.layer, self.table)


@dataclass
class PartitionWrite:
    """What one write did: rows and months written, and the months restated."""

    rows: int = 0
    months: int = 0
    restated: list[dt.date] = field(default_factory=list)



def _shape(conn: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """Column names and types: a table of another shape must not be mixed with new rows."""
    return [(r[0], r[1]) for r in conn.execute(f"describe {relation}").fetchall()]


def _table_exists(conn: duckdb.DuckDBPyConnection, spec: MonthTable) -> bool:
    row = conn.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? and table_name = ?", [spec.layer, spec.table]
    ).fetchone()
    return bool(row and row[0])


def _per_month(conn: duckdb.DuckDBPyConnection, relation: str, spec: MonthTable, columns: list[str],
               start: dt.date, end: dt.date) -> dict[dt.date, tuple[int, int, object]]:
    """month → (rows, sum of row hashes, total) over the months start..end of `relation`."""
    month = quote_identifier(spec.month_column)
    total = quote_identifier(spec.total_column) if spec.total_column else "null"
    hashed = f"hash({', '.join(quote_identifier(c) for c in columns)})"
    rows = conn.execute(
        f"select {month}, count(*), sum({hashed}::hugeint), sum({total}) from {relation} "
        f"where {month} between ? and ? group by all",
        [start, end],
    ).fetchall()
    return {m: (int(n), int(h), t) for m, n, h, t in rows}


def write_months(
    conn: duckdb.DuckDBPyConnection, spec: MonthTable, select_sql: str, params: Mapping[str, Any],
    start: dt.date, end: dt.date, first: dt.date, run_id: str, as_of: dt.date,
) -> PartitionWrite:
    """Replace the months start..end of `spec` with the rows `select_sql` gives them, in one transaction."""
    target = spec.name
    month = quote_identifier(spec.month_column)
    result = PartitionWrite()
    with transaction(conn):
        conn.execute(f"create schema if not exists {spec.layer}")
        conn.execute(STATE_DDL)
        conn.execute(LOG_DDL)
        conn.execute(f"create or replace temp table _partition_rows as {select_sql}", used_params(select_sql, params))
        early, undated = conn.execute(
            f"select count(*) filter (where {month} < ?), count(*) filter (where {month} is null) "
            "from _partition_rows", [first]
        ).fetchone() or (0, 0)
        if early:
            raise PartitionError(
                f"{target}: {early} row(s) are older than the first partition {first:%Y-%m}; set "
                "CLIENTBOOK_FIRST_MONTH (YYYY-MM) to the first month of your history and run again"
            )
        if undated:  # every row belongs to a month; one without is a defect, never dropped quietly
            raise PartitionError(
                f"{target}: {undated} row(s) without a month came out of its SQL; nothing was written "
                "(a defect: please report it)"
            )
        # rows after `end` belong to later partitions: tables read from upstream tables that may
        # already hold later months; those months are written by the runs that cover them
        shape = _shape(conn, "_partition_rows")
        columns = [name for name, _ in shape]
        if _table_exists(conn, spec) and _shape(conn, target) != [*shape, (FLAG, "BOOLEAN")]:
            if start > first:  # a backfill of some months must not mix two shapes of the table
                raise PartitionError(
                    f"{target} was built by another version of clientbook (its columns differ): run every "
                    f"month from {first:%Y-%m} (`clientbook run`, or a backfill from the first month; "
                    "docs/operations.md, Upgrading)"
                )
            # a run over every month (the nightly run after an upgrade) rebuilds the table in the new
            # shape; months restated before stay marked (their state rows are kept)
            conn.execute(f"drop table {target}")
        conn.execute(f"create table if not exists {target} as select *, false as {FLAG} from _partition_rows limit 0")
        before = _per_month(conn, target, spec, columns, start, end)
        after = _per_month(conn, "_partition_rows", spec, columns, start, end)
        flagged = {m for (m,) in conn.execute(
            f"select partition_month from {STATE} where table_name = ? and is_restated "
            "and partition_month between ? and ?", [target, start, end]
        ).fetchall()}
        result.restated = sorted(m for m in before if before[m][:2] != after.get(m, (0, 0))[:2])
        marked = sorted(flagged | set(result.restated))
        conn.execute(f"delete from {target} where {month} between ? and ?", [start, end])
        conn.execute(
            f"insert into {target} select *, {month} in (select unnest(?::date[])) from _partition_rows "
            f"where {month} between ? and ?",
            [marked, start, end],
        )
        _log(conn, spec, before, after, result.restated, as_of, run_id)
        conn.execute(f"delete from {STATE} where table_name = ? and partition_month between ? and ?",
                     [target, start, end])
        for m, (n, h, total) in sorted(after.items()):
            conn.execute(f"insert into {STATE} values (?, ?, ?, ?, ?, ?, (now() at time zone 'UTC'), ?)",
                         [target, m, n, h, total, m in marked, run_id])
        conn.execute("drop table _partition_rows")
        result.rows = sum(v[0] for v in after.values())
        result.months = len(after)
    return result


def _log(conn: duckdb.DuckDBPyConnection, spec: MonthTable, before: Mapping[dt.date, tuple[int, int, object]],
         after: Mapping[dt.date, tuple[int, int, object]], restated: list[dt.date], as_of: dt.date,
         run_id: str) -> None:
    """One log row per restated month, naming the files loaded since that month was last written."""
    for m in restated:
        rows_before, _, total_before = before[m]
        rows_after, _, total_after = after.get(m, (0, 0, None))
        conn.execute(
            f"insert into {LOG} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (now() at time zone 'UTC'))",
            [spec.name, m, spec.total_column, rows_before, rows_after, total_before, total_after,
             _files_since(conn, spec.name, m), as_of, run_id],
        )


def _files_since(conn: duckdb.DuckDBPyConnection, table: str, month: dt.date) -> str:
    """The extract files loaded since the month was last written: why it changed."""
    try:
        row = conn.execute(
            "select string_agg(distinct file_name, ', ' order by file_name) from raw.file_manifest "
            f"where status = 'loaded' and status_at >= (select max(written_at) from {STATE} "
            "where table_name = ? and partition_month = ?)",
            [table, month],
        ).fetchone()
    except duckdb.CatalogException:  # a warehouse with no manifest (a unit test's)
        return "no file recorded"
    return (row[0] if row else None) or "no new file: settings, code or an erasure changed it"
