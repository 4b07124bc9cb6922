"""Sensors: a run for each new complete file in the landing folder, keyed by the SHA-256 of its bytes."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from assets.raw.landing import Candidate, find_candidates, is_plain, ready_files, safe_name, sha256_of
from pipelines.jobs import nightly_job
from pipelines.resources import published_from_env, settings_from_env
from pipelines.schedules import as_of_before, nightly_run_request
from warehouse.contract import EXTRACTS
from warehouse.lock import WarehouseBusy, warehouse_lock
from warehouse.profiles import ProfileError, load_profile
from warehouse.publish import work_path_for

# the cursor remembers (size, mtime_ns) -> sha of the files present, so an unchanged file is not
# hashed again every tick; files that left the landing folder leave the cursor, and it never
# holds more than this many entries
CURSOR_MAX_FILES = 5000


def complete_files(landing: Path) -> Iterator[Candidate]:
    """Every plain extract file that its source profile calls complete; `_rejected/` is never searched.

    The profile's `stable` rule is read without waiting: a file modified less than `stable_seconds`
    ago is left for a later tick instead of sleeping in the sensor.
    """
    now_ns = time.time_ns()
    for extract in EXTRACTS:
        try:
            profile = load_profile(landing, extract.source)
        except ProfileError:
            continue  # the run reports a broken profile; the sensor has nothing to add
        found = [c for c in find_candidates(landing, extract.source, profile.files_for(extract))
                 if is_plain(c.path, landing)]
        if profile.ready == "stable":
            found = [c for c in found if now_ns - c.mtime_ns >= profile.stable_seconds * 1e9]
        yield from ready_files(found, profile)[0]


def loaded_shas(work: Path) -> set[str]:
    """SHA-256 of every file version the build has met (not rejected); empty when unreadable.

    The manifest lives in the working file (the analysts' copy has no raw layer). It is opened
    read-only; while a run holds the warehouse nothing is skipped here: the run keys still keep a
    file from running twice.
    """
    if not work.is_file():
        return set()
    try:
        # under the warehouse lock, so the sensor's read never makes a run's step wait
        with warehouse_lock(work), duckdb.connect(str(work), read_only=True) as conn:
            rows = conn.execute("select distinct file_sha256 from raw.file_manifest where status <> 'rejected'")
            return {sha for (sha,) in rows.fetchall()}
    except (duckdb.Error, WarehouseBusy):
        return set()


@dg.sensor(
    job=nightly_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="One nightly run per new complete file in CLIENTBOOK_LANDING, keyed by its SHA-256.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Request one run per new file; a file seen before, renamed or not, never runs twice."""
    landing = Path(settings_from_env().landing_dir)
    known: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
    seen: dict[str, list] = {}
    new: list[tuple[str, str]] = []
    for c in complete_files(landing):
        entry = known.get(c.name)
        if entry and entry[:2] == [c.size, c.mtime_ns]:
            seen[c.name] = entry
            continue
        try:
            sha = sha256_of(c.path)
        except OSError:
            continue  # moved or locked meanwhile: the next tick sees it again
        seen[c.name] = [c.size, c.mtime_ns, sha]
        new.append((c.name, sha))
    loaded = loaded_shas(work_path_for(published_from_env())) if new else set()
    as_of = as_of_before(dt.datetime.now(dt.UTC))
    # Dagster skips a run key this sensor has requested before: a re-detected file, or a copy of
    # one under another name, has the same key; copies met in the same tick are requested once
    first_name = {sha: name for name, sha in reversed(new) if sha not in loaded}
    requests = [
        nightly_run_request(as_of, "sensor", run_key=sha, tags={"clientbook/file": safe_name(name)[:200]})
        for sha, name in sorted(first_name.items(), key=lambda item: item[1])
    ]
    cursor = dict(sorted(seen.items())[:CURSOR_MAX_FILES])
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, separators=(",", ":")))
