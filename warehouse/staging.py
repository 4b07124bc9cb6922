"""Raw text → typed staging rows, with every rejected row kept in `staging.quarantine`.

Each raw row meets exactly one fate:
1. **quarantined with its file**: more than the profile's `max_quarantined_share` of its file's
   rows break a rule, so the whole file is held back (`file_over_threshold`, plus each row's own
   reasons); the file is re-evaluated every night;
2. **deduplicated**: a later version of the same key exists in the files that are not held back.
   The latest extract wins: the file with the latest date in its name (files without one are the
   oldest), then the file name, then the last line. A row whose key does not parse is never a
   duplicate of another;
3. **quarantined**: it is the latest version but breaks a rule; one quarantine row per broken
   rule with its reason code (docs/extracts.md lists them);
4. **loaded** into `staging.stg_<source>__<entity>`.
So for every file: rows read = loaded + deduplicated + quarantined. The counts are computed
independently into `staging.file_reconciliation`; a blocking asset check compares them. Parsing
is strict and follows the source's profile (warehouse/notation.py): `1.5` is not an integer,
`1.005` is not a cent amount, `2024-03-05` is not a date in a `%d.%m.%Y` profile.
"""

import duckdb
import polars as pl

from warehouse.contract import CUSTOMERS, Column, Extract
from warehouse.db import qualified, replace_table_from_frame, transaction, used_params
from warehouse.identity import name_match_key, normalise_tax_id
from warehouse.manifest import MANIFEST
from warehouse.notation import clean, notation_params, typed
from warehouse.profiles import Profile
from warehouse.rules import FX_RULES, ROW_RULES

OVER_THRESHOLD = "file_over_threshold"
QUARANTINE_DDL = """
create table if not exists staging.quarantine (
    entity varchar, source_file varchar, file_sha256 varchar, line_number bigint,
    column_name varchar, reason_code varchar, raw_value varchar
)"""
# the per-extract totals, derived from the per-file counts rather than stored twice
RECONCILIATION_VIEW = """
create or replace view staging.load_reconciliation as
select entity, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
    sum(rows_deduplicated) as rows_deduplicated, sum(rows_quarantined) as rows_quarantined
from staging.file_reconciliation
group by entity"""
FILE_RECONCILIATION_DDL = """
create table if not exists staging.file_reconciliation (
    entity varchar, file_name varchar, file_sha256 varchar, rows_read bigint, rows_loaded bigint,
    rows_deduplicated bigint, rows_quarantined bigint, rows_with_problems bigint,
    max_quarantined_share double, is_over_threshold boolean
)"""


def _invalid_reason(col: Column) -> str:
    if col.sql_type.startswith("DECIMAL"):
        return "invalid_decimal"
    return {"DATE": "invalid_date", "TIMESTAMP": "invalid_timestamp"}.get(col.sql_type, "invalid_integer")


def _typed_sql(extract: Extract, raw: str) -> str:
    """Every raw row of a loaded file with its typed columns and its file's extract order."""
    typed_cols = ", ".join(f"{typed(c)} as {c.name}" for c in extract.columns)
    raw_cols = ", ".join(f"r.{c.name} as _raw_{c.name}" for c in extract.columns)
    return f"""
        select {typed_cols}, {raw_cols}, r._source_file, r._file_sha256, r._line_number, r._row_problem,
            m.extract_date as _extract_date
        from {raw} as r
        left join (
            select distinct file_name, file_sha256, extract_date from {MANIFEST} where status = 'loaded'
        ) as m on m.file_name = r._source_file and m.file_sha256 = r._file_sha256"""


