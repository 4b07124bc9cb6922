"""Raw text → typed staging rows, with every rejected row kept in `staging.quarantine`.

Rule for each raw row, in this order:
1. a required column is empty → quarantined, reason `missing_required`;
2. a value does not cast to its contract type → quarantined, reason `invalid_<type>`
   (`invalid_date`, `invalid_decimal`, `invalid_integer`, `invalid_timestamp`);
3. a value outside the column's accepted list → quarantined, reason `not_accepted`;
4. a row rule of the extract fails (`ROW_RULES`) → quarantined with that rule's reason;
5. of the remaining rows sharing one key, the latest wins: the file whose name sorts last,
   then the last line in that file; the others are counted as deduplicated.
So for every extract: rows read = loaded + deduplicated + quarantined, recorded in
`staging.load_reconciliation` and checked by a blocking asset check.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.contract import Column, Extract
from warehouse.db import qualified

# Codes stay short and stable: analysts filter on them and docs/extracts.md lists them.
REASON_FOR_TYPE = {
    "DATE": "invalid_date",
    "TIMESTAMP": "invalid_timestamp",
    "INTEGER": "invalid_integer",
    "BIGINT": "invalid_integer",
}
UPPER_CASE_COLUMNS = {"country", "currency"}


@dataclass(frozen=True)
class RowRule:
    """A condition a typed row must meet; `column` names the column reported in quarantine."""

    reason_code: str
    column: str
    violated_when: str


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "invoice_lines": (
        RowRule("credit_note_positive", "net_amount", "document_type = 'credit_note' and net_amount > 0"),
        RowRule("period_reversed", "service_end_date", "service_end_date < service_start_date"),
        RowRule("invalid_line_number", "line_number", "line_number < 1"),
    ),
    "responses": (
        RowRule("score_out_of_scale", "score", "score < scale_min or score > scale_max"),
        RowRule("invalid_scale", "scale_max", "scale_max <= scale_min"),
    ),
    "costs": (RowRule("negative_amount", "amount", "amount < 0"),),
    "rates": (RowRule("invalid_rate", "units_per_eur", "units_per_eur <= 0"),),
}

QUARANTINE_DDL = """
create table if not exists staging.quarantine (
    entity varchar, source_file varchar, line_number bigint,
    column_name varchar, reason_code varchar, raw_value varchar
)"""
RECONCILIATION_DDL = """
create table if not exists staging.load_reconciliation (
    entity varchar primary key, rows_read bigint, rows_loaded bigint,
    rows_deduplicated bigint, rows_quarantined bigint
)"""


def _reason_for(col: Column) -> str:
    if col.sql_type.startswith("DECIMAL"):
        return "invalid_decimal"
    return REASON_FOR_TYPE.get(col.sql_type, "invalid_value")


def _clean(col: Column) -> str:
    """Trimmed text, empty → null; enumerations lower-cased and codes upper-cased."""
    expr = f"nullif(trim({col.name}), '')"
    if col.accepted:
        return f"lower({expr})"
    if col.name in UPPER_CASE_COLUMNS:
        return f"upper({expr})"
    return expr


def _typed(col: Column) -> str:
    return _clean(col) if col.sql_type == "VARCHAR" else f"try_cast({_clean(col)} as {col.sql_type})"


def _problems_sql(extract: Extract, raw: str) -> str:
    """One select per rule and column; each yields (line, column, reason, raw value)."""
    parts: list[str] = []
    base = "select _source_file, _line_number, '{col}' as column_name, '{reason}' as reason_code, "
    for col in extract.columns:
        if col.required:
            parts.append(
                base.format(col=col.name, reason="missing_required")
                + f"{col.name} as raw_value from {raw} where {_clean(col)} is null"
            )
        if col.sql_type != "VARCHAR":
            parts.append(
                base.format(col=col.name, reason=_reason_for(col))
                + f"{col.name} from {raw} where {_clean(col)} is not null and {_typed(col)} is null"
            )
        if col.accepted:
            accepted = ", ".join(f"'{v}'" for v in col.accepted)
            parts.append(
                base.format(col=col.name, reason="not_accepted")
                + f"{col.name} from {raw} where {_clean(col)} not in ({accepted})"
            )
    typed_cols = ", ".join(f"{_typed(c)} as {c.name}" for c in extract.columns)
    typed = f"(select _source_file, _line_number, {typed_cols} from {raw})"
    for rule in ROW_RULES.get(extract.entity, ()):
        parts.append(
            base.format(col=rule.column, reason=rule.reason_code)
            + f"cast({rule.column} as varchar) from {typed} where {rule.violated_when}"
        )
    return "\nunion all\n".join(parts)


def build_staging(conn: duckdb.DuckDBPyConnection, extract: Extract) -> dict[str, int]:
    """Replace the extract's staging table and its quarantine rows in one transaction."""
    raw = qualified("raw", extract.raw_table)
    target = qualified("staging", extract.staging_table)
    key = ", ".join(extract.key)
    typed_cols = ", ".join(f"{_typed(c)} as {c.name}" for c in extract.columns)
    conn.execute("begin transaction")
    try:
        conn.execute("create schema if not exists staging")
        conn.execute(QUARANTINE_DDL)
        conn.execute(RECONCILIATION_DDL)
        conn.execute("delete from staging.quarantine where entity = ?", [extract.raw_table])
        conn.execute(
            f"insert into staging.quarantine select ? as entity, * from ({_problems_sql(extract, raw)})",
            [extract.raw_table],
        )
        conn.execute(
            f"""
            create or replace table {target} as
            with bad as (
                select distinct source_file as _source_file, line_number as _line_number
                from staging.quarantine where entity = ?
            )
            select {typed_cols}, r._source_file, r._line_number
            from {raw} as r
            anti join bad using (_source_file, _line_number)
            qualify row_number() over (
                partition by {", ".join(_typed(c) for c in extract.columns if c.name in extract.key)}
                order by r._source_file desc, r._line_number desc
            ) = 1
            order by {key}
            """,
            [extract.raw_table],
        )
        counts = _reconcile(conn, extract, raw, target)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return counts


def _reconcile(conn: duckdb.DuckDBPyConnection, extract: Extract, raw: str, target: str) -> dict[str, int]:
    """Count each fate independently, so the blocking check can catch a row lost by a bug."""
    key_exprs = ", ".join(_typed(c) for c in extract.columns if c.name in extract.key)
    row = conn.execute(
        f"""
        with bad as (
            select distinct source_file as _source_file, line_number as _line_number
                from staging.quarantine where entity = ?
        )
        select
            (select count(*) from {raw}),
            (select count(*) from {target}),
            (select coalesce(sum(n - 1), 0) from (
                select count(*) as n from {raw} anti join bad using (_source_file, _line_number)
                group by {key_exprs}
            )),
            (select count(*) from bad)
        """,
        [extract.raw_table],
    ).fetchone()
    assert row is not None
    names = ("rows_read", "rows_loaded", "rows_deduplicated", "rows_quarantined")
    counts = dict(zip(names, map(int, row), strict=True))
    conn.execute(
        "insert or replace into staging.load_reconciliation values (?, ?, ?, ?, ?)",
        [extract.raw_table, *counts.values()],
    )
    return counts
