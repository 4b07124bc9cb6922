"""The analysts' copy: a fresh file holding only what analysts may see, written from the working build.

Per column, by name (code allow-lists, so a new table is covered the day it is added):
- direct identifiers are left out (names, tax ids, name keys, free-text comments, birth years);
- client ids (and account owners) become keyed pseudonyms (warehouse/pseudonym.py), the same in
  every table, so joins still work;
- a normalised tax id is masked to its country prefix (`tax_id_country`);
- `staging.quarantine.raw_value` is dropped for identifier columns.
The `raw` and `restricted` schemas and the identity tables are not copied at all. Segment rows
counting fewer than `min_cell_size` clients or answers keep their labels but lose their measures
and are flagged `is_suppressed`.

Rows are streamed as Arrow batches from the working connection into a new DuckDB file, so the copy
holds no freed page of an earlier build and no value of the working file outside the selects below.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.db import quote_identifier as ident
from warehouse.pseudonym import register_mapping

EXCLUDED_SCHEMAS = frozenset({"raw", "restricted"})
EXCLUDED_TABLES = frozenset({("staging", "tax_id_lookup"), ("staging", "customer_identity")})
DROPPED_COLUMNS = frozenset(
    {"name", "tax_id", "name_match_key", "comment", "birth_year", "email", "phone", "personal_id"}
)
PSEUDONYMISED_COLUMNS = frozenset(
    {"customer_id", "source_customer_id", "client_key", "referred_by_customer_id", "account_owner"}
)
MASKED_COLUMNS = {"tax_id_normalised": ("tax_id_country", "left({col}, 2)", "VARCHAR")}
# quarantined raw values of these columns are identifiers themselves
IDENTIFIER_VALUES = DROPPED_COLUMNS | PSEUDONYMISED_COLUMNS | MASKED_COLUMNS.keys()
QUARANTINE = ("staging", "quarantine")


@dataclass(frozen=True)
class Suppression:
    """A segment table: the column counting its clients or answers, and the measures hidden below the minimum."""

    count_column: str
    measures: tuple[str, ...]


SUPPRESSED = {
    ("valuation", "book_valuation_by_segment"): Suppression("clients", ("clients", "mrr", "book_value",
                                                                        "share_of_book")),
    ("metrics", "retention_by_cohort"): Suppression(
        "cohort_customers", ("cohort_customers", "active_customers", "mrr", "logo_retention", "revenue_retention")),
    ("metrics", "nps_by_month"): Suppression(
        "responses", ("responses", "promoters", "passives", "detractors", "nps", "nps_margin_of_error_95")),
    ("metrics", "csat_by_month"): Suppression("responses", ("responses", "top_box_responses", "csat_pct")),
    ("metrics", "ces_by_month"): Suppression("responses", ("responses", "ces_mean")),
}
MAPPING = "_pseudonyms"


def _catalogue(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(schema, table) → [(column, type)] of every table of the working file that analysts may see."""
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in conn.execute(
        "select c.schema_name, c.table_name, c.column_name, c.data_type from duckdb_columns() as c "
        "join duckdb_tables() as t using (database_name, schema_name, table_name) "
        "where c.database_name = current_database() and not c.internal order by 1, 2, c.column_index"
    ).fetchall():
        if schema not in EXCLUDED_SCHEMAS and (schema, table) not in EXCLUDED_TABLES:
            tables.setdefault((schema, table), []).append((column, dtype))
    return tables