def _problems_sql(extract: Extract) -> str:
    """Every (file, sha, line, column, reason, raw value) of a broken rule, in one scan of the typed rows.

    Each rule is a `case` giving a problem or null; the non-null ones of a row are unnested. One pass
    over `typed` instead of one per rule: on 10 million lines that was most of the staging time.
    """
    checks = ["case when _row_problem is not null then {'c': null::varchar, 'r': _row_problem, 'v': null::varchar} end"]

    def check(column: str, reason: str, raw: str, cond: str) -> None:
        checks.append(f"case when {cond} then {{'c': '{column}', 'r': '{reason}', 'v': {raw}}} end")

    for col in extract.columns:
        raw = f"_raw_{col.name}"
        text = clean(col, raw)
        if col.required:
            check(col.name, "missing_required", raw, f"{text} is null")
        if col.sql_type != "VARCHAR":
            check(col.name, _invalid_reason(col), raw, f"{text} is not null and {col.name} is null")
        if col.accepted:
            accepted = ", ".join(f"'{v}'" for v in col.accepted)
            check(col.name, "not_accepted", raw, f"{text} not in ({accepted})")
    for rule in ROW_RULES.get(extract.entity, ()):
        check(rule.column, rule.reason_code, f"_raw_{rule.column}", rule.violated_when)
    found = ",\n            ".join(checks)
    return f"""
        select _source_file, _file_sha256, _line_number, p.c as column_name, p.r as reason_code, p.v as raw_value
        from (
            select _source_file, _file_sha256, _line_number, unnest(list_filter([
            {found}
            ], p -> p is not null)) as p
            from typed as t
        )"""


def _latest_sql(extract: Extract) -> str:
    """Rows of files not held back, each marked whether it is the latest version of its key."""
    # an unparsable key part keeps the row apart (keyed by its own file and line)
    own = "'#' || _source_file || ':' || _file_sha256 || ':' || _line_number"
    key = ", ".join(f"coalesce(cast({c} as varchar), {own})" for c in extract.key)
    columns = ", ".join(c.name for c in extract.columns)
    return f"""
        select {columns}, _source_file, _file_sha256, _line_number, row_number() over (
                partition by {key}
                order by _extract_date desc nulls last, _source_file desc, _line_number desc
            ) = 1 as _is_latest
        from typed
        where (_source_file, _file_sha256) not in (
            select (file_name, file_sha256) from files where is_over_threshold
        )"""


def build_staging(conn: duckdb.DuckDBPyConnection, extract: Extract, profile: Profile, fx_max_age_days: int = 7
                  ) -> dict[str, int]:
    """Replace the extract's staging table, quarantine and reconciliation rows in one transaction."""
    raw = qualified("raw", extract.raw_table)
    target = qualified("staging", extract.staging_table)
    columns = ", ".join(c.name for c in extract.columns)
    params = notation_params(profile) | {"entity": extract.raw_table, "share": profile.max_quarantined_share}

    def run(sql: str) -> None:
        conn.execute(sql, used_params(sql, params))

    conn.execute("set TimeZone = 'UTC'")
    _ensure_tables(conn)
    if extract is CUSTOMERS:
        _tax_id_lookup(conn, raw)
    with transaction(conn):
        if any(r in ROW_RULES.get(extract.entity, ()) for r in FX_RULES):
            conn.execute("create or replace table staging.fx_policy as select ?::integer as max_age_days",
                         [fx_max_age_days])
        run(f"create or replace temp table typed as {_typed_sql(extract, raw)}")
        run(f"create or replace temp table problems as {_problems_sql(extract)}")
        run("""
            create or replace temp table files as
            with read as (
                select _source_file as file_name, _file_sha256 as file_sha256, count(*) as rows_read
                from typed group by all
            ),
            bad as (
                select _source_file as file_name, _file_sha256 as file_sha256,
                    count(distinct _line_number) as rows_with_problems
                from problems group by all
            )
            select file_name, file_sha256, rows_read, coalesce(bad.rows_with_problems, 0) as rows_with_problems,
                coalesce(bad.rows_with_problems, 0) > $share * rows_read as is_over_threshold
            from read left join bad using (file_name, file_sha256)""")
        run(f"create or replace temp table latest as {_latest_sql(extract)}")
        run("delete from staging.quarantine where entity = $entity")
        run(f"""
            insert into staging.quarantine
            select $entity, p.* from problems as p
            where (p._source_file, p._file_sha256, p._line_number) in (
                select (_source_file, _file_sha256, _line_number) from latest where _is_latest
            ) or (p._source_file, p._file_sha256) in (
                select (file_name, file_sha256) from files where is_over_threshold
            )
            union all
            select $entity, _source_file, _file_sha256, _line_number, null, '{OVER_THRESHOLD}', null
            from typed
            where (_source_file, _file_sha256) in (select (file_name, file_sha256) from files where is_over_threshold)
            """)
        run(f"""
            create or replace table {target} as
            select {columns}, _source_file, _line_number
            from latest
            anti join (
                select source_file as _source_file, file_sha256 as _file_sha256, line_number as _line_number
                from staging.quarantine where entity = $entity
            ) using (_source_file, _file_sha256, _line_number)
            where _is_latest
            order by {", ".join(extract.key)}
            """)
        counts = _reconcile(conn, extract, target, params)
        if extract is CUSTOMERS:
            _customer_identity(conn, target)
        for temp in ("latest", "files", "problems", "typed"):
            conn.execute(f"drop table {temp}")
    return counts


