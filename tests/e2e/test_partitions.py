"""Monthly partitions: a 36-month backfill equals a full rebuild, reruns change nothing, months are as of themselves."""

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.metrics import METRIC_TABLES
from assets.partitions import first_month, partition_key
from assets.settings import ClientbookSettings
from pipelines.definitions import build_definitions
from pipelines.demo import write_demo_extracts
from pipelines.resources import duckdb_resource
from pipelines.runner import QUIET_LOGS, execute
from warehouse.db import read_sql
from warehouse.fingerprint import differing_tables, file_fingerprints, table_fingerprints
from warehouse.partitions import MonthTable, write_months
from warehouse.publish import work_path_for

AS_OF = dt.date(2026, 10, 31)
FIRST, LAST = dt.date(2023, 11, 1), dt.date(2026, 10, 1)  # the demo's 3 years: 36 months
PARTITIONED = [t for t in METRIC_TABLES if t.month_column]


def _run(landing: Path, warehouse: Path, home: Path, months: tuple[dt.date, dt.date] | None = None
         ) -> dg.ExecuteInProcessResult:
    home.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        result = execute(landing, warehouse, AS_OF, "EUR", instance=instance, months=months)
    assert result.success
    return result


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    write_demo_extracts(landing, clients=60, years=3, seed=7, as_of=AS_OF)
    return landing


@pytest.fixture(scope="module")
def full_build(demo_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One nightly run over every month: the reference the backfills are compared with."""
    tmp = tmp_path_factory.mktemp("full")
    warehouse = tmp / "clientbook.duckdb"
    _run(demo_landing, warehouse, tmp / "home")
    return warehouse


def test_the_demo_history_is_36_months(full_build: Path) -> None:
    with duckdb.connect(str(full_build), read_only=True) as conn:
        months = conn.execute("select min(revenue_month), max(revenue_month), count(*) from metrics.mrr_by_month"
                              ).fetchone()
    assert months == (FIRST, LAST, 36)


def test_a_36_month_backfill_equals_a_full_rebuild_and_twice_changes_nothing(
    demo_landing: Path, full_build: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "clientbook.duckdb"
    _run(demo_landing, warehouse, tmp_path / "home", months=(FIRST, LAST))
    backfilled = file_fingerprints(warehouse)
    assert differing_tables(file_fingerprints(full_build), backfilled) == []

    second = _run(demo_landing, warehouse, tmp_path / "home", months=(FIRST, LAST))
    assert differing_tables(backfilled, file_fingerprints(warehouse)) == []
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from metrics.restatement_log").fetchone() == (0,)
        # every month of the range was written again by the second run, and none was restated
        months = conn.execute(
            "select count(distinct partition_month), bool_or(is_restated) from metrics.partition_state "
            "where table_name = 'metrics.mrr_by_month' and run_id = ?", [second.run_id]
        ).fetchone()
    assert months == (36, False)


def test_one_run_per_month_equals_one_run_over_the_range(full_build: Path, tmp_path: Path) -> None:
    """A UI backfill may run each month on its own: every month computed as of itself gives the same rows."""
    work = tmp_path / "work.duckdb"
    shutil.copyfile(work_path_for(full_build), work)
    settings = ClientbookSettings(landing_dir="-", warehouse_file="-", as_of=AS_OF.isoformat())
    with duckdb.connect(str(work)) as conn:
        before = table_fingerprints(conn)
        for spec in PARTITIONED:
            table = MonthTable(spec.layer, spec.table, spec.month_column or "", spec.total_column)
            conn.execute(f"delete from {table.name}")  # nothing left over from the full run
            month = FIRST
            while month <= LAST:
                params = settings.sql_params() | {"reference_month": month}
                write_months(conn, table, read_sql(spec.layer, spec.table), params, month, month, first_month(),
                             "per-month", AS_OF)
                month = (month + dt.timedelta(days=32)).replace(day=1)
        after = table_fingerprints(conn)
    changed = differing_tables(before, after)
    # only the bookkeeping of which run wrote which month differs (its fingerprint leaves the run out)
    assert changed == []


def test_a_dagster_run_of_one_partition_replaces_only_that_month(full_build: Path, demo_landing: Path,
                                                                 tmp_path: Path) -> None:
    """The run a multi-run UI backfill launches for one month: the job with that partition key."""
    published = tmp_path / "clientbook.duckdb"
    shutil.copyfile(work_path_for(full_build), work_path_for(published))
    before = file_fingerprints(work_path_for(published))
    settings = ClientbookSettings(landing_dir=str(demo_landing), warehouse_file=str(published), as_of=AS_OF.isoformat())
    job = build_definitions(settings, duckdb_resource(published)).resolve_job_def("nightly")
    (tmp_path / "home").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        result = job.execute_in_process(instance=instance, partition_key=partition_key(dt.date(2026, 5, 1)),
                                        run_config=QUIET_LOGS, raise_on_error=False)
    assert result.success
    assert differing_tables(before, file_fingerprints(work_path_for(published))) == []
    with duckdb.connect(str(work_path_for(published)), read_only=True) as conn:
        written = conn.execute("select distinct partition_month from metrics.partition_state where run_id = ?",
                               [result.run_id]).fetchall()
    assert written == [(dt.date(2026, 5, 1),)]
