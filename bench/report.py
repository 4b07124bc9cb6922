"""docs/benchmarks.md from the figures bench/run measured (bench/results/<date>.json).

    .venv/bin/python -m bench.report bench/results/2026-11-23.json   # rewrite the page from saved figures

Medians with min-max over the rounds; ratios of medians from the same invocation on the same machine.
The hand-written analysis in bench/ANALYSIS.md (what limits each missed target) is appended verbatim.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = ROOT / "bench" / "ANALYSIS.md"
STAGE_ORDER = ("ingest", "validation", "staging", "marts", "metrics", "models and value", "publish")
OUTSIDE = "outside steps (start-up, Dagster)"


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], unit: str = "s", digits: int = 1) -> str:
    """`median (min-max)` of the rounds."""
    if len(values) == 1:
        return f"{values[0]:,.{digits}f} {unit}"
    return f"{med(values):,.{digits}f} {unit} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def figures(item: dict[str, Any], kind: str, field: str) -> list[float]:
    return [r[kind][field] for r in item["rounds"]]


def stage_medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median seconds per stage, plus the wall time no step accounts for (start-up, Dagster's own work)."""
    names = {name for run in runs for name in run.get("stages", {})}
    stages = {name: med([run.get("stages", {}).get(name, 0.0) for run in runs]) for name in names}
    stages[OUTSIDE] = med([run["wall"] - sum(run.get("stages", {}).values()) for run in runs])
    return stages


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, ratio, met) for each target of the issue; None: not measured in this run."""
    sets = results["sets"]
    last, first = sets[-1], sets[0]
    build, floor = med(figures(last, "clientbook", "wall")), med(figures(last, "floor", "wall"))
    runs = [r["clientbook"] for r in last["rounds"]]
    validation = med([run["stages"].get("validation", 0.0) for run in runs])
    rows: list[tuple[str, str, str, bool | None]] = [
        (f"full nightly build ≤ 1.5× the floor ({last['set']} set)",
         f"clientbook {spread(figures(last, 'clientbook', 'wall'))}; floor {spread(figures(last, 'floor', 'wall'))}",
         f"{build / floor:.2f}×", build / floor <= 1.5),
        (f"validation ≤ 0.5× the floor's build ({last['set']} set)",
         f"every asset-check step {validation:.1f} s; floor {floor:.1f} s", f"{validation / floor:.2f}×",
         validation / floor <= 0.5),
    ]
    extra = next((s for s in sets if "incremental" in s), None)
    peer = next((s for s in sets if "core_mrr" in s), None)
    if extra:
        inc, full = extra["incremental"]["wall"], med(figures(extra, "clientbook", "wall"))
        rows.append((f"incremental night ≤ 10% of the full build ({extra['set']} set)",
                     f"{inc:.1f} s against {full:.1f} s", f"{inc / full:.0%}", inc / full <= 0.10))
    peak = max(figures(last, "clientbook", "rss_mib"))
    at30 = last["set"] == "30m"
    rows.append((f"peak memory ≤ 4 GiB at 30M lines ({'30m' if at30 else last['set'] + ' set; 30m not run'})",
                 f"{peak:,} MiB (largest of the rounds)", f"{peak / 4096:.2f}× of 4 GiB",
                 peak <= 4096 if at30 else None))
    if len(sets) > 1:
        per_line = [med(figures(s, "clientbook", "wall")) / s["invoice_lines"] for s in (first, last)]
        growth = per_line[1] / per_line[0]
        rows.append((f"time per line {first['set']} → {last['set']} grows ≤ 1.3×",
                     f"{per_line[0] * 1e6:.0f} µs → {per_line[1] * 1e6:.0f} µs per line", f"{growth:.2f}×",
                     growth <= 1.3 if last["set"] == "30m" and first["set"] == "1m" else None))
    if peer:
        # the step itself, timed inside each process: interpreter start and imports are not the step
        steps = {kind: [r[kind][key]["total_seconds"] for r in peer["core_mrr"]]
                 for kind, key in (("pandas", "peer"), ("floor", "floor"))}
        pandas, floor_mrr = med(steps["pandas"]), med(steps["floor"])
        rows.append((f"≥ 3× faster than pandas on the core MRR step ({peer['set']} set)",
                     f"pandas {spread(steps['pandas'])}; DuckDB {spread(steps['floor'])} (the step, in process)",
                     f"{pandas / floor_mrr:.2f}×", pandas / floor_mrr >= 3))
    return rows


def chart(results: dict[str, Any], path: Path) -> None:
    """Stacked bars: clientbook's stages (medians) beside the floor, per set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    labels, x = [], 0
    for item in results["sets"]:
        stages = stage_medians([r["clientbook"] for r in item["rounds"]])
        bottom = 0.0
        for i, name in enumerate((*STAGE_ORDER, OUTSIDE)):
            value = stages.get(name, 0.0)
            ax.bar(x, value, bottom=bottom, color=f"C{i}", label=name if x == 0 else None)
            bottom += value
        floor = med(figures(item, "floor", "wall"))
        ax.bar(x + 1, floor, color="0.3", label="floor (whole process)" if x == 0 else None)
        labels += [f"clientbook\n{item['set']}", f"floor\n{item['set']}"]
        x += 3
    ax.set_xticks([i for i in range(x) if i % 3 != 2], labels, fontsize=8)
    ax.set_ylabel("seconds (median of rounds)")
    ax.set_title("Nightly build by stage against the hand-written DuckDB floor")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


