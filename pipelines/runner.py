"""Runs the nightly job in process on a persistent Dagster instance and prints a short summary."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import dagster as dg
import duckdb

from assets.partitions import first_month, range_tags
from assets.settings import ClientbookSettings, reference_month
from pipelines.definitions import build_definitions
from pipelines.resources import duckdb_resource
from pipelines.watchdog import EXIT_TIMED_OUT, time_limit
from warehouse.errors import disk_full
from warehouse.publish import work_path_for

# the terminal shows one progress line per step and our own warnings; Dagster's console log
# (full of stack traces that can quote extract values) stays in the run's event log
# errors whose messages we wrote and redacted: the terminal may print them whole
SAFE_ERRORS = ("WarehouseError", "WarehouseBusy")
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}, "progress": {}}}


def months_to_build(as_of: dt.date, months: tuple[dt.date, dt.date] | None = None) -> tuple[dt.date, dt.date]:
    """The partition range of a run: every month up to the as-of date's last complete one, or a backfill's."""
    start, end = months or (first_month(), reference_month(as_of))
    if start < first_month() or end > reference_month(as_of) or start > end:
        raise ValueError(
            f"months {start:%Y-%m}..{end:%Y-%m} are not within {first_month():%Y-%m}..{reference_month(as_of):%Y-%m} "
            "(CLIENTBOOK_FIRST_MONTH to the last complete month on the as-of date)"
        )
    return start, end


def execute(
    landing: Path, warehouse: Path, as_of: dt.date, currency: str, instance: dg.DagsterInstance | None = None,
    months: tuple[dt.date, dt.date] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise every asset and check once, month partitions over `months` (default: all of them).

    The same job the schedule and the UI run; a backfill is this run over fewer months.
    """
    start, end = months_to_build(as_of, months)
    settings = ClientbookSettings(
        landing_dir=str(landing), warehouse_file=str(warehouse), as_of=as_of.isoformat(), reporting_currency=currency
    )
    defs = build_definitions(settings, duckdb_resource(warehouse))
    job = defs.resolve_job_def("nightly")
    return job.execute_in_process(
        instance=instance or dg.DagsterInstance.get(),
        raise_on_error=False,
        run_config=QUIET_LOGS,
        tags={"clientbook/as_of": as_of.isoformat(), "clientbook/trigger": "backfill" if months else "cli",
              **range_tags(start, end)},
    )


def failures(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str], int]:
    """Failed step messages, failed error-severity check messages, and the number of checks that passed.

    A failed warning-severity check is neither a failure nor a pass: it is listed by `warnings`.

    Only our own failure descriptions are printed in full: other errors (DuckDB, Polars) can quote
    values from the extracts, so the terminal shows their type and the UI's event log the rest.
    """
    steps = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:  # e.g. the warehouse is busy
            error = event.event_specific_data.error
            shown = error.message.strip() if error.cls_name in SAFE_ERRORS else f"{error.cls_name} (see make ui)"
            steps.append(f"start: {shown.split(': ', 1)[1] if shown.startswith('warehouse.') else shown}")
            continue
        if event.event_type != dg.DagsterEventType.STEP_FAILURE:
            continue
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            steps.append(f"{event.step_key}: {data.user_failure_data.description.strip()}")
        elif data.error and data.error.cls_name != "DagsterAssetCheckFailedError":
            error = data.error.cause or data.error
            while error.cause is not None and error.cls_name not in SAFE_ERRORS:  # e.g. a resource's own error
                error = error.cause
            if error.cls_name in SAFE_ERRORS:  # our own messages, already redacted: safe to print
                steps.append(f"{event.step_key}: {error.message.strip()}")
            elif full := disk_full(error.message):  # e.g. DuckDB failing to open the working file
                steps.append(f"{event.step_key}: {full}")
            else:
                steps.append(f"{event.step_key}: {error.cls_name} (details in the run's event log: make ui)")
    evaluations = result.get_asset_check_evaluations()
    failed = _failed_checks(evaluations, dg.AssetCheckSeverity.ERROR)
    return steps, failed, sum(1 for e in evaluations if e.passed)