def _plan(address: tuple[str, str], columns: list[tuple[str, str]], min_cell_size: int
          ) -> tuple[str, list[str], list[object]]:
    """The select over the working table, the target's column definitions, and the select's parameters."""
    source = f"{ident(address[0])}.{ident(address[1])}"
    suppression = SUPPRESSED.get(address)
    selects, ddl, joins, params = [], [], [], []
    for column, dtype in columns:
        col = f"t.{ident(column)}"
        if column in DROPPED_COLUMNS:
            continue
        if column in MASKED_COLUMNS:
            name, expression, dtype = MASKED_COLUMNS[column]
            selects.append(f"{expression.format(col=col)} as {ident(name)}")
            ddl.append(f"{ident(name)} {dtype}")
            continue
        if column in PSEUDONYMISED_COLUMNS:
            alias = f"p{len(joins)}"
            joins.append(f"left join {MAPPING} as {alias} on {alias}.id = {col}")
            col = f"{alias}.pseudonym"
            dtype = "VARCHAR"
        elif address == QUARANTINE and column == "raw_value":
            col = f"case when t.column_name in ({', '.join('?' for _ in IDENTIFIER_VALUES)}) then null else {col} end"
            params += sorted(IDENTIFIER_VALUES)
        elif suppression and column in suppression.measures:
            col = f"case when t.{ident(suppression.count_column)} < ? then null else {col} end"
            params.append(min_cell_size)
        selects.append(f"{col} as {ident(column)}")
        ddl.append(f"{ident(column)} {dtype}")
    if suppression:
        selects.append(f"coalesce(t.{ident(suppression.count_column)} < ?, false) as is_suppressed")
        ddl.append("is_suppressed BOOLEAN")
        params.append(min_cell_size)
    return f"select {', '.join(selects)} from {source} as t {' '.join(joins)}", ddl, params


def _distinct_ids(conn: duckdb.DuckDBPyConnection, tables: dict[tuple[str, str], list[tuple[str, str]]]) -> set[str]:
    ids: set[str] = set()
    for (schema, table), columns in tables.items():
        for column, _ in columns:
            if column in PSEUDONYMISED_COLUMNS:
                rows = conn.execute(f"select distinct {ident(column)}::varchar from {ident(schema)}.{ident(table)}")
                ids.update(v for (v,) in rows.fetchall() if v is not None)
    return ids


def write_analyst_copy(conn: duckdb.DuckDBPyConnection, target: Path, key: bytes, min_cell_size: int) -> int:
    """Write the analysts' copy of the build `conn` holds into the new file `target`; returns its table count."""
    tables = _catalogue(conn)
    register_mapping(conn, MAPPING, key, _distinct_ids(conn, tables))
    try:
        with duckdb.connect(str(target)) as out:
            for schema in sorted({s for s, _ in tables}):
                out.execute(f"create schema if not exists {ident(schema)}")
            for (schema, table), columns in tables.items():
                select, ddl, params = _plan((schema, table), columns, min_cell_size)
                out.execute(f"create table {ident(schema)}.{ident(table)} ({', '.join(ddl)})")
                batches = conn.execute(select, params).fetch_record_batch()
                out.register("_rows", batches)
                out.execute(f"insert into {ident(schema)}.{ident(table)} select * from _rows")
                out.unregister("_rows")
            _copy_views(conn, out, {s for s, _ in tables})
            out.execute("checkpoint")
    finally:
        conn.unregister(MAPPING)
    return len(tables)


def _copy_views(conn: duckdb.DuckDBPyConnection, out: duckdb.DuckDBPyConnection, schemas: set[str]) -> None:
    """Views over copied tables (e.g. staging.load_reconciliation), recreated from their own definitions."""
    for schema, sql in conn.execute(
        "select schema_name, sql from duckdb_views() where database_name = current_database() and not internal"
    ).fetchall():
        if schema in schemas:
            out.execute(sql)


def leaks(path: Path) -> list[str]:
    """Schemas and columns the analysts' copy must not hold; empty when the copy is clean."""
    with duckdb.connect(str(path), read_only=True) as check:
        rows = check.execute(
            "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
            "where database_name = current_database() and (schema_name in (select unnest(?)) "
            "or column_name in (select unnest(?))) order by 1",
            [sorted(EXCLUDED_SCHEMAS), sorted(DROPPED_COLUMNS | MASKED_COLUMNS.keys())],
        ).fetchall()
    return [r[0] for r in rows]
