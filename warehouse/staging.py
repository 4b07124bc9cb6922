"""Raw text → typed staging rows, with every rejected row kept in `staging.quarantine`.

Each raw row meets exactly one fate:
1. **deduplicated**: a later version of the same key exists: the latest extract wins, that is the
   file whose name sorts last, then the last line in that file. A row whose key does not parse
   is never a duplicate of another;
2. **quarantined**: it is the latest version but breaks a rule; one quarantine row is written per
   broken rule, with its reason code:
   `missing_required`, `invalid_date`, `invalid_timestamp`, `invalid_integer`, `invalid_decimal`,
   `not_accepted`, and the row rules of `warehouse.rules` (`unknown_customer`, …);
3. **loaded** into `staging.stg_<source>__<entity>`.
So for every extract: rows read = loaded + deduplicated + quarantined. The three counts are
computed independently and stored in `staging.load_reconciliation`; a blocking asset check
compares them. Parsing is strict: `1.5` is not an integer, `1.005` is not a cent amount.
"""

import duckdb

from warehouse.contract import Column, Extract
from warehouse.db import qualified, transaction
from warehouse.rules import ROW_RULES

UPPER_CASE_COLUMNS = {"country", "currency"}

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


def _clean(col: Column, ref: str = "") -> str:
    """Trimmed text of `ref` (default: the column), empty → null; enumerations lower-cased, codes upper-cased."""
    expr = f"nullif(trim({ref or col.name}), '')"
    if col.accepted:
        return f"lower({expr})"
    if col.name in UPPER_CASE_COLUMNS:
        return f"upper({expr})"
    return expr


def _typed(col: Column) -> str:
    """The typed value, or null when the text does not parse exactly as the contract type."""
    text = _clean(col)
    if col.sql_type == "VARCHAR":
        return text
    if col.sql_type == "TIMESTAMP":
        # an explicit offset is honoured; a timestamp without one is UTC (the session runs in UTC)
        return f"(try_cast({text} as timestamptz) at time zone 'UTC')"
    if col.sql_type in ("INTEGER", "BIGINT"):
        return f"case when regexp_full_match({text}, '[+-]?[0-9]+') then try_cast({text} as {col.sql_type}) end"
    if col.sql_type.startswith("DECIMAL"):
        # DuckDB would round 1.005 to 1.01: refuse values with more decimals than the type keeps
        # (a pattern test is ~60× faster than comparing with a wider decimal cast)
        scale = int(col.sql_type.rstrip(")").split(",")[1])
        pattern = f"[+-]?[0-9]*([.][0-9]{{0,{scale}}}0*)?"  # trailing zeros lose nothing
        return f"case when regexp_full_match({text}, '{pattern}') then try_cast({text} as {col.sql_type}) end"
    return f"try_cast({text} as {col.sql_type})"


def _invalid_reason(col: Column) -> str:
    if col.sql_type.startswith("DECIMAL"):
        return "invalid_decimal"
    return {"DATE": "invalid_date", "TIMESTAMP": "invalid_timestamp"}.get(col.sql_type, "invalid_integer")


def _latest_sql(extract: Extract, raw: str) -> str:
    """Raw rows with their typed columns and whether each is the latest version of its key."""
    typed = ", ".join(f"{_typed(c)} as {c.name}" for c in extract.columns)
    raw_cols = ", ".join(f"{c.name} as _raw_{c.name}" for c in extract.columns)
    # an unparsable key part keeps the row apart (keyed by its own file and line)
    own = "'#' || _source_file || ':' || _line_number"
    key = ", ".join(
        f"coalesce(cast({_typed(c)} as varchar), {own})" for c in extract.columns if c.name in extract.key
    )
    return f"""
        select {typed}, {raw_cols}, _source_file, _line_number,
            row_number() over (
                partition by {key} order by _source_file desc, _line_number desc
            ) = 1 as _is_latest
        from {raw}"""


def _problems_sql(extract: Extract) -> str:
    """One select per rule; each yields (file, line, column, reason, raw value) for latest rows."""
    base = "select _source_file, _line_number, '{col}', '{reason}', {raw} from latest where _is_latest and ({cond})"
    parts: list[str] = []
    for col in extract.columns:
        raw = f"_raw_{col.name}"
        clean = _clean(col, raw)
        if col.required:
            parts.append(base.format(col=col.name, reason="missing_required", raw=raw, cond=f"{clean} is null"))
        if col.sql_type != "VARCHAR":
            cond = f"{clean} is not null and {col.name} is null"
            parts.append(base.format(col=col.name, reason=_invalid_reason(col), raw=raw, cond=cond))
        if col.accepted:
            accepted = ", ".join(f"'{v}'" for v in col.accepted)
            parts.append(base.format(col=col.name, reason="not_accepted", raw=raw, cond=f"{clean} not in ({accepted})"))
    for rule in ROW_RULES.get(extract.entity, ()):
        raw = f"_raw_{rule.column}"
        parts.append(base.format(col=rule.column, reason=rule.reason_code, raw=raw, cond=rule.violated_when))
    return "\nunion all\n".join(parts)


def build_staging(conn: duckdb.DuckDBPyConnection, extract: Extract) -> dict[str, int]:
    """Replace the extract's staging table and its quarantine rows in one transaction."""
    raw = qualified("raw", extract.raw_table)
    target = qualified("staging", extract.staging_table)
    columns = ", ".join(c.name for c in extract.columns)
    conn.execute("set TimeZone = 'UTC'")
    with transaction(conn):
        conn.execute("create schema if not exists staging")
        conn.execute(QUARANTINE_DDL)
        conn.execute(RECONCILIATION_DDL)
        conn.execute(f"create or replace temp table latest as {_latest_sql(extract, raw)}")
        conn.execute("delete from staging.quarantine where entity = ?", [extract.raw_table])
        conn.execute(
            f"insert into staging.quarantine select ? as entity, * from ({_problems_sql(extract)})",
            [extract.raw_table],
        )
        conn.execute(
            f"""
            create or replace table {target} as
            select {columns}, _source_file, _line_number
            from latest
            anti join (
                select source_file as _source_file, line_number as _line_number
                from staging.quarantine where entity = ?
            ) using (_source_file, _line_number)
            where _is_latest
            order by {", ".join(extract.key)}
            """,
            [extract.raw_table],
        )
        counts = _reconcile(conn, extract, target)
        conn.execute("drop table latest")
    return counts


def _reconcile(conn: duckdb.DuckDBPyConnection, extract: Extract, target: str) -> dict[str, int]:
    """Count each fate on its own, so the blocking check catches a row that a bug lost."""
    row = conn.execute(
        f"""
        select
            (select count(*) from {qualified("raw", extract.raw_table)}),
            (select count(*) from {target}),
            (select count(*) from latest where not _is_latest),
            (select count(*) from (
                select distinct source_file, line_number from staging.quarantine where entity = ?
            ))
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