def warnings(result: dg.ExecuteInProcessResult) -> list[str]:
    """Failed warning-severity checks: reported, but they neither block nor fail the run."""
    return _failed_checks(result.get_asset_check_evaluations(), dg.AssetCheckSeverity.WARN)


def _failed_checks(evaluations: list[dg.AssetCheckEvaluation], severity: dg.AssetCheckSeverity) -> list[str]:
    return [
        f"{e.asset_key.to_user_string()}:{e.check_name}" + (f": {e.description}" if e.description else "")
        for e in evaluations
        if not e.passed and e.severity == severity
    ]


def _row(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object], width: int) -> tuple[object, ...]:
    """One row of `width` values, all None when the table or the row is missing."""
    rows = _rows(conn, sql, params)
    return tuple(rows[0]) if rows else (None,) * width


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> object:
    return _row(conn, sql, params, 1)[0]


def summary(warehouse: Path, reference_month: dt.date) -> list[str]:
    """Headline numbers of the reference month, read back from the built warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        clients = _scalar(conn, "select count(*) from marts.dim_customers", [])
        active, mrr = _row(conn, "select ending_customers, ending_mrr from metrics.mrr_by_month "
                                 "where revenue_month = ?", [reference_month], 2)
        # NPS over the trailing 12 months from the monthly counts of metrics.nps_by_month
        nps = _scalar(
            conn,
            "select 100 * (sum(promoters) - sum(detractors)) / sum(responses) from metrics.nps_by_month "
            "where response_month > ? - interval 12 month and response_month <= ?",
            [reference_month, reference_month],
        )
        value, currency = _row(conn, "select book_value, reporting_currency from valuation.book_valuation", [], 2)
        margin_value, adjustment, basis, model = _row(
            conn, "select book_value, concentration_adjustment, margin_basis, retention_model "
                  "from valuation.book_valuation_by_month where valuation_month = ?", [reference_month], 4)
        largest, hhi_clients = _row(
            conn, "select largest_client_share, effective_clients from metrics.concentration_by_month "
                  "where revenue_month = ?", [reference_month], 2)
        auc = _scalar(conn, "select avg(roc_auc) from metrics.churn_backtest where model = 'classifier'", [])
    fmt = lambda v, spec: "n/a" if v is None else format(v, spec)  # noqa: E731
    return [
        f"clients in CRM        {fmt(clients, ',')}",
        f"active clients        {fmt(active, ',')}   ({reference_month:%Y-%m})",
        f"MRR                   {fmt(mrr, ',.2f')} {currency or ''}",
        f"NPS (trailing 12 mo)  {fmt(nps, '.1f')}",
        f"book value (DCF)      {fmt(value, ',.0f')} {currency or ''}   (12 × MRR, trailing GRR)",
        f"{'book value (' + (basis or 'margin') + ')':<22}{fmt(margin_value, ',.0f')} "
        f"{currency or ''}   ({model or 'no'} retention model; concentration adjustment {fmt(adjustment, ',.0f')})",
        f"largest client        {fmt(largest and 100 * largest, '.1f')}% of MRR; "
        f"{fmt(hhi_clients, ',.1f')} effective clients (1/HHI)",
        f"churn model ROC AUC   {fmt(auc, '.3f')} (mean of the backtest months)",
    ]


def ingest_report(work: Path, run_id: str) -> list[str]:
    """Tonight's files by status, rejects with their reason, and every quarantined row by reason."""
    if not work.exists():
        return []
    with duckdb.connect(str(work), read_only=True) as conn:
        files = dict(_rows(conn, "select status, count(*) from raw.file_manifest where run_id = ? group by all",
                           [run_id]))
        rejected = _rows(conn, "select file_name, reason_code from raw.file_manifest where run_id = ? "
                               "and status = 'rejected' order by all", [run_id])
        reasons = _rows(conn, "select reason_code, count(distinct (entity, source_file, file_sha256, line_number)) "
                              "from staging.quarantine group by all order by 2 desc, 1", [])
        held = _rows(conn, "select file_name from staging.file_reconciliation where is_over_threshold "
                           "order by all", [])
    quarantined = ", ".join(f"{r} {n:,}" for r, n in reasons) or "none"
    lines = [
        f"files tonight: loaded {files.get('loaded', 0)}, skipped as identical {files.get('skipped_duplicate', 0)}, "
        f"rejected {files.get('rejected', 0)}; files held back (quarantine share) {len(held)}",
        f"quarantined rows by reason: {quarantined}",
    ]
    lines += [f"rejected {name} ({reason}); moved to _rejected/" for name, reason in rejected]
    lines += [f"held back {name} (file_over_threshold)" for (name,) in held]
    return lines


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> list[tuple]:
    """Every row of the query; none when a table is missing (a run that stopped before building it)."""
    try:
        return conn.execute(sql, params).fetchall()
    except duckdb.CatalogException:
        return []


