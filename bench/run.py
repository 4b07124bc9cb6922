"""The scale benchmark: clientbook's nightly build against the hand-written DuckDB floor, side by side.

    bench/run [--sets 1m 10m 30m] [--rounds 3] [--work /tmp/clientbook-bench] [--out docs/benchmarks.md]

For each set it generates the extracts (bench/generate), then runs alternating A/B rounds of the full
nightly build (`clientbook run`) and the floor (bench/floor) on the same files, each in a fresh
process measured by /usr/bin/time -v (wall, CPU, peak RSS) and a fresh warehouse. On the largest set it
then times an incremental night (the next day's files on top of the last round's warehouse), a
12-month backfill, and the core MRR step of the floor against the pandas peer (bench/pandas_mrr.py).
Per-stage times come from the run's own Dagster step statistics. It writes every figure to
`bench/results/<date>.json` and the tables, ratios and a chart to docs/benchmarks.md.
Run on demand, never by `make test`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
CLI = [PY, "-m", "pipelines.cli"]
AS_OF, NEXT_DAY = "2026-10-31", "2026-11-01"
BACKFILL = ("2025-11", "2026-10")
TIME = "/usr/bin/time"
# DuckDB's memory limit for both sides: clientbook's default (CLIENTBOOK_DUCKDB_MEMORY_LIMIT) and the floor's
MEMORY_LIMIT = os.environ.get("CLIENTBOOK_DUCKDB_MEMORY_LIMIT", "2GB")
# the run's steps, grouped into the stages the tables show (first match wins); a step that evaluated
# an asset check and materialised nothing is "validation"
STAGES = (
    ("ingest", re.compile(r"^raw__")),
    ("staging", re.compile(r"^staging__")),
    ("marts", re.compile(r"^marts__|^restricted__")),
    ("publish", re.compile(r"publish|analyst")),
    ("models and value", re.compile(r".*(churn_risk|churn_features|churn_backtest|clv|valuation|client_class|book_)")),
    ("metrics", re.compile(r".*")),
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> dict[str, Any]:
    """Run `cmd` under /usr/bin/time -v: wall and CPU seconds, peak RSS in MiB, stdout; fail loudly."""
    report = Path(env["BENCH_TMP"]) / ".time.txt"
    proc = subprocess.run([TIME, "-v", "-o", str(report), *cmd], cwd=cwd, env=env, text=True,
                          capture_output=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"bench/run: {' '.join(cmd[:4])} … exited {proc.returncode}")
    fields = dict(line.strip().split(": ", 1) for line in report.read_text().splitlines() if ": " in line)
    wall = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall)))
    return {
        "wall": round(seconds, 2),
        "cpu": round(float(fields["User time (seconds)"]) + float(fields["System time (seconds)"]), 2),
        "rss_mib": round(int(fields["Maximum resident set size (kbytes)"]) / 1024),
        "stdout": proc.stdout,
        "stderr": proc.stderr,
    }


def step_stages(home: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds per stage and per step of the newest run in Dagster home `home`, from its step statistics."""
    import dagster as dg  # only here: the rest of the runner does not need Dagster loaded

    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
        kinds: dict[str, set[dg.DagsterEventType]] = {}
        for kind in (dg.DagsterEventType.ASSET_CHECK_EVALUATION, dg.DagsterEventType.ASSET_MATERIALIZATION):
            for record in instance.get_records_for_run(run.run_id, of_type=kind, limit=100_000).records:
                kinds.setdefault(record.event_log_entry.step_key, set()).add(kind)
    checks = {step for step, seen in kinds.items() if seen == {dg.DagsterEventType.ASSET_CHECK_EVALUATION}}
    stages: dict[str, float] = {}
    steps: dict[str, float] = {}
    for step in stats:
        if step.start_time is None or step.end_time is None:
            continue
        name = "validation" if step.step_key in checks else next(
            stage for stage, pattern in STAGES if pattern.match(step.step_key))
        stages[name] = round(stages.get(name, 0.0) + step.end_time - step.start_time, 2)
        steps[step.step_key] = round(step.end_time - step.start_time, 2)
    return stages, steps


def run_env(work: Path) -> dict[str, str]:
    """Environment of one run in `work`: its own Dagster home, spill folder and pseudonym key."""
    return os.environ | {
        "DAGSTER_HOME": str(work / "home"),
        "BENCH_TMP": str(work),
        "CLIENTBOOK_PSEUDONYM_KEY": "bench-only-key-0123456789abcdef",
        "CLIENTBOOK_FIRST_MONTH": os.environ.get("CLIENTBOOK_FIRST_MONTH", "2021-11"),
    }


