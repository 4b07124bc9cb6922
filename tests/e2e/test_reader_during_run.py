"""An analyst holding the published file open for a whole run neither blocks it nor sees it half-built."""

import os
import shutil
import subprocess
import sys
import threading
import time

import duckdb
import pytest

from tests.e2e.crash import PUBLISHED, RUN_ENV, run_argv
from tests.e2e.zygote import ROOT
from warehouse.fingerprint import differing_tables, file_fingerprints, table_fingerprints


@pytest.mark.slow
def test_a_reader_holding_the_published_file_open_neither_blocks_the_run_nor_sees_a_partial_state(
    crash_scenario, tmp_path
):
    _, scenario = crash_scenario
    folder = tmp_path / "warehouse"
    shutil.copytree(scenario.previous_state, folder)
    published = folder / PUBLISHED
    old, new = scenario.prints["previous"], scenario.prints["new"]

    reader = duckdb.connect(str(published), read_only=True)  # opened before the run, closed after it
    reads: list[dict[str, tuple[int, int]]] = []
    stop = threading.Event()

    def keep_reading() -> None:
        cursor = reader.cursor()  # its own cursor: a DuckDB connection is not shared across threads
        while not stop.is_set():
            reads.append(table_fingerprints(cursor))
            time.sleep(0.05)

    thread = threading.Thread(target=keep_reading)
    thread.start()
    began = time.monotonic()
    try:
        # the real command line, not the test's zygote: a run as cron starts it
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", *run_argv(scenario.landing, folder)],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={**RUN_ENV, "DAGSTER_HOME": str(tmp_path / "home"), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
    finally:
        stop.set()
        thread.join()
    seconds = time.monotonic() - began
    after_swap = table_fingerprints(reader)  # the held connection still reads the build it opened
    reader.close()

    assert proc.returncode == 0, proc.stderr[-2000:]
    # not blocked: a lock conflict would fail the step or wait out the transient retries (60 s each)
    assert seconds < 120, f"the run took {seconds:.0f} s with a reader attached"
    assert len(reads) >= 20, f"only {len(reads)} reads during the run"
    partial = [i for i, r in enumerate(reads) if r != old]
    assert not partial, f"read {partial[0]} of {len(reads)} differs in {differing_tables(reads[partial[0]], old)}"
    assert after_swap == old
    fresh = file_fingerprints(published)  # a connection opened after the run sees the new build, whole
    assert fresh == new, differing_tables(fresh, new)