CORE = ("ingest", "validation", "staging", "marts", "metrics")


def scope(results: dict[str, Any]) -> list[str]:
    """Per set, how much of clientbook's time is the work the floor also does, and how much is the rest."""
    out = ["Where the difference lies: the floor does only the core. Per set (medians of the rounds),"
           " clientbook's stages that do the floor's kind of work (ingest, validation, staging, marts, metrics;"
           " its metrics stage also builds profitability, concentration, Lorenz, retention cohorts, CSAT and"
           " CES, which the floor does not) against the floor, and the rest:", ""]
    for item in results["sets"]:
        stages = stage_medians([r["clientbook"] for r in item["rounds"]])
        core = sum(stages.get(name, 0.0) for name in CORE)
        floor = med(figures(item, "floor", "wall"))
        out.append(f"- {item['set']}: core stages {core:,.1f} s = {core / floor:.2f}× the floor's {floor:,.1f} s; "
                   f"models and value {stages.get('models and value', 0.0):,.1f} s, publish "
                   f"{stages.get('publish', 0.0):,.1f} s, outside steps {stages.get(OUTSIDE, 0.0):,.1f} s.")
    return out


def memory_limits(results: dict[str, Any]) -> str:
    limit = results.get("memory_limit")
    if limit:
        return f"{limit} for both clientbook and the floor"
    # results of bench/run before it recorded the limit: clientbook ran with its default, the floor without one
    return "2GB for clientbook (its default); the floor ran without one (DuckDB's default, 80% of RAM)"


def slowest_steps(runs: list[dict[str, Any]], count: int = 8) -> list[str]:
    """The `count` slowest clientbook steps (medians of the rounds), when the results hold per-step times."""
    if not all("steps" in run for run in runs):
        return []
    names = {name for run in runs for name in run["steps"]}
    steps = sorted(((med([run["steps"].get(n, 0.0) for run in runs]), n) for n in names), reverse=True)[:count]
    return ["", "Slowest clientbook steps (median seconds): "
            + "; ".join(f"`{name}` {seconds:.1f}" for seconds, name in steps) + "."]


