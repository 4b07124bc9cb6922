"""The landing sensor: one run per new complete file, keyed by the SHA-256 of its bytes."""

import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.settings import FIRM_TZ
from pipelines.schedules import nightly_schedule
from pipelines.sensors import landing_sensor

HEADER = "customer_id,customer_name,created_at\n"
OLD = time.time() - 3600  # an hour ago: past every profile's stable_seconds


@pytest.fixture
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    monkeypatch.setenv("CLIENTBOOK_LANDING", str(landing))
    monkeypatch.setenv("CLIENTBOOK_WAREHOUSE", str(tmp_path / "w.duckdb"))
    return landing


def _land(path: Path, text: str, mtime: float = OLD) -> str:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return hashlib.sha256(text.encode()).hexdigest()


def _tick(cursor: str | None = None) -> dg.SensorResult:
    with dg.DagsterInstance.ephemeral() as instance:
        return landing_sensor(dg.build_sensor_context(cursor=cursor, instance=instance))


def test_one_run_per_new_file_keyed_by_its_sha_then_nothing_on_an_unchanged_tick(landing):
    sha = _land(landing / "crm" / "customers_2024-06-30.csv", HEADER + "C1,Anna,2024-01-01\n")
    first = _tick()
    [request] = first.run_requests
    assert request.run_key == sha
    assert request.tags["clientbook/trigger"] == "sensor"
    assert request.tags["clientbook/file"] == "crm/customers_2024-06-30.csv"
    assert request.tags["dagster/max_runtime"] == "14400"
    assert request.run_config["resources"]["settings"]["config"]["landing_dir"] == str(landing)
    # the cursor keeps (size, mtime_ns) -> sha, so the next tick neither hashes nor requests again
    assert json.loads(first.cursor)["crm/customers_2024-06-30.csv"][2] == sha
    assert _tick(first.cursor).run_requests == []


def test_a_renamed_copy_has_the_same_run_key_so_dagster_runs_it_once(landing):
    text = HEADER + "C1,Anna,2024-01-01\n"
    sha = _land(landing / "crm" / "customers_2024-06-30.csv", text)
    cursor = _tick().cursor
    _land(landing / "crm" / "customers_copy.csv", text)
    [request] = _tick(cursor).run_requests
    assert request.run_key == sha  # the daemon skips a run key this sensor has requested before


def test_files_still_being_written_or_not_extracts_are_not_requested(landing):
    _land(landing / "crm" / "customers_new.csv", HEADER, mtime=time.time())  # modified just now
    _land(landing / "crm" / "customers_a.csv.done", "")
    _land(landing / "crm" / "notes.txt", "not an extract")
    (landing / "_rejected" / "crm").mkdir(parents=True)
    _land(landing / "_rejected" / "crm" / "customers_bad.csv", HEADER)
    assert _tick().run_requests == []


def test_with_a_done_marker_profile_only_marked_files_are_requested(landing):
    (landing / "crm" / "profile.toml").write_text('ready = "done_marker"\n', encoding="utf-8")
    _land(landing / "crm" / "customers_1.csv", HEADER + "C1,Anna,2024-01-01\n")
    sha = _land(landing / "crm" / "customers_2.csv", HEADER + "C2,Béla,2024-01-01\n")
    _land(landing / "crm" / "customers_2.csv.done", "")
    assert [r.run_key for r in _tick().run_requests] == [sha]


def test_files_the_build_has_met_are_not_requested(landing, tmp_path):
    loaded = _land(landing / "crm" / "customers_1.csv", HEADER + "C1,Anna,2024-01-01\n")
    new = _land(landing / "crm" / "customers_2.csv", HEADER + "C2,Béla,2024-01-01\n")
    # the manifest is in the working file: the analysts' copy has no raw layer
    with duckdb.connect(str(tmp_path / "w.work.duckdb")) as conn:
        conn.execute("create schema raw")
        conn.execute("create table raw.file_manifest as select ? as file_sha256, 'loaded' as status", [loaded])
    assert [r.run_key for r in _tick().run_requests] == [new]


def test_the_schedule_and_the_sensor_build_their_requests_alike(monkeypatch):
    monkeypatch.setenv("CLIENTBOOK_MAX_RUNTIME", "600")
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 29, 2, 0, tzinfo=FIRM_TZ))
    request = nightly_schedule(context)
    assert request.run_key == "2026-03-28"
    # every month partition up to the last complete month on 28 March: February
    assert request.tags == {"clientbook/as_of": "2026-03-28", "clientbook/trigger": "schedule",
                            "dagster/max_runtime": "600", "dagster/asset_partition_range_start": "2023-11-01",
                            "dagster/asset_partition_range_end": "2026-02-01"}
    assert request.run_config["resources"]["settings"]["config"]["max_runtime_seconds"] == 600
