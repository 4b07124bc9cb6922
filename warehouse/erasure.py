"""Erasing one client from a warehouse file: it is rewritten fresh without the client's rows.

The client is resolved through `marts.client_crosswalk` to its client key and every CRM id merged
into it. A file is then copied table by table into a new file, leaving out every row whose client
column (`customer_id`, `source_customer_id`, `client_key`) or `tax_id` names the client, blanking
columns that merely point at it (`referred_by_customer_id`) and leaving out the quarantine rows of
its raw lines; the new file replaces the old one atomically. Rewriting instead of deleting in place
matters: DuckDB keeps deleted values in freed blocks until they are overwritten. The source file is
only read, so the analysts' copy can be rewritten while analysts have it open. Aggregates (e.g.
`metrics.mrr_by_month`) are copied as they are: the next run recomputes them without the client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from warehouse.db import quote_identifier as ident
from warehouse.ledger import REFERENCE_COLUMNS, SUBJECT_COLUMNS

QUARANTINE_KEY = ("entity", "source_file", "file_sha256", "line_number")


@dataclass(frozen=True)
class Subject:
    """What identifies the client's rows in one file: values per column, and its quarantined raw lines."""

    values: dict[str, frozenset[str]]
    references: frozenset[str]
    lines: list[tuple[str, str, str, int]] = field(default_factory=list)


def _try(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except duckdb.CatalogException:
        return []


def resolve(conn: duckdb.DuckDBPyConnection, customer_id: str) -> list[str]:
    """Every CRM id of the client `customer_id` belongs to; empty when the warehouse does not know it."""
    wanted = customer_id.strip()
    ids = {r[0] for r in _try(conn, "select source_customer_id from marts.client_crosswalk where client_key in ("
                                    "select client_key from marts.client_crosswalk where source_customer_id = ? "
                                    "or client_key = ?)", [wanted, wanted])}
    if not ids and _try(conn, "select 1 from raw.crm__customers where trim(customer_id) = ? limit 1", [wanted]):
        ids = {wanted}  # a CRM row that never reached the marts (e.g. quarantined)
    return sorted(ids | {wanted}) if ids else []


def _raw_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute(
        "select table_name from duckdb_columns() where database_name = current_database() and schema_name = 'raw' "
        "and column_name = 'customer_id' order by 1").fetchall()]


def subject_in_work(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> Subject:
    """The client in the working file: its ids, its tax ids as sent, and its raw lines."""
    tax_ids = {r[0] for r in _try(conn, "select distinct trim(tax_id) from raw.crm__customers where "
                                        "trim(customer_id) in (select unnest(?)) and trim(tax_id) <> ''", [ids])}
    lines = []
    for table in _raw_tables(conn):
        lines += [(table, *r) for r in conn.execute(
            f"select _source_file, _file_sha256, _line_number from raw.{ident(table)} "
            "where trim(customer_id) in (select unnest(?))", [ids]).fetchall()]
    values = {c: frozenset(ids) for c in SUBJECT_COLUMNS} | {"tax_id": frozenset(tax_ids)}
    return Subject(values, frozenset(ids), lines)


def subject_in_copy(pseudonyms: list[str], lines: list[tuple[str, str, str, int]]) -> Subject:
    """The client in an analysts' copy: its pseudonyms, and its raw lines (the quarantine keeps their keys)."""
    return Subject({c: frozenset(pseudonyms) for c in SUBJECT_COLUMNS}, frozenset(pseudonyms), lines)


def _select(schema: str, table: str, columns: list[str], subject: Subject) -> str:
    """The table's rows without the client; `_values`, `_refs` and `_lines` are registered by `rewrite`."""
    replaced = [f"case when trim({ident(c)}::varchar) in (select v from _refs) then null else {ident(c)} end "
                f"as {ident(c)}" for c in columns if c in REFERENCE_COLUMNS]
    star = f"* replace ({', '.join(replaced)})" if replaced else "*"
    hits = [f"coalesce(trim(t.{ident(c)}::varchar) in (select v from _values where c = ?), false)"
            for c in columns if c in subject.values]
    where = [f"not ({' or '.join(hits)})"] if hits else []
    if (schema, table) == ("staging", "quarantine"):
        where.append("not exists (select 1 from _lines as l where "
                     + " and ".join(f"l.{k} = t.{k}" for k in QUARANTINE_KEY) + ")")
    return f"select {star} from {ident(schema)}.{ident(table)} as t" + (f" where {' and '.join(where)}"
                                                                          if where else "")


def rewrite(path: Path, subject: Subject) -> int:
    """Replace the file at `path` by a fresh copy without the client; returns the number of rows left out."""
    fresh = path.with_name(f".{path.name}.erasing")
    for p in (fresh, fresh.with_name(fresh.name + ".wal")):
        p.unlink(missing_ok=True)
    removed = 0
    try:
        with duckdb.connect(str(path), read_only=True) as src, duckdb.connect(str(fresh)) as out:
            src.register("_values", pl.DataFrame(
                [(c, v) for c, vs in subject.values.items() for v in sorted(vs)], schema={"c": pl.String,
                "v": pl.String}, orient="row").to_arrow())
            src.register("_refs", pl.DataFrame({"v": sorted(subject.references)}, schema={"v": pl.String})
                         .to_arrow())
            src.register("_lines", pl.DataFrame(subject.lines, schema=dict.fromkeys(QUARANTINE_KEY[:3], pl.String)
                                                | {"line_number": pl.Int64}, orient="row").to_arrow())
            for (schema,) in src.execute("select schema_name from duckdb_schemas() where database_name = "
                                         "current_database() and not internal").fetchall():
                out.execute(f"create schema if not exists {ident(schema)}")
            for schema, table, ddl in src.execute("select schema_name, table_name, sql from duckdb_tables() "
                                                  "where database_name = current_database() order by all").fetchall():
                columns = [r[0] for r in src.execute(
                    "select column_name from duckdb_columns() where database_name = current_database() "
                    "and schema_name = ? and table_name = ? order by column_index", [schema, table]).fetchall()]
                select = _select(schema, table, columns, subject)
                params = [c for c in columns if c in subject.values]
                out.execute(ddl)  # the table's own definition, from the file's catalogue
                out.register("_rows", src.execute(select, params).fetch_record_batch())
                out.execute(f"insert into {ident(schema)}.{ident(table)} select * from _rows")
                out.unregister("_rows")
                before = src.execute(f"select count(*) from {ident(schema)}.{ident(table)}").fetchone()
                after = out.execute(f"select count(*) from {ident(schema)}.{ident(table)}").fetchone()
                removed += int(before[0]) - int(after[0]) if before and after else 0
            for (sql,) in src.execute("select sql from duckdb_views() where database_name = current_database() "
                                      "and not internal").fetchall():
                out.execute(sql)
            out.execute("checkpoint")
        fd = os.open(fresh, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(fresh, path)
    except BaseException:
        for p in (fresh, fresh.with_name(fresh.name + ".wal")):
            p.unlink(missing_ok=True)
        raise
    return removed
