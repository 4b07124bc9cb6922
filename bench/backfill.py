"""Backfills and restatements on the demo book: the figures of docs/operations.md.

Run on demand, never by `make test`:  .venv/bin/python bench/backfill.py [--clients 2000] [--years 5]

In a temporary folder it writes the demo extracts, builds them once (`clientbook run`, every
month), then in a fresh warehouse backfills every month of the history twice (`clientbook
backfill`), and compares the fingerprints of every table; then it lands one credit note for a
closed month and runs again, and reports the months each table restated. It prints a markdown
block and replaces the "Measured" part of docs/operations.md's backfill section with it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warehouse.fingerprint import differing_tables, file_fingerprints  # noqa: E402
from warehouse.months import add_months  # noqa: E402
from warehouse.publish import work_path_for  # noqa: E402

CLI = [sys.executable, "-m", "pipelines.cli"]
AS_OF = dt.date(2026, 10, 31)
BEGIN, END = "<!-- bench/backfill.py: begin -->", "<!-- bench/backfill.py: end -->"
HEADER = ("invoice_id,line_number,customer_id,issue_date,service_start_date,service_end_date,product,quantity,"
          "unit_price,discount,net_amount,currency,billing_interval,document_type,corrected_invoice_id\n")


def _run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"clientbook {args[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def _credit_note(landing: Path, work: Path) -> tuple[str, str]:
    """A credit note of half of one monthly invoice of a year ago; returns (file name, month)."""
    month = dt.date(AS_OF.year - 1, AS_OF.month, 1)
    with duckdb.connect(str(work), read_only=True) as conn:
        row = conn.execute(
            "select invoice_id, customer_id, product, currency, net_amount from marts.fct_invoice_lines "
            "where document_type = 'invoice' and billing_interval = 'month' and service_start_month = ? "
            "and net_amount > 0 order by invoice_id limit 1", [month]).fetchone()
    invoice, customer, product, currency, amount = row
    name = f"billing/invoice_lines_{AS_OF:%Y-%m-%d}_credit.csv"
    (landing / name).write_text(
        HEADER + f"CN-BENCH,1,{customer},{AS_OF},,,{product},1,{-amount / 2},0,{-amount / 2},{currency},month,"
                 f"credit_note,{invoice}\n", encoding="utf-8")
    return name, f"{month:%Y-%m}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2000, help="demo clients (default 2000)")
    parser.add_argument("--years", type=int, default=5, help="years of history (default 5)")
    parser.add_argument("--no-doc", action="store_true", help="print the figures only; leave the doc alone")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="clientbook-backfill-"))
    env = os.environ | {"DAGSTER_HOME": str(tmp / "dagster"), "CLIENTBOOK_PSEUDONYM_KEY": "bench-key-0123456789abcdef"}
    landing = tmp / "landing"
    subprocess.run([*CLI, "demo", "--out", str(landing), "--clients", str(args.clients), "--years", str(args.years),
                    "--as-of", AS_OF.isoformat()], cwd=ROOT, env=env, check=True, capture_output=True)
    for f in landing.rglob("*"):  # landed long ago: no wait for the files to settle
        os.utime(f, (0, 0))
    first = f"{add_months(AS_OF.replace(day=1), 1 - 12 * args.years):%Y-%m}"  # the demo's first month
    last = f"{AS_OF:%Y-%m}"
    full, back = tmp / "full" / "clientbook.duckdb", tmp / "backfill" / "clientbook.duckdb"
    common = ["--landing", str(landing), "--as-of", AS_OF.isoformat()]
    t_full = _run(["run", *common, "--warehouse", str(full)], env)
    t_back1 = _run(["backfill", *common, "--warehouse", str(back), "--from", first, "--to", last], env)
    prints = file_fingerprints(back)
    equal = differing_tables(file_fingerprints(full), prints)
    t_back2 = _run(["backfill", *common, "--warehouse", str(back), "--from", first, "--to", last], env)
    twice = differing_tables(prints, file_fingerprints(back))
    with duckdb.connect(str(back), read_only=True) as conn:
        months = conn.execute("select count(*) from metrics.mrr_by_month").fetchone()[0]
    name, corrected = _credit_note(landing, work_path_for(full))
    t_restate = _run(["run", *common, "--warehouse", str(full)], env)
    with duckdb.connect(str(full), read_only=True) as conn:
        restated = conn.execute(
            "select table_name, string_agg(strftime(restated_month, '%Y-%m'), ', ' order by restated_month) "
            "from metrics.restatement_log group by all order by all").fetchall()
    lines = [
        BEGIN,
        f"Measured by `bench/backfill.py` on {dt.date.today()} ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}): demo book of {args.clients:,} clients, {args.years} years to "
        f"{AS_OF}, {months} months.",
        "",
        "| what | result | wall time |",
        "|---|---|---|",
        f"| full build (`clientbook run`, every month) | reference | {t_full:.1f} s |",
        f"| backfill of {months} months into a fresh warehouse | {len(equal)} table(s) differ from the full build"
        f"{': ' + ', '.join(equal) if equal else ''} | {t_back1:.1f} s |",
        f"| the same backfill again | {len(twice)} table(s) changed{': ' + ', '.join(twice) if twice else ''} "
        f"| {t_back2:.1f} s |",
        f"| a credit note for {corrected} lands (`{name}`), next run | {len(restated)} table(s) restated | "
        f"{t_restate:.1f} s |",
        "",
        "Months restated by that credit note, per table:",
        "",
        *[f"- `{table}`: {months_}" for table, months_ in restated],
        END,
    ]
    block = "\n".join(lines)
    print(block)
    if not args.no_doc:
        doc = ROOT / "docs" / "operations.md"
        text = doc.read_text(encoding="utf-8")
        if BEGIN in text:
            text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            anchor = "## Restatements: late corrections and credit notes"
            text = text.replace(anchor, block + "\n\n" + anchor, 1)
        doc.write_text(text, encoding="utf-8")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
