"""Times the whole nightly build (`clientbook run`) on demo extracts of several sizes.

Run on demand, never by `make test`:  .venv/bin/python bench/run_demo.py [--clients 2000 20000]
It writes its table to docs/benchmarks.md with the machine it ran on.
"""

import argparse
import datetime as dt
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "pipelines.cli"]
AS_OF = "2026-10-31"


PROGRESS = re.compile(r"\s+\[\s*([\d.]+)s\] ok\s+(\S+)")


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS (MiB) and stderr of one child process.

    Peak RSS is the largest of all children so far (getrusage), so sizes run in increasing order.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss // 1024, proc.stderr


def _stages(progress: str, top: int = 8) -> list[tuple[float, str]]:
    """The slowest steps, from the run's progress lines (time since the previous line)."""
    previous, stages = 0.0, []
    for seconds, step in PROGRESS.findall(progress):
        stages.append((float(seconds) - previous, step))
        previous = float(seconds)
    return sorted(stages, reverse=True)[:top]


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}, Polars {polars.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[2000, 20000], help="demo sizes to run")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file to write")
    args = parser.parse_args()
    rows = []
    for clients in args.clients:
        with tempfile.TemporaryDirectory() as tmp:
            env = os.environ | {"DAGSTER_HOME": tmp}
            landing, warehouse = Path(tmp) / "landing", Path(tmp) / "w.duckdb"
            gen = _timed([*CLI, "demo", "--out", str(landing), "--clients", str(clients), "--as-of", AS_OF], env)
            run = _timed([*CLI, "run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF], env)
            with duckdb.connect(str(warehouse), read_only=True) as conn:
                lines = conn.execute("select rows_read from staging.load_reconciliation "
                                     "where entity = 'billing__invoice_lines'").fetchone()[0]
            rows.append((clients, lines, gen, run))
            print(f"{clients:>8} clients {lines:>10,} lines: demo {gen[0]:.1f}s, run {run[0]:.1f}s "
                  f"({run[1]:.1f}s CPU, {run[2]} MiB peak)", flush=True)
    table = ["| clients | invoice lines | demo generation (s) | nightly run wall (s) | run CPU (s) "
             "| run peak RSS (MiB) | µs per line |", "|---:|---:|---:|---:|---:|---:|---:|"]
    table += [f"| {c:,} | {n:,} | {g[0]:.1f} | {r[0]:.1f} | {r[1]:.1f} | {r[2]:,} | {r[0] / n * 1e6:.0f} |"
              for c, n, g, r in rows]
    clients, lines, _, run = rows[-1]
    stages = ["| step | seconds |", "|---|---:|"] + [f"| `{step}` | {sec:.1f} |" for sec, step in _stages(run[3])]
    args.out.write_text(
        "# Benchmarks\n\n"
        f"Measured by `bench/run_demo.py` on {dt.date.today()}: one `clientbook run` (every asset and check,\n"
        "through Dagster's in-process executor, including publishing) per size, on the demo extracts, as of\n"
        f"{AS_OF}. One round each; absolute times on shared machines move 2-4×.\n\n"
        f"Machine: {_machine()}.\n\n" + "\n".join(table) + "\n\n"
        f"Slowest steps of the {clients:,}-client run ({lines:,} invoice lines), from its progress lines:\n\n"
        + "\n".join(stages) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
