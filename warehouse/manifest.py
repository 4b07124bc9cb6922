"""The file manifest: every landed file version the warehouse has met, and what became of it.

Raw tables are appended file by file: a file version (name + SHA-256) is read once. A file whose
bytes equal a loaded file's is `skipped_duplicate`; a new version at the same name `replaced`
the earlier one, whose rows leave the raw table in the same transaction. Statuses: `loaded`,
`skipped_duplicate`, `replaced`, `rejected` (with a file-level reason code).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import duckdb
import polars as pl

from warehouse.contract import Extract
from warehouse.db import qualified, transaction

MANIFEST = "raw.file_manifest"
ERASED_SUBJECT = "erased_subject"
MANIFEST_DDL = f"""
create table if not exists {MANIFEST} (
    file_sha256 varchar not null, file_name varchar not null, source varchar, entity varchar,
    profile varchar, format varchar, encoding varchar, size_bytes bigint, modified_at timestamp,
    extract_date date, status varchar not null, reason_code varchar, message varchar,
    rows_read bigint, first_seen_at timestamp, status_at timestamp, run_id varchar
)"""


@dataclass(frozen=True)
class FileVersion:
    """What the manifest records about one file version when it is first met."""

    sha256: str
    name: str
    entity: str
    source: str
    profile: str
    format: str | None
    encoding: str | None
    size: int
    modified_at: dt.datetime
    extract_date: dt.date | None
    run_id: str


def ensure(conn: duckdb.DuckDBPyConnection, extract: Extract) -> None:
    """Create the manifest and the extract's raw table; a raw table from before the manifest is rebuilt."""
    conn.execute("create schema if not exists raw")
    conn.execute(MANIFEST_DDL)
    table = qualified("raw", extract.raw_table)
    cols = conn.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
        [extract.raw_table],
    ).fetchall()
    if cols and "_file_sha256" not in {c[0] for c in cols}:
        conn.execute(f"drop table {table}")
    columns = ", ".join(f"{c} varchar" for c in extract.column_names)
    conn.execute(
        f"create table if not exists {table} ({columns}, _source_file varchar, _file_sha256 varchar, "
        "_line_number bigint, _row_problem varchar)"
    )


def status_of(conn: duckdb.DuckDBPyConnection, entity: str, name: str, sha256: str) -> str | None:
    """The recorded status of this exact file version, if it was met before."""
    row = conn.execute(
        f"select status from {MANIFEST} where entity = ? and file_name = ? and file_sha256 = ? "
        "order by status_at desc limit 1",
        [entity, name, sha256],
    ).fetchone()
    return row[0] if row else None


def loaded_copy(conn: duckdb.DuckDBPyConnection, entity: str, sha256: str) -> str | None:
    """The name of a loaded file of the entity with the same bytes, if any."""
    row = conn.execute(
        f"select file_name from {MANIFEST} where entity = ? and file_sha256 = ? and status = 'loaded' limit 1",
        [entity, sha256],
    ).fetchone()
    return row[0] if row else None


def record(conn: duckdb.DuckDBPyConnection, v: FileVersion, status: str, reason: str | None = None,
           message: str | None = None, rows: int | None = None) -> None:
    """Add one manifest row for a file version."""
    conn.execute(
        f"insert into {MANIFEST} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (now() at time zone 'UTC'), "
        "(now() at time zone 'UTC'), ?)",
        [v.sha256, v.name, v.source, v.entity, v.profile, v.format, v.encoding, v.size, v.modified_at,
         v.extract_date, status, reason, message, rows, v.run_id],
    )


def load(conn: duckdb.DuckDBPyConnection, extract: Extract, v: FileVersion,
         frames: pl.DataFrame | Iterable[pl.DataFrame], erased: int | Callable[[], int] = 0) -> int:
    """Append the file's rows and record it as loaded; an earlier version at that name is replaced.

    `frames`: the file's rows, whole or in pieces (read while loading; a `FileRejected` raised by a
    piece rolls everything back). `erased` rows of erased clients were left out: `rows_read` counts
    them (the file's rows) and the reason code `erased_subject` says how many are not in the raw
    table; a callable is asked once every piece is in.

    One transaction: a file is either wholly in the raw table and the manifest, or not at all.
    """
    table = qualified("raw", extract.raw_table)
    rows = 0
    with transaction(conn):
        conn.execute(
            f"delete from {table} where _source_file = ? and _file_sha256 <> ?", [v.name, v.sha256]
        )
        conn.execute(
            f"update {MANIFEST} set status = 'replaced', status_at = (now() at time zone 'UTC') "
            "where entity = ? and file_name = ? and file_sha256 <> ? and status = 'loaded'",
            [extract.entity, v.name, v.sha256],
        )
        for frame in [frames] if isinstance(frames, pl.DataFrame) else frames:
            incoming = frame.with_columns(pl.lit(v.name).alias("_source_file"), pl.lit(v.sha256).alias("_file_sha256"))
            conn.register("_incoming", incoming)
            conn.execute(f"insert into {table} by name select * from _incoming")
            conn.unregister("_incoming")
            rows += frame.height
        left_out = erased() if callable(erased) else erased
        if left_out:
            record(conn, v, "loaded", ERASED_SUBJECT, f"{left_out} row(s) of erased clients left out",
                   rows=rows + left_out)
        else:
            record(conn, v, "loaded", rows=rows)
    return rows


def retire(conn: duckdb.DuckDBPyConnection, extract: Extract, name: str) -> None:
    """Landed files retire a fallback source (the bundled ECB rates): its rows go, its status is replaced."""
    table = qualified("raw", extract.raw_table)
    with transaction(conn):
        conn.execute(f"delete from {table} where _source_file = ?", [name])
        conn.execute(
            f"update {MANIFEST} set status = 'replaced', status_at = (now() at time zone 'UTC') "
            "where entity = ? and file_name = ? and status = 'loaded'",
            [extract.entity, name],
        )
