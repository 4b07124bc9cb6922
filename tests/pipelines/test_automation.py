"""Retries only for transient errors, and the maximum run time of `clientbook run`."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.settings import ClientbookSettings
from pipelines.cli import main
from pipelines.resources import WarehouseResource
from pipelines.runner import failures
from warehouse.errors import redacted_errors

FIXTURES = Path(__file__).parents[1] / "fixtures"
HOLD_LOCK = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep({})"


@dg.asset(key=["staging", "written"])
def written(duckdb: WarehouseResource) -> None:
    """A step writing the warehouse, as every asset does: through the resource's connection."""
    with duckdb.get_connection() as conn, redacted_errors("staging.written"):
        conn.execute("create or replace table written as select 1 as one")


@dg.asset(key=["staging", "broken"])
def broken(duckdb: WarehouseResource) -> None:
    """A step whose SQL is wrong: a data error, never transient."""
    with duckdb.get_connection() as conn, redacted_errors("staging.broken"):
        conn.execute("select no_such_column from range(3)")


def _events(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> list[dg.DagsterEvent]:
    return [e for e in result.all_events if e.event_type == kind]


def _materialise(assets: list, work: Path, tmp_path: Path, retries: int, wait: float) -> dg.ExecuteInProcessResult:
    settings = ClientbookSettings(landing_dir=str(FIXTURES / "tiny"), warehouse_file=str(tmp_path / "w.duckdb"),
                                  as_of="2024-06-30")
    duckdb = WarehouseResource(database=str(work), transient_retries=retries, transient_retry_wait_seconds=wait)
    (tmp_path / "home").mkdir(exist_ok=True)
    with dg.DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        return dg.materialize(assets, resources={"settings": settings, "duckdb": duckdb}, instance=instance,
                              raise_on_error=False)


def _hold_lock(work: Path, seconds: float) -> subprocess.Popen:
    """Another process writing the working file: DuckDB refuses a second writer ("Conflicting lock")."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK.format(seconds), str(work)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_locked_warehouse_file_is_retried_and_the_run_succeeds(tmp_path):
    work = tmp_path / "w.work.duckdb"
    holder = _hold_lock(work, 6)  # longer than starting the run takes, on a busy machine too
    try:
        result = _materialise([written], work, tmp_path, retries=8, wait=1.5)
    finally:
        holder.wait(timeout=30)
    assert result.success
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) >= 1  # the event log shows the retry


def test_retries_end_after_the_setting_and_the_cause_is_named_redacted(tmp_path):
    work = tmp_path / "w.work.duckdb"
    holder = _hold_lock(work, 20)
    try:
        result = _materialise([written], work, tmp_path, retries=1, wait=0.2)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert not result.success
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    [step], _, _ = failures(result)
    assert step.startswith("staging__written: ") and "warehouse: IOException: " in step and "Conflicting lock" in step
    assert "(PID …)" in step  # numbers of four or more digits are redacted like every DuckDB message


def test_a_non_transient_error_fails_at_once_without_a_retry(tmp_path):
    result = _materialise([broken], tmp_path / "w.work.duckdb", tmp_path, retries=3, wait=0.2)
    assert not result.success
    assert _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    [step], _, _ = failures(result)
    assert "staging.broken: BinderException: Binder Error: Referenced column" in step


def test_the_cli_stops_a_run_at_its_maximum_run_time_and_publishes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    published = tmp_path / "w.duckdb"
    published.write_bytes(b"the last good build")
    code = main(["run", "--landing", str(FIXTURES / "tiny"), "--warehouse", str(published), "--as-of", "2024-06-30",
                 "--max-runtime", "2"])
    assert code == 124
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"clientbook: stopped after the maximum run time of 2 s; the published {published} is unchanged."
    assert published.read_bytes() == b"the last good build"
