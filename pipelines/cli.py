"""`clientbook`: write demo extracts, or build the warehouse from landed extracts through Dagster."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from assets.settings import today_in_firm_tz
from pipelines.demo_styles import STYLES


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _currency(text: str) -> str:
    if len(text) != 3 or not text.isalpha():
        raise argparse.ArgumentTypeError(f"not an ISO 4217 currency code: {text!r}")
    return text.upper()


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month in YYYY-MM form: {text!r}") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _last_month_end() -> dt.date:
    return today_in_firm_tz().replace(day=1) - dt.timedelta(days=1)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface, with --help on every command."""
    parser = argparse.ArgumentParser(prog="clientbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write deterministic demo extracts", description=cmd_demo.__doc__)
    demo.add_argument("--out", type=Path, required=True, help="landing folder to write <source>/<entity> files into")
    demo.add_argument("--clients", type=_positive, default=2000, help="number of clients (default 2000)")
    demo.add_argument("--years", type=_positive, default=5, help="years of billing history (default 5)")
    demo.add_argument("--seed", type=int, default=42, help="random seed; same seed, same files (default 42)")
    demo.add_argument("--as-of", type=_date, default=None, help="last day of the history (default: last month end)")
    demo.add_argument(
        "--style",
        choices=STYLES,
        default="canonical",
        help="canonical UTF-8 CSV, or a firm's local export (hu, ro, pl) with its profile.toml (default canonical)",
    )
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="build the warehouse from landed extracts", description=cmd_run.__doc__)
    run.add_argument("--landing", type=Path, required=True, help="folder holding <source>/<entity>*.csv|parquet")
    run.add_argument("--warehouse", type=Path, required=True, help="DuckDB warehouse file to build")
    run.add_argument("--as-of", type=_date, default=None, help="as-of date YYYY-MM-DD (default: today, Budapest)")
    run.add_argument("--currency", type=_currency, default="EUR", help="reporting currency (default EUR)")
    run.add_argument("--max-runtime", type=_positive, default=4 * 3600, metavar="SECONDS",
                     help="stop a run still going after this many seconds, before it publishes (default 14400)")
    run.set_defaults(func=cmd_run)

    backfill = sub.add_parser(
        "backfill", help="rebuild the month partitions of a range of months", description=cmd_backfill.__doc__
    )
    backfill.add_argument("--landing", type=Path, required=True, help="folder holding <source>/<entity>*.csv|parquet")
    backfill.add_argument("--warehouse", type=Path, required=True, help="DuckDB warehouse file to build")
    backfill.add_argument("--from", dest="start", type=_month, required=True, help="first month YYYY-MM")
    backfill.add_argument("--to", dest="end", type=_month, required=True, help="last month YYYY-MM (inclusive)")
    backfill.add_argument("--as-of", type=_date, default=None, help="as-of date YYYY-MM-DD (default: today, Budapest)")
    backfill.add_argument("--currency", type=_currency, default="EUR", help="reporting currency (default EUR)")
    backfill.add_argument("--max-runtime", type=_positive, default=4 * 3600, metavar="SECONDS",
                     help="stop a run still going after this many seconds, before it publishes (default 14400)")
    backfill.set_defaults(func=cmd_backfill)

    report = sub.add_parser("report", help="write the HTML report of a month", description=cmd_report.__doc__)
    report.add_argument("--warehouse", type=Path, required=True, help="DuckDB warehouse file to read (read-only)")
    report.add_argument("--month", type=_month, default=None, help="month YYYY-MM (default: the latest month built)")
    report.add_argument(
        "--out", type=Path, default=None, help="HTML file to write (default: <warehouse folder>/report_<YYYY-MM>.html)"
    )
    report.set_defaults(func=cmd_report)

    erase = sub.add_parser("erase", help="erase one client from every table, now and in every later build",
                           description=cmd_erase.__doc__)
    erase.add_argument("--customer", required=True, help="the client's CRM customer_id (any of its merged ids)")
    erase.add_argument("--warehouse", type=Path, required=True, help="published DuckDB warehouse file")
    erase.add_argument("--reason", default="erasure request",
                       help="why, for the ledger (a ticket number; never the client's name or ids)")
    erase.set_defaults(func=cmd_erase)

    query = sub.add_parser(
        "query",
        help="open the published warehouse in a read-only, sandboxed DuckDB shell",
        description=cmd_query.__doc__,
    )
    query.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("CLIENTBOOK_WAREHOUSE") or "data/warehouse/clientbook.duckdb"),
        help="published DuckDB file (default: $CLIENTBOOK_WAREHOUSE, else data/warehouse/clientbook.duckdb)",
    )
    query.add_argument("-c", dest="sql", default=None, help="run this SQL, print the result and exit")
    query.set_defaults(func=cmd_query)
    return parser