MAX_RUNTIME_SECONDS = ClientbookSettings.model_fields["max_runtime_seconds"].default


def run_nightly(landing: Path, warehouse: Path, as_of: dt.date, currency: str,
                max_runtime_seconds: float = MAX_RUNTIME_SECONDS,
                months: tuple[dt.date, dt.date] | None = None) -> int:
    """Run, print what failed and the summary; 0 when everything passed and was published, else 1.

    `months` narrows the month partitions rebuilt (a backfill); every other table is built whole.
    A run still going after `max_runtime_seconds` is stopped before it publishes: exit 124.
    """
    try:
        start, end = months_to_build(as_of, months)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"clientbook: building {warehouse} from {landing} as of {as_of} ({currency}), "
          f"month partitions {start:%Y-%m}..{end:%Y-%m}", flush=True)
    result = None
    published_before = _identity(warehouse)
    with time_limit(max_runtime_seconds) as timed_out:
        try:
            result = execute(landing, warehouse, as_of, currency, months=months)
        except KeyboardInterrupt:
            if not timed_out.is_set():
                raise
        except OSError as exc:  # our own file operations outside any step
            if (full := disk_full(exc)) is None:
                raise
            print(f"clientbook: {full}", file=sys.stderr)
            return 1
    if timed_out.is_set() and (result is None or not result.success):
        # told from the file, not assumed: the limit may strike just after the swap
        if _identity(warehouse) != published_before:
            kept = f"it had already published {warehouse}"
        else:
            kept = f"the published {warehouse} is unchanged" if warehouse.exists() else f"{warehouse} was not published"
        print(f"clientbook: stopped after the maximum run time of {max_runtime_seconds:g} s; {kept}.", file=sys.stderr)
        return EXIT_TIMED_OUT
    steps, failed_checks, passed = failures(result)
    for line in steps:
        print(f"FAILED step  {line}", file=sys.stderr)
    for line in failed_checks:
        print(f"FAILED check {line}", file=sys.stderr)
    warned = warnings(result)
    for line in warned:
        print(f"WARNING check {line}", file=sys.stderr)
    for line in ingest_report(work_path_for(warehouse), result.run_id):
        print(f"ingest  {line}")
    print(f"checks passed {passed}, failed {len(failed_checks)}, warnings {len(warned)}; Dagster run {result.run_id}")
    if not result.success or steps or failed_checks:
        kept = f"the published {warehouse} is unchanged" if warehouse.exists() else f"{warehouse} was not published"
        print(f"clientbook: the run did not complete; {kept}. See the messages above or `make ui`.", file=sys.stderr)
        return 1
    for line in summary(warehouse, reference_month(as_of)):
        print("  " + line)
    for line in restatements(warehouse, result.run_id):
        print("restated " + line)
    return 0


def _identity(path: Path) -> tuple[int, int] | None:
    """The published file's inode and modification time: a publish replaces the file, so both change."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def restatements(warehouse: Path, run_id: str) -> list[str]:
    """The closed months this run restated, per table, from the restatement log."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = _rows(conn, "select table_name, string_agg(strftime(restated_month, '%Y-%m'), ', ' "
                           "order by restated_month) from metrics.restatement_log where run_id = ? "
                           "group by all order by all", [run_id])
    return [f"{table}: {months}" for table, months in rows]
