"""The warehouse lock: one run or erasure at a time, released when its holder ends or dies."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.privacy import erase_client
from warehouse.lock import WarehouseBusy, acquire, is_locked, lock_path_for, release, warehouse_lock


def test_a_second_holder_is_refused_until_the_first_releases(tmp_path):
    work = tmp_path / "w.work.duckdb"
    fd = acquire(work)
    with pytest.raises(WarehouseBusy, match=f"another clientbook run, backfill or erasure is using {tmp_path}"):
        acquire(work)
    assert is_locked(work)
    release(fd)
    assert not is_locked(work)
    with warehouse_lock(work):
        assert is_locked(work)
    assert oct(lock_path_for(work).stat().st_mode & 0o777) == "0o600"


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    work = tmp_path / "w.work.duckdb"
    code = f"from pathlib import Path; from warehouse.lock import acquire; acquire(Path({str(work)!r})); " \
           "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2])
    assert proc.returncode == -9
    assert not is_locked(work)


def test_an_erasure_is_refused_while_a_run_holds_the_warehouse(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLIENTBOOK_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    published = tmp_path / "w.duckdb"
    duckdb.connect(str(tmp_path / "w.work.duckdb")).close()
    with warehouse_lock(tmp_path / "w.work.duckdb"):
        assert erase_client("C1", published, "request 1") == 2
    assert "is using" in capsys.readouterr().err
    assert not (tmp_path / "w.erasure_ledger.jsonl").exists()  # nothing recorded


def test_a_run_meeting_a_held_warehouse_fails_at_start_and_says_why(tmp_path, monkeypatch):
    # a second run waits `lock_wait_seconds` (1 here, 60 by default), then fails before any step
    import dagster as dg

    import pipelines.runner as runner
    from pipelines.resources import WarehouseResource
    from warehouse.publish import work_path_for

    def resource(published: Path) -> WarehouseResource:
        return WarehouseResource(database=str(work_path_for(published)), lock_wait_seconds=1)

    monkeypatch.setattr(runner, "duckdb_resource", resource)
    (tmp_path / "home").mkdir()
    landing = Path(__file__).parents[1] / "fixtures" / "tiny"
    with warehouse_lock(tmp_path / "w.work.duckdb"), dg.DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        result = runner.execute(landing, tmp_path / "w.duckdb", dt.date(2024, 6, 30), "EUR", instance=instance)
    assert not result.success
    steps, _, passed = runner.failures(result)
    assert steps == [f"start: another clientbook run, backfill or erasure is using {tmp_path}: wait for it to "
                     "finish, then run again"]
    assert passed == 0 and not (tmp_path / "w.duckdb").exists()
