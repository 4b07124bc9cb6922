"""Crash safety: SIGKILL `clientbook run` at random points and check what an analyst would open.

The scenario: a *previous* clean state (a run on landing v1, a copy of tests/fixtures/tiny) and the
*new* clean build (a copy of that state rerun, uninterrupted, on landing v2 = v1 plus one more
invoice file). Starting from a copy of the previous state with landing v2, each kill point starts
the run and SIGKILLs its process group after a seeded random delay, then checks that the published
file opens read-only and that its fingerprint (every table's row count and row-hash sum) equals the
previous or the new clean build's, and that the kept previous copy does too. Kill points follow
each other on the same state, so later kills land in the recovery from earlier ones; every
`converge_every` kills an uninterrupted rerun must exit 0, publish exactly the new clean build and
leave no stray file beside it, and the next block starts again from the previous state.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.zygote import Child, Zygote
from warehouse.fingerprint import differing_tables, file_fingerprints

FIXTURE = Path(__file__).parents[1] / "fixtures" / "tiny"
AS_OF = "2024-06-30"
RUN_ENV = {"CLIENTBOOK_PSEUDONYM_KEY": "crash-harness-fixed-test-key"}
PUBLISHED = "clientbook.duckdb"
# what a finished run may leave in the warehouse folder; anything else is a stray partial file
EXPECTED_FILES = frozenset(
    {PUBLISHED, "clientbook.previous.duckdb", "clientbook.work.duckdb", "clientbook.work.duckdb.lock"}
)
# the new night's extra invoice file: C4's June retainer (in EUR: the fixture has no June HUF rate),
# so C4 no longer churns in June and the metrics, marts and valuation all change
NEW_INVOICES = (
    "invoice_id,line_number,customer_id,issue_date,service_start_date,service_end_date,product,quantity,"
    "unit_price,discount,net_amount,currency,billing_interval,document_type,corrected_invoice_id\n"
    "INV-44,1,C4,2024-06-01,2024-06-01,2024-06-30,RETAINER,1,130,0,130.00,EUR,month,invoice,\n"
)
STEP_DONE = re.compile(r"^\s+\[\s*[\d.]+s\] (?:ok  |FAIL|skip) (\S+)", re.MULTILINE)
BANNER = "clientbook: building"
Fingerprint = dict[str, tuple[int, int]]
# where kills are aimed, in turn: most at ingest, where a kill is cheap (it comes early) and where
# rows and manifest entries are written; a fifth each at the build and at publishing
AIMS = ("ingest", "build", "ingest", "publish", "ingest")


def make_landing(target: Path, with_new_invoices: bool) -> Path:
    """Landing v1 (the tiny fixture) or v2 (plus one invoice file); every file landed an hour ago."""
    shutil.copytree(FIXTURE, target)
    if with_new_invoices:
        (target / "billing" / "invoice_lines_2024-06-29.csv").write_text(NEW_INVOICES, encoding="utf-8")
    an_hour_ago = time.time() - 3600  # older than the profiles' stable_seconds: no run waits for a file
    for path in target.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    return target


def run_argv(landing: Path, folder: Path) -> list[str]:
    return ["run", "--landing", str(landing), "--warehouse", str(folder / PUBLISHED), "--as-of", AS_OF,
            "--currency", "EUR"]


def steps_done(stderr: str) -> list[str]:
    """The steps the run reported finished, in order (progress lines of pipelines/progress.py, on stderr).

    Only whole lines count: a line still being written would give a truncated step name.
    """
    return STEP_DONE.findall(stderr[: stderr.rfind("\n") + 1])


def stray_files(folder: Path, allowed: frozenset[str] = EXPECTED_FILES) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in allowed)


def compare(label: str, found: Fingerprint, expected: dict[str, Fingerprint]) -> str | None:
    """None when `found` equals one of the expected builds, else which tables differ from each."""
    if any(found == e for e in expected.values()):
        return None
    diffs = "; ".join(f"vs {name}: {', '.join(differing_tables(found, e)[:8])}" for name, e in expected.items())
    return f"{label} equals no expected build ({diffs})"


@dataclass
class Timeline:
    """When each step finished in the uninterrupted new build, in seconds since the run was started."""

    steps: list[tuple[float, str]]
    total: float

    def order(self) -> list[str]:
        return [s for _, s in self.steps]

    def finished(self, prefix: str) -> float:
        return max(t for t, s in self.steps if s.startswith(prefix))

    def before_publish(self) -> tuple[float, str]:
        i = self.order().index("publish__warehouse_file")
        return self.steps[i - 1]


@dataclass
class Scenario:
    """The two clean builds every kill point is compared with, and where the previous state lies."""

    root: Path
    previous_state: Path
    landing: Path
    prints: dict[str, Fingerprint]
    timeline: Timeline


@dataclass
class KillPoint:
    number: int
    aimed_at: str
    delay: float
    killed: bool
    last_started: str
    phase: str
    failure: str | None = None


@dataclass
class Report:
    points: list[KillPoint] = field(default_factory=list)
    convergences: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def landed(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.points:
            counts[p.phase] = counts.get(p.phase, 0) + 1
        return counts


def run_through(zygote: Zygote, landing: Path, folder: Path, logs: Path) -> tuple[int | None, Timeline]:
    """One uninterrupted run, with the time each step was reported finished."""
    child = zygote.start(run_argv(landing, folder), {**RUN_ENV, "DAGSTER_HOME": str(logs.parent / "home")}, logs)
    seen: list[tuple[float, str]] = []
    while child.alive():
        time.sleep(0.02)
        _note_steps(child, seen)
    code = child.wait()
    _note_steps(child, seen)
    return code, Timeline(seen, time.monotonic() - child.started)


def _note_steps(child: Child, seen: list[tuple[float, str]]) -> None:
    done = steps_done(child.output()[1])
    now = time.monotonic() - child.started
    seen.extend((now, s) for s in done[len(seen):])


def prepare(zygote: Zygote, root: Path) -> Scenario:
    """Build the previous state (landing v1) and the new clean build (its copy rerun on landing v2)."""
    previous = root / "previous"
    previous.mkdir(parents=True)
    code, _ = run_through(zygote, make_landing(root / "landing_v1", False), previous, root / "logs" / "previous")
    if code != 0:
        raise AssertionError(f"the previous clean build failed: {_tail(root / 'logs' / 'previous.err')}")
    landing = make_landing(root / "landing_v2", True)
    new = root / "new"
    # Once in a fresh-clone suite (2026-12-07) a clean run exited 0 and published, and Dagster's event log
    # held the publish step's STEP_SUCCESS, but its `ok publish__warehouse_file` progress line was missing
    # from stderr (cause not found; not reproduced). The kill plan needs that line's time, so the clean
    # build is measured again, once, in that case.
    for attempt in range(2):
        shutil.rmtree(new, ignore_errors=True)
        shutil.copytree(previous, new)
        code, timeline = run_through(zygote, landing, new, root / "logs" / f"new{attempt or ''}")
        if code != 0:
            raise AssertionError(f"the new clean build failed: {_tail(root / 'logs' / 'new.err')}")
        if "publish__warehouse_file" in timeline.order():
            break
    else:
        raise AssertionError("the new clean build twice printed no progress line for publish__warehouse_file")
    prints = {"previous": file_fingerprints(previous / PUBLISHED), "new": file_fingerprints(new / PUBLISHED)}
    if "metrics.mrr_by_month" not in differing_tables(prints["previous"], prints["new"]):
        raise AssertionError("landing v2 leaves the metrics as they were: the two clean builds are hard to tell apart")
    return Scenario(root, previous, landing, prints, timeline)


def _tail(path: Path) -> str:
    return " | ".join(path.read_text(errors="replace").strip().splitlines()[-5:]) if path.exists() else "no output"


def plan(rng: random.Random, kills: int, timeline: Timeline) -> list[tuple[str, float]]:
    """(aim, delay) per kill, stratified so kills land in ingest, in the build and in publishing.

    `ingest` and `build` delays count from the start and spread uniformly over the time the clean
    run spent there. `publish` kills wait for the last step before publishing to be reported and
    then spread over the rest of the run (publishing, the summary, the exit): a fixed delay
    would mostly miss a step that lasts a fraction of a second.
    """
    ingest_end = timeline.finished("raw__")
    before, _ = timeline.before_publish()
    windows = {"ingest": (0.0, ingest_end), "build": (ingest_end, before), "publish": (0.0, timeline.total - before)}
    aims = [AIMS[i % len(AIMS)] for i in range(kills)]
    rng.shuffle(aims)
    return [(aim, rng.uniform(*windows[aim])) for aim in aims]


def locate(stdout: str, stderr: str, order: list[str], killed: bool) -> tuple[str, str]:
    """The last step the run had started when killed (the one after the last finished) and its phase."""
    if not killed:
        return "(finished)", "completed before the kill"
    if BANNER not in stdout:
        return "(process start)", "start"
    done = steps_done(stderr)
    if not done:
        return f"(setup) or {order[0]}", "start"
    if done[-1] == order[-1]:
        return "(summary and exit)", "after publish"
    if done[-1] not in order:
        return f"after {done[-1]}", "build"
    at = order.index(done[-1]) + 1
    ingest_end = max(i for i, s in enumerate(order) if s.startswith("raw__"))  # raw tables and their checks
    phase = "publish" if order[at].startswith("publish") else "ingest" if at <= ingest_end else "build"
    return order[at], phase


def kill_point(zygote: Zygote, scenario: Scenario, folder: Path, number: int, aim: str, delay: float) -> KillPoint:
    """Start the run, SIGKILL it after `delay`, check the published file and its previous copy."""
    logs = folder.parent / "logs" / f"kill{number:03d}"
    child = zygote.start(run_argv(scenario.landing, folder), {**RUN_ENV, "DAGSTER_HOME": str(folder.parent / "home")},
                         logs)
    start = child.started
    if aim == "publish":  # wait for the step before publishing, then the delay
        anchor = scenario.timeline.before_publish()[1]
        while child.alive() and anchor not in steps_done(child.output()[1]):
            time.sleep(0.005)
        start = time.monotonic()
    while child.alive() and time.monotonic() < start + delay:
        time.sleep(0.005)
    killed = child.kill()
    seconds = time.monotonic() - child.started
    step, phase = locate(*child.output(), scenario.timeline.order(), killed)
    point = KillPoint(number, aim, seconds, killed, step, phase)
    code = child.wait()
    if not killed and code != 0:  # it ended on its own before the kill: it must have succeeded
        point.failure = f"the run exited {code} before the kill: {_tail(child.stderr)}"
    point.failure = point.failure or check_published(folder, scenario.prints)
    return point


def check_published(folder: Path, prints: dict[str, Fingerprint]) -> str | None:
    """The published file and its previous copy open read-only and each equals a clean build."""
    published = folder / PUBLISHED
    try:
        problem = compare("published file", file_fingerprints(published), prints)
        previous = folder / "clientbook.previous.duckdb"
        if problem is None and previous.exists():
            problem = compare("previous copy", file_fingerprints(previous), prints)
    except Exception as exc:  # a file that does not open is exactly what this harness looks for
        problem = f"published file does not open read-only: {type(exc).__name__}: {str(exc)[:200]}"
    return problem


def converge(zygote: Zygote, scenario: Scenario, folder: Path, label: str) -> str | None:
    """An uninterrupted rerun exits 0, publishes exactly the new build and leaves no stray file."""
    code, _ = run_through(zygote, scenario.landing, folder, folder.parent / "logs" / label)
    if code != 0:
        return f"{label}: the rerun exited {code}: {_tail(folder.parent / 'logs' / f'{label}.err')}"
    found = file_fingerprints(folder / PUBLISHED)
    if found != scenario.prints["new"]:
        return f"{label}: the rerun did not converge: {', '.join(differing_tables(found, scenario.prints['new']))}"
    if stray := stray_files(folder):
        return f"{label}: stray files beside the published one after a completed run: {', '.join(stray)}"
    if (scenario.landing / "_rejected").exists():
        return f"{label}: a run moved landed files to _rejected/"
    return None


def campaign(zygote: Zygote, scenario: Scenario, kills: int, seed: int, converge_every: int,
             progress: Callable[[str], None] = print, workdir: Path | None = None) -> Report:
    """`kills` kill points in blocks of `converge_every`, each block ended by a convergence rerun.

    Each block works in its own folder under `workdir` (default: beside the scenario), with the
    run logs, and removes it when it passed.
    """
    report, began = Report(), time.monotonic()
    folder = None
    for number, (aim, delay) in enumerate(plan(random.Random(seed), kills, scenario.timeline), start=1):
        if folder is None:
            folder = (workdir or scenario.root) / f"block{number:03d}" / "warehouse"
            shutil.copytree(scenario.previous_state, folder)
        point = kill_point(zygote, scenario, folder, number, aim, delay)
        report.points.append(point)
        progress(f"kill {number:3d} aimed at {aim:<7} after {point.delay:5.2f} s in {point.last_started} "
                 f"({point.phase}): {point.failure or 'ok'}")
        if point.failure:
            report.failures.append(f"kill {number} ({point.delay:.2f} s, {point.last_started}): {point.failure}")
        if number % converge_every == 0 or number == kills:
            problem = converge(zygote, scenario, folder, f"converge{number:03d}")
            report.convergences += 1
            progress(f"rerun after kill {number}: {problem or 'converged to the new clean build'}")
            if problem:
                report.failures.append(problem)
            elif not any(p.failure for p in report.points[-converge_every:]):
                shutil.rmtree(folder.parent)  # kept with its logs when anything in the block failed
            folder = None
    report.seconds = time.monotonic() - began
    return report