def write_report(results: dict[str, Any], out: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `bench/run` on {results['date']} ({results['seconds'] / 60:.0f} min unattended, generation "
        f"included), alternating A/B rounds (clientbook, floor; then floor, clientbook; …): "
        + ", ".join(f"{len(s['rounds'])} on the {s['set']} set" for s in results["sets"])
        + f". Machine: {results['machine']}.",
        "Each figure is one whole process under `/usr/bin/time -v` (wall, user+system CPU, peak RSS); the",
        "stage times come from the Dagster run's own step statistics. Medians, with min-max of the rounds in",
        "brackets. Absolute times on shared machines move 2-4×; the ratios compare runs of the same invocation.",
        "",
        "**clientbook** is the whole nightly build through `clientbook run` (every asset and blocking check in",
        "Dagster's in-process executor, the churn model, CLV, valuation and publishing the analysts' copy).",
        "**floor** (`bench/floor.sql`) is the core work by hand in one DuckDB session: read and stage the",
        "extracts with the same row rules, one validation pass, revenue per client-month, MRR movements,",
        "the bridge, churn and NPS by month.",
        f"DuckDB's memory limit: {memory_limits(results)}.",
        "**validation** is the sum of the steps that only evaluated asset checks (the blocking Great",
        "Expectations suites and the warning checks).",
        "",
        "## Targets",
        "",
        "| target | measured | ratio | verdict |",
        "|---|---|---:|---|",
    ]
    verdict = {True: "met", False: "**missed**", None: "not measured"}
    lines += [f"| {t} | {m} | {r} | {verdict[ok]} |" for t, m, r, ok in targets(results)]
    lines += ["", *scope(results)]
    lines += ["", "![clientbook stages against the floor](benchmarks.png)", "", "## Per set", "",
              "| set | invoice lines | generation | clientbook wall | clientbook CPU | clientbook peak RSS "
              "| floor wall | floor peak RSS | clientbook / floor |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for item in results["sets"]:
        cb, fl = figures(item, "clientbook", "wall"), figures(item, "floor", "wall")
        gen = f"{item['generation']['wall']:.0f} s" if item.get("generation") else "reused"
        lines.append(
            f"| {item['set']} | {item['invoice_lines']:,} | {gen} | {spread(cb)} "
            f"| {spread(figures(item, 'clientbook', 'cpu'))} "
            f"| {spread(figures(item, 'clientbook', 'rss_mib'), 'MiB', 0)} "
            f"| {spread(fl)} | {spread(figures(item, 'floor', 'rss_mib'), 'MiB', 0)} | {med(cb) / med(fl):.2f}× |"
        )
    for item in results["sets"]:
        runs = [r["clientbook"] for r in item["rounds"]]
        stages = stage_medians(runs)
        floors = [r["floor"]["floor"]["stages"] for r in item["rounds"]]
        floor_stages = {name: med([f.get(name, 0.0) for f in floors]) for name in floors[0]}
        lines += ["", f"### Stages, {item['set']} set", "",
                  "| clientbook stage (sum of its steps) | seconds | floor stage | seconds |", "|---|---:|---|---:|"]
        left = [(name, stages.get(name, 0.0)) for name in (*STAGE_ORDER, OUTSIDE)]
        right = list(floor_stages.items())
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ("", None)
            b = right[i] if i < len(right) else ("", None)
            lines.append(f"| {a[0]} | {'' if a[1] is None else f'{a[1]:.1f}'} | {b[0]} "
                         f"| {'' if b[1] is None else f'{b[1]:.1f}'} |")
        lines += slowest_steps(runs)
    for last in [s for s in results["sets"] if "incremental" in s]:
        lines += ["", f"### Incremental night and backfill ({last['set']} set)", "",
                  "| run | wall | CPU | peak RSS |", "|---|---:|---:|---:|"]
        for name, run in (("incremental night (next day's files, as of 2026-11-01)", last["incremental"]),
                          ("12-month backfill 2025-11..2026-10", last["backfill"])):
            lines.append(f"| {name} | {run['wall']:.1f} s | {run['cpu']:.1f} s | {run['rss_mib']:,} MiB |")
    for last in [s for s in results["sets"] if "core_mrr" in s]:
        lines += ["", f"### Core MRR step: DuckDB against pandas ({last['set']} set)", "",
                  "| implementation | the step (in process) | process wall | process CPU | peak RSS |",
                  "|---|---:|---:|---:|---:|"]
        for kind, key, label in (("floor", "floor", "DuckDB (`bench/floor --only mrr`)"),
                                 ("pandas", "peer", "pandas (`bench/pandas_mrr.py`)")):
            runs = [r[kind] for r in last["core_mrr"]]
            lines.append(f"| {label} | {spread([r[key]['total_seconds'] for r in runs], 's', 2)} "
                         f"| {spread([r['wall'] for r in runs])} | {spread([r['cpu'] for r in runs])} "
                         f"| {spread([r['rss_mib'] for r in runs], 'MiB', 0)} |")
    if ANALYSIS.exists():
        lines += ["", ANALYSIS.read_text(encoding="utf-8").strip()]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    chart(results, out.with_suffix(".png"))


if __name__ == "__main__":
    saved = Path(sys.argv[1])
    write_report(json.loads(saved.read_text(encoding="utf-8")), ROOT / "docs" / "benchmarks.md")
