"""The performance floor: the pipeline's core work as hand-written SQL in one DuckDB session.

    bench/floor --landing DIR --db FILE --as-of YYYY-MM-DD [--format csv|parquet] [--only mrr]
                [--memory-limit 4GB] [--temp-dir DIR] [--threads N]

Runs bench/floor.sql stage by stage in one `duckdb.connect(db)` session (no Dagster, no Great
Expectations, no Python between the steps) and prints one JSON object: the seconds of each stage,
their total, row counts and the validation's violation count per rule. The FX rates are the bundled
ECB history (assets.raw.reader.bundled_fx_rates), written as `<db stem>.fx_rates.csv` beside the
database before the clock starts. The database file is replaced.

`--only mrr` runs the core MRR step only (invoice lines + FX rates -> customer-month MRR -> bridge),
read typed, without checks, dedupe or client crosswalk, its intermediate tables in memory and only
the bridge written to the file: the like-for-like peer of bench/pandas_mrr.py. The whole floor
writes its staged tables, quarantine, marts and metrics to the file, as the pipeline does; the raw
text and typed scratch tables are TEMP tables (memory, spilling to the temp directory).

Where the floor is not the pipeline (each is marked DEVIATION in floor.sql):
- the `invalid_tax_id` rule (python-stdnum check digits) is left out, and the client crosswalk
  normalises tax ids without validating them: on clean data (the demo) the same clients merge;
- reporting currency is EUR only, so no reporting-currency rate is looked up;
- a CSV row with the wrong number of fields stops the read (DuckDB's strict mode) instead of being
  quarantined as such; quarantine rows carry no raw_value; line numbers count records, not
  physical lines (they differ only after a quoted line break);
- no run bookkeeping: no manifest, file checksums, partition state or restatement log, no
  publish step, no analysts' copy, and intermediate tables are not sorted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assets.raw.reader import bundled_fx_rates  # noqa: E402

SQL_FILE = Path(__file__).with_name("floor.sql")
STAGE_LINE = re.compile(r"^-- stage: (?P<name>\S+)(?: \[(?P<tags>[^\]]*)\])?[ \t]*$", re.MULTILINE)
FORMATS = ("csv", "parquet")
RUNS = ("full", "mrr")
# the tables whose sizes the report gives, by run
COUNTED = {
    "full": ("staging.quarantine", "marts.client_crosswalk", "marts.fct_invoice_lines",
             "marts.fct_revenue_by_customer_month", "marts.fct_survey_responses",
             "metrics.mrr_by_customer_month", "metrics.mrr_by_month", "metrics.churn_by_month",
             "metrics.nps_by_month"),
    "mrr": ("staging.stg_fx__rates", "marts.invoice_lines_keyed", "marts.fct_invoice_lines",
            "marts.fct_revenue_by_customer_month", "metrics.mrr_by_customer_month", "metrics.mrr_by_month"),
}


@dataclass(frozen=True)
class Stage:
    """One timed step of floor.sql: its name, its SQL and the tags that select it."""

    name: str
    sql: str
    tags: frozenset[str]

    def runs_in(self, fmt: str, run: str) -> bool:
        """Untagged for a kind (format, run) means every value of that kind."""
        formats = self.tags & set(FORMATS) or set(FORMATS)
        runs = self.tags & set(RUNS) or set(RUNS)
        return fmt in formats and run in runs


def read_stages(text: str | None = None) -> list[Stage]:
    """The stages of floor.sql in file order (the text before the first marker is commentary)."""
    text = SQL_FILE.read_text(encoding="utf-8") if text is None else text
    marks = list(STAGE_LINE.finditer(text))
    stages = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end(): following.start() if following else len(text)]
        tags = frozenset(t.strip() for t in (mark["tags"] or "").split(",") if t.strip())
        unknown = tags - set(FORMATS) - set(RUNS)
        if unknown:
            raise ValueError(f"floor.sql stage {mark['name']}: unknown tags {sorted(unknown)}")
        stages.append(Stage(mark["name"], body, tags))
    return stages


def write_fx_csv(path: Path) -> Path:
    """The bundled ECB history as `rate_date,currency,units_per_eur` (the pipeline's default FX extract)."""
    bundled_fx_rates().select("rate_date", "currency", "units_per_eur").write_csv(path)
    return path


def fx_path_for(db: Path) -> Path:
    return db.with_name(f"{db.stem}.fx_rates.csv")


def connect(db: Path, memory_limit: str | None = None, temp_dir: Path | None = None,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh database file with the benchmark's session settings."""
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    conn = duckdb.connect(str(db))
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("set preserve_insertion_order = false")
    if memory_limit:
        conn.execute("set memory_limit = ?", [memory_limit])
    if temp_dir:
        conn.execute("set temp_directory = ?", [str(temp_dir)])
    if threads:
        conn.execute("set threads = ?", [threads])
    return conn


def quoted(name: str) -> str:
    """A catalog name (the database file's stem) as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def set_variables(conn: duckdb.DuckDBPyConnection, landing: Path, fx_file: Path, as_of: dt.date) -> None:
    """The run's values, as DuckDB variables: floor.sql reads them with getvariable()."""
    conn.execute("set variable landing = ?::varchar", [str(landing.resolve())])
    conn.execute("set variable fx_file = ?::varchar", [str(fx_file.resolve())])
    conn.execute("set variable as_of = ?::date", [as_of])


def run_stage(conn: duckdb.DuckDBPyConnection, stage: Stage) -> float:
    """Execute one stage's statements; return its wall seconds."""
    start = time.perf_counter()
    for statement in conn.extract_statements(stage.sql):
        conn.execute(statement)
    return time.perf_counter() - start


def violations(conn: duckdb.DuckDBPyConnection, rerun: bool = True) -> dict[str, int]:
    """`table.rule` -> rows breaking it, from the validation stage (run again first when `rerun`)."""
    if rerun:
        (stage,) = [s for s in read_stages() if s.name == "validate.staging"]
        run_stage(conn, stage)
    rows = conn.execute("select table_name, rule, violations from staging.validation").fetchall()
    return {f"{table}.{rule}": int(n) for table, rule, n in rows}


def row_counts(conn: duckdb.DuckDBPyConnection, run: str) -> dict[str, object]:
    """Rows per extract fate (full run) and per built table."""
    counts: dict[str, object] = {}
    if run == "full":
        rows = conn.execute("select * from staging.load_reconciliation").fetchall()
        counts["extracts"] = {r[0]: dict(zip(("read", "loaded", "deduplicated", "quarantined"), r[1:],
                                             strict=True)) for r in rows}
    for table in COUNTED[run]:
        counts[table] = conn.execute(f"select count(*) from {table}").fetchone()[0]  # names from code
    return counts


def run(landing: Path, db: Path, as_of: dt.date, fmt: str = "csv", only: str | None = None,
        memory_limit: str | None = None, temp_dir: Path | None = None, threads: int | None = None,
        fx_file: Path | None = None, keep_open: bool = False) -> dict[str, object]:
    """Run the floor (or its core MRR step, `only="mrr"`) and return the report.

    With `keep_open` the report's "connection" holds the open session (the caller closes it).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    which = only or "full"
    if which not in RUNS:
        raise ValueError(f"only must be one of {RUNS[1:]}")
    fx_file = fx_file or write_fx_csv(fx_path_for(db))
    conn = connect(db, memory_limit, temp_dir, threads)
    set_variables(conn, landing, fx_file, as_of)
    database = conn.execute("select current_database()").fetchone()[0]
    if which == "mrr":
        # like pandas, the core step keeps its intermediates in memory; only the bridge is written
        conn.execute("attach ':memory:' as scratch")
        conn.execute("use scratch")
    stages: dict[str, float] = {}
    for stage in read_stages():
        if stage.runs_in(fmt, which):
            stages[stage.name] = round(run_stage(conn, stage), 4)
    counts = row_counts(conn, which)
    if which == "mrr":
        write = Stage("mrr.write_bridge", f"use {quoted(database)}; create schema if not exists metrics; "
                      "create table metrics.mrr_by_month as select * from scratch.metrics.mrr_by_month", frozenset())
        stages[write.name] = round(run_stage(conn, write), 4)
    report: dict[str, object] = {
        "run": which, "format": fmt, "as_of": as_of.isoformat(),
        "stages": stages, "total_seconds": round(sum(stages.values()), 4),
        "rows": counts,
        "violations": violations(conn, rerun=False) if which == "full" else {},
    }
    if keep_open:
        report["connection"] = conn
    else:
        conn.close()
    return report


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="bench/floor", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--landing", type=Path, required=True, help="folder of <source>/<entity>*.csv|parquet")
    parser.add_argument("--db", type=Path, required=True, help="DuckDB file to build (replaced)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="as-of date YYYY-MM-DD")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="which extract files to read")
    parser.add_argument("--only", choices=("mrr",), help="run only the core MRR step (lines + FX -> bridge)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 4GB")
    parser.add_argument("--temp-dir", type=Path, help="DuckDB temp_directory for spilling")
    parser.add_argument("--threads", type=int, help="DuckDB threads")
    args = parser.parse_args(argv)
    report = run(args.landing, args.db, args.as_of, args.format, args.only, args.memory_limit, args.temp_dir,
                 args.threads)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