def fresh_env(work: Path) -> dict[str, str]:
    """`run_env` of an emptied `work` folder."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "home").mkdir(parents=True)
    return run_env(work)


def clientbook(landing: Path, work: Path, as_of: str = AS_OF, keep: bool = False) -> dict[str, Any]:
    """One nightly build into a fresh warehouse under `work` (or the existing one, `keep`)."""
    env = run_env(work) if keep else fresh_env(work)
    result = timed([*CLI, "run", "--landing", str(landing), "--warehouse", str(work / "w.duckdb"),
                    "--as-of", as_of], env)
    result["stages"], result["steps"] = step_stages(work / "home")
    no_rejects(landing)
    return result


def backfill(landing: Path, work: Path) -> dict[str, Any]:
    """A 12-month backfill on the warehouse the last round built."""
    result = timed([*CLI, "backfill", "--landing", str(landing), "--warehouse", str(work / "w.duckdb"),
                    "--from", BACKFILL[0], "--to", BACKFILL[1], "--as-of", NEXT_DAY], run_env(work))
    result["stages"], result["steps"] = step_stages(work / "home")
    no_rejects(landing)
    return result


def no_rejects(landing: Path) -> None:
    """Fail when the run rejected a file: a benchmark of a build that skipped data measures nothing."""
    rejected = sorted(str(p.relative_to(landing)) for p in (landing / "_rejected").rglob("*") if p.is_file())
    if rejected:
        raise SystemExit(f"bench/run: the run rejected {rejected}; see the .reason.txt files")


def floor(landing: Path, work: Path, only: str | None = None) -> dict[str, Any]:
    """The hand-written floor in one DuckDB session (bench/floor.py), into a fresh database."""
    env = fresh_env(work)
    cmd = [PY, str(ROOT / "bench" / "floor.py"), "--landing", str(landing), "--db", str(work / "floor.duckdb"),
           "--as-of", AS_OF, "--temp-dir", str(work / "spill"), "--memory-limit", MEMORY_LIMIT]
    result = timed([*cmd, *(["--only", only] if only else [])], env)
    result["floor"] = json.loads(result["stdout"])
    return result


def pandas_peer(landing: Path, work: Path) -> dict[str, Any]:
    """The pandas implementation of the core MRR step (bench/pandas_mrr.py)."""
    env = fresh_env(work)
    fx = work / "fx_rates.csv"
    write_fx(fx)
    result = timed([PY, str(ROOT / "bench" / "pandas_mrr.py"), "--landing", str(landing), "--fx", str(fx),
                    "--as-of", AS_OF], env)
    result["peer"] = json.loads(result["stdout"])
    return result


def write_fx(path: Path) -> None:
    """The bundled ECB rates as the CSV the floor and the peer read."""
    subprocess.run([PY, "-c", "import sys; from assets.raw.reader import bundled_fx_rates; "
                    "bundled_fx_rates().write_csv(sys.argv[1])", str(path)], cwd=ROOT, check=True)


def invoice_lines(work: Path) -> int:
    """Invoice lines the build read, from its own reconciliation table."""
    import duckdb

    with duckdb.connect(str(work / "w.work.duckdb"), read_only=True) as conn:
        return conn.execute("select sum(rows_read) from staging.load_reconciliation "
                            "where entity = 'billing__invoice_lines'").fetchone()[0]


def run_set(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Generation, the A/B rounds and (on request) the extra measurements of one set."""
    base = args.work / name
    landing = base / "data" / "landing"
    gen_cmd = [PY, str(ROOT / "bench" / "generate.py"), "--set", name, "--out", str(base / "data")]
    if args.skip_generate and landing.exists():
        generation = None
        log(f"{name}: reusing {landing}")
    else:
        log(f"{name}: generating")
        generation = timed(gen_cmd, fresh_env(base / "gen"))
        log(f"{name}: generated in {generation['wall']:.0f} s")
    rounds: list[dict[str, Any]] = []
    count = args.large_rounds if args.large_rounds and name in ("10m", "30m") else args.rounds
    for i in range(count):
        order = ("clientbook", "floor") if i % 2 == 0 else ("floor", "clientbook")
        result: dict[str, Any] = {}
        for kind in order:
            log(f"{name}: round {i + 1}/{count}: {kind}")
            work = base / kind
            result[kind] = clientbook(landing, work) if kind == "clientbook" else floor(landing, work)
            log(f"{name}:   {kind} {result[kind]['wall']:.1f} s, {result[kind]['rss_mib']} MiB")
        rounds.append(result)
    out: dict[str, Any] = {"set": name, "generation": generation, "rounds": rounds,
                           "invoice_lines": invoice_lines(base / "clientbook")}
    if args.extras and name == (args.extras_set or args.sets[-1]):
        out |= nights(name, base, landing)
    if args.extras and name == args.sets[-1]:
        out["core_mrr"] = core_mrr(name, base, landing, args)
    return out


