"""The demo client book at benchmark scale: 1M, 10M and 30M invoice-line sets, in CSV or Parquet.

    bench/generate --set 1m --out /tmp/bench [--format csv|parquet] [--style canonical|hu]

Writes `<out>/landing/` (60 months of extracts, as of 2026-10-31) and `<out>/next_day/` (the files a
night later brings: one day's new invoices and survey answers, issued 2026-11-01) and prints the row
counts. The data is the demo generator's (pipelines/demo.py, docs/demo.md) with more clients; the sets
are sized in clients so that they hold about 1M, 10M and 30M invoice lines (about 31 lines per client
over 60 months; `smoke` is 2,000 clients for trying the harness). Same arguments, same files.

The `hu` style writes what a Hungarian invoicing system exports (cp1250, `;`, decimal commas,
`2024.03.05.`, local times) through the example profiles, so reading it is the local-format path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.demo import CANONICAL_CSV, demo_frames  # noqa: E402
from pipelines.demo_styles import write_styled  # noqa: E402

SETS = {"smoke": 2_000, "1m": 32_000, "10m": 320_000, "30m": 1_000_000}  # clients; ~33 invoice lines each
AS_OF = dt.date(2026, 10, 31)
NEXT_DAY = AS_OF + dt.timedelta(days=1)
NEXT_DAY_SHARE = 30  # the next day re-issues one in this many of the last month's invoices


def next_day(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The files of the night after the as-of date: a thirtieth of October's invoices and answers, a month on.

    New documents get new ids (`INV-` becomes `NXT-`, `R-` becomes `RN-`), so they add rows and replace none.
    """
    month = pl.date(AS_OF.year, AS_OF.month, 1)
    shift = {"issue_date", "service_start_date", "service_end_date"}
    lines = frames["billing/invoice_lines"]
    picked = lines.filter(
        (pl.col("issue_date") >= month) & (pl.col("document_type") == "invoice")
        & (pl.col("invoice_id").hash(seed=1) % NEXT_DAY_SHARE == 0)
    ).with_columns(
        *(pl.col(c).dt.offset_by("1mo") for c in shift if c in lines.columns),
        pl.col("invoice_id").str.replace("^INV-", "NXT-"),
    ).with_columns(pl.lit(NEXT_DAY).alias("issue_date"))
    answers = frames["survey/responses"]
    later = answers.filter(pl.col("submitted_at").dt.date() == AS_OF).with_columns(
        pl.col("submitted_at").dt.offset_by("1d"), pl.col("response_id").str.replace("^R-", "RN-")
    )
    return {"billing/invoice_lines": picked, "survey/responses": later}


def write(frames: dict[str, pl.DataFrame], out: Path, fmt: str, style: str, stamp: str) -> None:
    """Each frame as `<source>/<entity>_<stamp>.<fmt>` (the hu style: its own file names, profiles beside)."""
    if style != "canonical":
        texts = {key: frame.write_csv(**CANONICAL_CSV) for key, frame in frames.items()}
        write_styled(out, style, texts, dt.date.fromisoformat(stamp))
        return
    for key, frame in frames.items():
        path = out / f"{key}_{stamp}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            frame.write_parquet(path, compression="zstd", statistics=True)
        else:
            frame.write_csv(path, **CANONICAL_CSV)


def main(argv: list[str] | None = None) -> dict[str, dict[str, int]]:
    parser = argparse.ArgumentParser(prog="bench/generate", description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, default="1m", help="about 1M, 10M or 30M invoice lines (smoke: 64k)")
    parser.add_argument("--clients", type=int, help="clients instead of a named set")
    parser.add_argument("--out", type=Path, required=True, help="folder for landing/ and next_day/ (replaced)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (canonical only)")
    parser.add_argument("--style", choices=("canonical", "hu"), default="canonical", help="export style")
    args = parser.parse_args(argv)
    if args.style != "canonical" and args.format != "csv":
        parser.error("the hu style is CSV only (its profile reads CSV)")
    clients = args.clients or SETS[args.set]
    start = time.perf_counter()
    frames = demo_frames(clients=clients, as_of=AS_OF)
    later = next_day(frames)
    for sub in ("landing", "next_day"):
        shutil.rmtree(args.out / sub, ignore_errors=True)
    write(frames, args.out / "landing", args.format, args.style, AS_OF.isoformat())
    write(later, args.out / "next_day", args.format, args.style, NEXT_DAY.isoformat())
    counts = {"landing": {k: f.height for k, f in frames.items()}, "next_day": {k: f.height for k, f in later.items()}}
    for sub, rows in counts.items():
        print(f"{sub}: " + ", ".join(f"{key} {n:,}" for key, n in rows.items()))
    print(f"generated {clients:,} clients as {args.style} {args.format} in {time.perf_counter() - start:.1f} s")
    return counts


if __name__ == "__main__":
    main()