def cmd_demo(args: argparse.Namespace) -> int:
    """Write demo CRM, billing and survey extracts (see docs/demo.md) into a landing folder."""
    from pipelines.demo import write_demo_extracts

    as_of = args.as_of or _last_month_end()
    counts = write_demo_extracts(
        args.out, clients=args.clients, years=args.years, seed=args.seed, as_of=as_of, style=args.style
    )
    for name, rows in counts.items():
        print(f"  {name:<22} {rows:>10,} rows")
    print(f"demo extracts as of {as_of} written to {args.out} ({args.style} style)")
    return 0


def _dagster_home() -> Path:
    """Use DAGSTER_HOME, else ./.dagster seeded with the project's dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and Path("dagster.yaml").exists():
        shutil.copyfile("dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cmd_run(args: argparse.Namespace) -> int:
    """Materialise every asset and check through Dagster; exit 1 when a step or blocking check fails."""
    return _run(args, months=None)


def _run(args: argparse.Namespace, months: tuple[dt.date, dt.date] | None) -> int:
    """`run` and `backfill` alike: check the landing folder, set up Dagster and the key, run."""
    from pipelines.resources import threads_from_env

    if not args.landing.is_dir():
        print(f"error: landing folder {args.landing} does not exist", file=sys.stderr)
        return 2
    try:
        threads_from_env()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from pipelines.runner import run_nightly  # loads the definitions, which read the settings checked above

    _dagster_home()
    _pseudonym_key(args.warehouse)
    as_of = args.as_of or today_in_firm_tz()
    return run_nightly(args.landing, args.warehouse, as_of, args.currency, args.max_runtime, months=months)


def _pseudonym_key(warehouse: Path) -> None:
    """CLIENTBOOK_PSEUDONYM_KEY, else the key file beside the warehouse (docs/operations.md, Privacy)."""
    from pipelines.privacy import ensure_pseudonym_key

    note = ensure_pseudonym_key(warehouse)
    if note:
        print(note, flush=True)


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase one client (all its merged CRM ids) from the working file, the published file and its
    previous copy, and record it in the erasure ledger so no later run loads it again; exit 2 when
    the warehouse or the client is unknown."""
    from pipelines.privacy import erase_client

    if not args.warehouse.parent.is_dir():
        print("error: no warehouse folder there; nothing was erased", file=sys.stderr)
        return 2
    _pseudonym_key(args.warehouse)
    return erase_client(args.customer, args.warehouse, args.reason)


def cmd_backfill(args: argparse.Namespace) -> int:
    """Run the nightly job over the months --from..--to only: the same single run a UI backfill of that
    range launches. Those months are replaced (running it twice changes nothing); every table without
    a month grain is built whole, as on any night; then the checked build is published."""
    return _run(args, months=(args.start, args.end))


def cmd_report(args: argparse.Namespace) -> int:
    """Write one self-contained HTML report of the client book as of a month; print its path."""
    from warehouse.report import ReportError
    from warehouse.report.html import write_report

    try:
        out = write_report(args.warehouse, args.month, args.out)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    """Replace this process by the DuckDB shell on the published warehouse (docs/analysts.md).

    Read-only, with no access to any other file, extension or setting; the previous build is
    attached as `previous`.
    """
    from warehouse.query import QueryError, query_command

    try:
        argv = query_command(args.warehouse, args.sql)
    except QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execv(argv[0], argv)  # the analyst's terminal, signals and exit code go to the shell itself


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clientbook` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
