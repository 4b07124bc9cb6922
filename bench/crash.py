"""Kills `clientbook run` with SIGKILL at hundreds of random points and checks the published file each time.

Run on demand, never by `make test`:  .venv/bin/python bench/crash.py [--kills 200] [--seed 1]
The harness is tests/e2e/crash.py (the default suite runs 20 kill points of it). This script prints
every kill point and a summary, and writes the figures into the "Crash safety" section of
docs/operations.md (between the `crash-bench` markers). Exit 1 when any kill point failed.
"""

import argparse
import datetime as dt
import os
import platform
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.crash import RUN_ENV, Report, Scenario, campaign, prepare  # noqa: E402
from tests.e2e.zygote import Zygote  # noqa: E402

DOC = ROOT / "docs" / "operations.md"
BEGIN, END = "<!-- crash-bench:begin -->", "<!-- crash-bench:end -->"


def summary(report: Report, scenario: Scenario, args: argparse.Namespace, seconds: float) -> list[str]:
    """Markdown lines: what was tried, what passed, where the kills landed."""
    killed = [p for p in report.points if p.killed]
    passed = sum(1 for p in report.points if p.failure is None)
    phases = Counter(p.phase for p in report.points)
    steps = Counter(p.last_started for p in killed)
    delays = sorted(p.delay for p in killed)
    lines = [
        f"Last run: {dt.date.today()}, `bench/crash.py --kills {args.kills} --seed {args.seed} "
        f"--converge-every {args.converge_every}` on {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{seconds / 60:.1f} min in all, one uninterrupted run of the tiny fixture {scenario.timeline.total:.1f} s.",
        "",
        f"- kill points tried: {len(report.points)}; passed: {passed}; failed: {len(report.points) - passed}",
        f"- convergence reruns: {report.convergences}; failed: "
        f"{sum(1 for f in report.failures if f.startswith('converge'))}",
        f"- delays from start: {delays[0]:.2f} s to {delays[-1]:.2f} s" if delays else "- no run was killed",
        "- where they landed: " + ", ".join(f"{phase} {n}" for phase, n in phases.most_common()),
        f"- distinct steps in flight when killed: {len(steps)}; most hit: "
        + ", ".join(f"{step} {n}" for step, n in steps.most_common(6)),
    ]
    lines += [f"- FAILED: {f}" for f in report.failures]
    return lines


def write_doc(lines: list[str]) -> None:
    """Replace the text between the markers of docs/operations.md (appended when missing)."""
    text = DOC.read_text(encoding="utf-8")
    block = "\n".join([BEGIN, *lines, END])
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n## Crash safety: measured\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=200, help="kill points to try (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill delays (default 1)")
    parser.add_argument("--converge-every", type=int, default=5,
                        help="an uninterrupted rerun must converge after this many kills (default 5)")
    parser.add_argument("--no-doc", action="store_true", help="print the summary only; leave docs/operations.md")
    args = parser.parse_args()

    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clientbook-crash-") as tmp, Zygote(RUN_ENV) as zygote:
        scenario = prepare(zygote, Path(tmp))
        print(f"clean builds ready; one run takes {scenario.timeline.total:.1f} s", flush=True)
        report = campaign(zygote, scenario, args.kills, args.seed, args.converge_every,
                          progress=lambda line: print(line, flush=True))
        lines = summary(report, scenario, args, time.monotonic() - began)
    print("\n".join(lines))
    if not args.no_doc:
        write_doc(lines)
        print(f"figures written to {DOC.relative_to(ROOT)}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
