"""Table fingerprints: two warehouses hold the same data when every table's fingerprint is equal.

A fingerprint is the row count and the sum of the rows' hashes, so row order does not matter.
Bookkeeping columns that differ between two builds of the same data (the run id, when a file was
first met, the clock time of a log entry) are left out: they say when, not what.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.db import quote_identifier as q

VOLATILE_COLUMNS = frozenset({
    "run_id", "first_seen_at", "status_at", "modified_at", "logged_at", "built_at", "requested_at", "published_at",
    "written_at",
})



def table_fingerprints(
    conn: duckdb.DuckDBPyConnection, skip_schemas: frozenset[str] = frozenset()
) -> dict[str, tuple[int, int]]:
    """`schema.table` → (rows, sum of row hashes) for every table of the open database."""
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in conn.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and not internal order by schema_name, table_name, column_index"
    ).fetchall():
        if schema in skip_schemas:
            continue
        columns.setdefault((schema, table), [])
        if column not in VOLATILE_COLUMNS:
            columns[(schema, table)].append(column)
    prints = {}
    for (schema, table), cols in columns.items():
        # names come from the database's own catalogue and are quoted: no value reaches the SQL text
        hashed = f"hash({', '.join(q(c) for c in cols)})" if cols else "0"
        row = conn.execute(
            f"select count(*), coalesce(sum({hashed}::hugeint), 0) from {q(schema)}.{q(table)}"
        ).fetchone()
        prints[f"{schema}.{table}"] = (int(row[0]), int(row[1])) if row else (0, 0)
    return prints


def file_fingerprints(path: Path, skip_schemas: frozenset[str] = frozenset()) -> dict[str, tuple[int, int]]:
    """The fingerprints of a warehouse file, opened read-only."""
    with duckdb.connect(str(path), read_only=True) as conn:
        return table_fingerprints(conn, skip_schemas)


def differing_tables(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> list[str]:
    """Tables missing on one side or with different fingerprints: empty when the two are equal."""
    return sorted(t for t in a.keys() | b.keys() if a.get(t) != b.get(t))