def _reconcile(conn: duckdb.DuckDBPyConnection, extract: Extract, target: str, params: dict) -> dict[str, int]:
    """Count each fate per file on its own, so the blocking check catches a row that a bug lost."""
    sql = f"""
        insert into staging.file_reconciliation
        select $entity, f.file_name, f.file_sha256,
            (select count(*) from {qualified("raw", extract.raw_table)} as r
             where r._source_file = f.file_name and r._file_sha256 = f.file_sha256),
            (select count(*) from {target} as s where s._source_file = f.file_name),
            (select count(*) from latest as l
             where l._source_file = f.file_name and l._file_sha256 = f.file_sha256 and not l._is_latest),
            (select count(distinct q.line_number) from staging.quarantine as q
             where q.entity = $entity and q.source_file = f.file_name and q.file_sha256 = f.file_sha256),
            f.rows_with_problems, $share, f.is_over_threshold
        from files as f"""
    conn.execute("delete from staging.file_reconciliation where entity = $entity", {"entity": extract.raw_table})
    conn.execute(sql, used_params(sql, params))
    row = conn.execute(
        "select rows_read, rows_loaded, rows_deduplicated, rows_quarantined from staging.load_reconciliation "
        "where entity = ?",
        [extract.raw_table],
    ).fetchone()
    names = ("rows_read", "rows_loaded", "rows_deduplicated", "rows_quarantined")
    return dict(zip(names, map(int, row or (0, 0, 0, 0)), strict=True))


def _ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """The shared staging tables; those a warehouse built before file-level lineage holds are rebuilt
    (every staging build rewrites its own rows, so nothing of value is lost)."""
    conn.execute("create schema if not exists staging")
    old = {row[0] for row in conn.execute(
        "select table_name from duckdb_tables() where schema_name = 'staging' and table_name in "
        "('quarantine', 'load_reconciliation') and (table_name = 'load_reconciliation' or not contains(sql, "
        "'file_sha256'))"
    ).fetchall()}
    for table in sorted(old):
        conn.execute(f"drop table {qualified('staging', table)}")
    for ddl in (QUARANTINE_DDL, FILE_RECONCILIATION_DDL, RECONCILIATION_VIEW):
        conn.execute(ddl)


def _tax_id_lookup(conn: duckdb.DuckDBPyConnection, raw: str) -> None:
    """`staging.tax_id_lookup`: every distinct (tax id, country) as sent, normalised by python-stdnum."""
    pairs = conn.execute(
        f"select distinct nullif(trim(tax_id), ''), upper(nullif(trim(country), '')) from {raw} "
        "where nullif(trim(tax_id), '') is not null"
    ).fetchall()
    checked = [(t, c, *normalise_tax_id(t, c)) for t, c in pairs]
    schema = {"tax_id": pl.String, "country": pl.String, "tax_id_normalised": pl.String, "problem": pl.String}
    replace_table_from_frame(conn, "staging", "tax_id_lookup", pl.DataFrame(checked, schema=schema, orient="row"))


def _customer_identity(conn: duckdb.DuckDBPyConnection, target: str) -> None:
    """`staging.customer_identity`: each staged client's normalised tax id and name match key."""
    names = conn.execute(f"select distinct name from {target}").fetchall()
    keys = pl.DataFrame([(n, name_match_key(n)) for (n,) in names], schema={"name": pl.String,
                                                                           "name_match_key": pl.String}, orient="row")
    conn.register("_name_keys", keys)
    conn.execute(f"""
        create or replace table staging.customer_identity as
        select c.customer_id, l.tax_id_normalised, k.name_match_key
        from {target} as c
        left join staging.tax_id_lookup as l on l.tax_id = c.tax_id and l.country = c.country
        left join _name_keys as k on k.name = c.name
        order by c.customer_id""")
    conn.unregister("_name_keys")