def nights(name: str, base: Path, landing: Path) -> dict[str, Any]:
    """Incremental night and 12-month backfill on the warehouse the last round built."""
    work = base / "clientbook"
    next_day = sorted(p for p in (base / "data" / "next_day").rglob("*.*") if p.is_file())
    if not next_day:
        raise SystemExit(f"bench/run: no next-day files in {base / 'data' / 'next_day'}; regenerate the set")
    added = [landing / path.relative_to(base / "data" / "next_day") for path in next_day]
    if present := [str(target) for target in added if target.exists()]:
        raise SystemExit(f"bench/run: next-day files already in the landing folder: {present}")
    try:
        for path, target in zip(next_day, added, strict=True):
            # copy2 keeps the modification time: the file is old enough to be taken as stable at once
            shutil.copy2(path, target)
        log(f"{name}: incremental night")
        incremental = clientbook(landing, work, as_of=NEXT_DAY, keep=True)
        log(f"{name}:   incremental {incremental['wall']:.1f} s")
        log(f"{name}: 12-month backfill")
        months = backfill(landing, work)
        log(f"{name}:   backfill {months['wall']:.1f} s")
    finally:  # leave the landing as generated, whatever happened
        for target in added:
            target.unlink(missing_ok=True)
    return {"incremental": incremental, "backfill": months}


def core_mrr(name: str, base: Path, landing: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The core MRR step, DuckDB floor against the pandas peer, in alternating rounds."""
    mrr: list[dict[str, Any]] = []
    for i in range(args.rounds):
        order = ("floor", "pandas") if i % 2 == 0 else ("pandas", "floor")
        result = {}
        for kind in order:
            log(f"{name}: core MRR round {i + 1}/{args.rounds}: {kind}")
            result[kind] = (floor(landing, base / "floor_mrr", only="mrr") if kind == "floor"
                            else pandas_peer(landing, base / "pandas"))
            log(f"{name}:   {kind} {result[kind]['wall']:.1f} s, {result[kind]['rss_mib']} MiB")
        mrr.append(result)
    return mrr


def machine() -> str:
    import duckdb
    import polars

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Polars {polars.__version__}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=("smoke", "1m", "10m", "30m"), default=["1m", "10m", "30m"],
                        help="sets to run, smallest first (default 1m 10m 30m; smoke: 2,000 clients, to try it)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds per set (default 3)")
    parser.add_argument("--large-rounds", type=int, default=None,
                        help="A/B rounds for the 10m and 30m sets (default: --rounds)")
    parser.add_argument("--extras-set", default=None,
                        help="set for the incremental night and the backfill (default: the largest); "
                             "the pandas peer always runs on the largest")
    parser.add_argument("--work", type=Path, default=Path("/tmp/clientbook-bench"), help="scratch folder")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown to write")
    parser.add_argument("--skip-generate", action="store_true", help="reuse extracts already in --work")
    parser.add_argument("--no-extras", dest="extras", action="store_false",
                        help="skip the incremental night, the backfill and the pandas peer")
    args = parser.parse_args(argv)
    if args.extras_set is not None and args.extras_set not in args.sets:
        parser.error(f"--extras-set {args.extras_set} is not among --sets {' '.join(args.sets)}")
    if not Path(TIME).exists():
        parser.error(f"{TIME} is needed (GNU time) to measure peak memory")
    started = time.perf_counter()
    results: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": machine(), "rounds": args.rounds,
                               "memory_limit": MEMORY_LIMIT, "sets": []}
    saved = ROOT / "bench" / "results" / f"{results['date']}.json"
    saved.parent.mkdir(exist_ok=True)
    for name in args.sets:
        item = run_set(name, args)
        for measured in walk(item):  # keep the figures, not the logs
            measured.pop("stdout", None)
            measured.pop("stderr", None)
        results["sets"].append(item)
        results["seconds"] = round(time.perf_counter() - started)
        # saved after every set: a later set that fails or runs out of time leaves the earlier figures
        saved.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    from bench.report import write_report

    write_report(results, args.out)
    log(f"wrote {saved} and {args.out} in {results['seconds']} s")


def walk(item: Any) -> list[dict[str, Any]]:
    """Every measurement dict (one with a `wall` figure) inside `item`."""
    found = []
    if isinstance(item, dict):
        if "wall" in item:
            found.append(item)
        for value in item.values():
            found += walk(value)
    elif isinstance(item, list):
        for value in item:
            found += walk(value)
    return found


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
