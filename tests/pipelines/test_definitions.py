"""Loadability: the Definitions load, and their asset, check, job and schedule keys are as listed."""

import datetime as dt
import subprocess
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from pipelines.schedules import nightly_schedule

SNAPSHOT = Path(__file__).parent / "definitions_snapshot.txt"


def _inventory() -> list[str]:
    repo = defs.get_repository_def()
    assets = [f"asset {k.to_user_string()}" for k in repo.asset_graph.get_all_asset_keys()]
    checks = [f"check {k.asset_key.to_user_string()}:{k.name}" for k in repo.asset_graph.asset_check_keys]
    jobs = [f"job {j.name}" for j in repo.get_all_jobs() if not j.name.startswith("__")]
    schedules = [f"schedule {s.name} {s.cron_schedule} {s.execution_timezone}" for s in repo.schedule_defs]
    sensors = [f"sensor {s.name} every {s.minimum_interval_seconds}s {s.default_status.value}"
               for s in repo.sensor_defs]
    return sorted(assets + checks + jobs + schedules + sensors)


def test_definitions_match_the_checked_in_list():
    # update with: python -c "from tests.pipelines.test_definitions import _inventory; print(*_inventory(), sep='\n')"
    assert _inventory() == SNAPSHOT.read_text().split("\n")[:-1]


def test_every_asset_has_a_description_and_a_group():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description, spec.key
        assert spec.group_name in {"crm", "billing", "survey", "revenue", "satisfaction", "value", "publish"}, spec.key


def test_nightly_schedule_runs_at_two_in_budapest_as_of_the_day_before():
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 29, 2, 0))
    request = nightly_schedule(context)
    assert request.run_config["resources"]["settings"]["config"]["as_of"] == "2026-03-28"
    # the run config must be complete: Dagster replaces, not merges, a resource's config
    dg.validate_run_config(defs.resolve_job_def("nightly"), request.run_config)
    assert (nightly_schedule.cron_schedule, nightly_schedule.execution_timezone) == ("0 2 * * *", "Europe/Budapest")


def test_dg_check_defs_passes():
    root = Path(__file__).parents[2]
    proc = subprocess.run([str(root / ".venv" / "bin" / "dg"), "check", "defs"], cwd=root, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
