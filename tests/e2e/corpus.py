"""A table-driven corpus of bad (and awkward but valid) input: each `Case` lands a few files written
byte by byte, runs the real ingest and staging on an in-memory DuckDB, and states the exact outcome.

`run_case` does the work and `check_case` asserts what every case promises:
- the file-level reject (reason code, message fragments, the file moved to `_rejected/` with its
  `.reason.txt`, the manifest row), or that nothing was rejected;
- the staged rows, typed, exactly;
- the quarantine rows (file, line, column, reason, raw value), exactly;
- per file in `staging.file_reconciliation`: rows_read = loaded + deduplicated + quarantined, and the
  four counts exactly when the case gives them;
- that no message (reject, warning, manifest, reason file, profile error) quotes planted PII.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from assets.raw.ingest import IngestReport, ingest
from assets.raw.landing import REJECTED_DIR, safe_name
from warehouse.contract import CUSTOMERS, FX_RATES, Extract
from warehouse.profiles import PROFILE_FILE, Profile, ProfileError, load_profile
from warehouse.staging import build_staging

# a client's name planted in row data (customer names, products, comments): no message may quote it
PII = "Szabó Anna"
# files are landed an hour ago, so the canonical `stable_seconds = 2` never makes a test sleep
LANDED_AGO = 3600

Row = Mapping[str, str]


def table(columns: Sequence[str], rows: Sequence[Row], *, delimiter: str = ",", encoding: str = "utf-8",
          header: Mapping[str, str] | None = None, eol: str = "\n", prefix: bytes = b"") -> bytes:
    """A CSV file's bytes: a header (contract names, or the profile's via `header`) and one line per row."""
    names = [(header or {}).get(c, c) for c in columns]
    lines = [delimiter.join(names), *(delimiter.join(r[c] for c in columns) for r in rows)]
    return prefix + (eol.join(lines) + eol).encode(encoding)


def profile_toml(name: str, *lines: str) -> str:
    """A profile that never waits for files to settle; `lines` are further TOML lines."""
    return "\n".join((f'name = "{name}"', "stable_seconds = 0", *lines)) + "\n"


@dataclass(frozen=True)
class Case:
    """One bad-input case; files are named relative to `<landing>/<extract.source>/`."""

    id: str
    extract: Extract
    files: Mapping[str, bytes] = field(default_factory=dict)
    profile: str | None = None  # the text of <landing>/<source>/profile.toml; None: canonical profile
    later: tuple[Mapping[str, bytes], ...] = ()  # files landed on later nights; ingest runs once per night
    setup: Callable[[Path, Path], None] | None = None  # (landing, tmp) → e.g. a symlink, before night 1
    staged: tuple[tuple[str, ...], list[tuple]] | None = None  # columns, rows ordered by the key
    quarantined: tuple[tuple, ...] = ()  # (source_file, line, column, reason, raw value); exact
    rejected: tuple[str, str, tuple[str, ...]] | None = None  # (file name, reason code, message fragments)
    times_rejected: int = 1  # how many nights reject the file (a re-sent copy is rejected again)
    counts: Mapping[str, tuple[int, int, int, int]] | None = None  # file → (read, loaded, deduplicated, quarantined)
    warnings: tuple[str, ...] | None = None  # exact ingest warnings over all nights
    manifest: tuple[tuple[str, str, str | None], ...] | None = None  # sorted (file, status, reason)
    profile_error: str | None = None  # loading the profile fails with a message holding this fragment
    extra: Callable[[Outcome], None] | None = None
    xfail: str | None = None  # a product bug this case shows; strict


@dataclass
class Outcome:
    """What a case left behind."""

    case: Case
    landing: Path
    conn: duckdb.DuckDBPyConnection | None = None
    profile: Profile | None = None
    reports: list[IngestReport] = field(default_factory=list)
    error: str | None = None

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        assert self.conn is not None
        return self.conn.execute(sql, params or []).fetchall()

    def staged(self, columns: Sequence[str]) -> list[tuple]:
        e = self.case.extract
        return self.rows(f"select {', '.join(columns)} from staging.{e.staging_table} order by {', '.join(e.key)}")

    def quarantine(self) -> list[tuple]:
        return self.rows("select source_file, line_number, column_name, reason_code, raw_value from staging.quarantine "
                         "where entity = ?", [self.case.extract.raw_table])

    def reconciliation(self) -> dict[str, tuple[int, int, int, int]]:
        rows = self.rows("select file_name, rows_read, rows_loaded, rows_deduplicated, rows_quarantined "
                         "from staging.file_reconciliation where entity = ?", [self.case.extract.raw_table])
        return {r[0]: r[1:] for r in rows}

    def manifest(self) -> list[tuple]:
        return self.rows("select file_name, status, reason_code from raw.file_manifest where entity = ? order by all",
                         [self.case.extract.entity])

    def raw_count(self) -> int:
        return self.rows(f"select count(*) from raw.{self.case.extract.raw_table}")[0][0]

    def messages(self) -> list[str]:
        """Every text the run shows a person: rejects, warnings, waiting names, manifest, reason files."""
        texts = [self.error or ""]
        for r in self.reports:
            texts += [m for _, _, m in r.rejected] + r.warnings + r.waiting + r.skipped
        if self.conn is not None:
            texts += [m for (m,) in self.rows("select message from raw.file_manifest where message is not null")]
        rejected = self.landing / REJECTED_DIR
        if rejected.is_dir():
            texts += [p.read_text(encoding="utf-8") for p in rejected.rglob("*.reason.txt")]
        return texts


def land(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = time.time() - LANDED_AGO
    os.utime(path, (past, past))


CLIENTS = table(("customer_id", "name", "country", "created_date"), [
    {"customer_id": "C1", "name": "Kovács és Társa Kft.", "country": "HU", "created_date": "2023-01-01"},
    {"customer_id": "C2", "name": PII, "country": "HU", "created_date": "2023-02-01"},
])


# rates of the local currencies on the issue date every case uses, 2024-03-05 (EUR needs none)
RATES = table(("rate_date", "currency", "units_per_eur"), [
    {"rate_date": "2024-03-05", "currency": c, "units_per_eur": r} for c, r in (("HUF", "391.5"), ("PLN", "4.3"),
                                                                                ("RON", "4.97"))
])


def reference_warehouse(folder: Path) -> Path:
    """A DuckDB file with the canonical CRM clients C1 and C2 and a few fx rates ingested and staged for real.

    Staging any extract but customers looks clients up (`unknown_customer`) and invoice lines look rates
    up (`no_fx_rate`); every such case starts from a copy of this file, built once per test module."""
    landing = folder / "reference_landing"
    land(landing / "crm" / "customers.csv", CLIENTS)
    land(landing / "fx" / "rates.csv", RATES)
    path = folder / "reference.duckdb"
    with duckdb.connect(str(path)) as conn:
        for reference, rows in ((CUSTOMERS, 2), (FX_RATES, 3)):
            profile = Profile(source=reference.source, stable_seconds=0)
            ingest(conn, landing, reference, profile, "reference")
            assert build_staging(conn, reference, profile)["rows_loaded"] == rows
    return path


def run_case(case: Case, tmp: Path, reference: Path) -> Outcome:
    """Land the case's files night by night, ingest each night, then build staging once.

    Every case runs on an in-memory DuckDB; all but customers' start with a copy of `reference`."""
    landing = tmp / "landing"
    folder = landing / case.extract.source
    folder.mkdir(parents=True)
    out = Outcome(case, landing)
    if case.profile is not None:
        (folder / PROFILE_FILE).write_text(case.profile, encoding="utf-8")
    try:
        out.profile = load_profile(landing, case.extract.source)
    except ProfileError as exc:
        out.error = str(exc)
        return out
    out.conn = duckdb.connect()
    if case.extract is not CUSTOMERS:
        quoted = str(reference).replace("'", "''")
        out.conn.execute(f"attach '{quoted}' as reference (read_only)")
        out.conn.execute("copy from database reference to memory")
        out.conn.execute("detach reference")
    for night, files in enumerate((case.files, *case.later), start=1):
        for name, data in files.items():
            land(folder / name, data)
        if night == 1 and case.setup:
            case.setup(landing, tmp)
        out.reports.append(ingest(out.conn, landing, case.extract, out.profile, f"night-{night}"))
    build_staging(out.conn, case.extract, out.profile)
    return out


def check_case(out: Outcome) -> None:
    case = out.case
    for text in out.messages():
        assert PII not in text, f"a message quotes planted client data: {text!r}"
    if case.profile_error is not None:
        assert out.error is not None and case.profile_error in out.error, out.error
        assert str(out.landing / case.extract.source / PROFILE_FILE) in out.error  # names the file
        return
    assert out.error is None, out.error
    _check_reject(out)
    if case.staged is not None:
        columns, rows = case.staged
        assert out.staged(columns) == rows
    elif case.rejected is not None:
        assert out.staged(case.extract.key) == []
    assert sorted(out.quarantine(), key=_order) == sorted(case.quarantined, key=_order)
    recon = out.reconciliation()
    for name, (read, loaded, deduplicated, quarantined) in recon.items():
        assert read == loaded + deduplicated + quarantined, f"{name} does not reconcile: {recon[name]}"
    if case.counts is not None:
        assert recon == dict(case.counts)
    if case.warnings is not None:
        assert [w for r in out.reports for w in r.warnings] == list(case.warnings)
    if case.manifest is not None:
        assert out.manifest() == sorted(case.manifest, key=lambda m: (m[0], m[1], m[2] or ""))
    if case.extra is not None:
        case.extra(out)


def _order(q: tuple) -> tuple:
    return tuple("" if v is None else str(v) for v in (q[1], q[0], q[3], q[2], q[4]))


def _check_reject(out: Outcome) -> None:
    case = out.case
    rejects = [r for report in out.reports for r in report.rejected]
    if case.rejected is None:
        assert rejects == []
        return
    name, reason, fragments = case.rejected
    relative = f"{case.extract.source}/{name}"
    assert len(rejects) == case.times_rejected, f"rejects {rejects}; loaded {[r.loaded for r in out.reports]}"
    assert len(set(rejects)) == 1, rejects
    shown, code, message = rejects[0]
    assert (shown, code) == (safe_name(relative), reason)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert message.isprintable(), f"control or invisible characters in {message!r}"
    source = out.landing / case.extract.source / name
    assert not source.exists() and not source.is_symlink(), "a rejected file stays in the landing folder"
    moved = out.landing / REJECTED_DIR / case.extract.source / name
    assert moved.exists() or moved.is_symlink(), "the rejected file was not moved aside"
    assert moved.with_name(name + ".reason.txt").read_text(encoding="utf-8") == f"{reason}: {message}\n"
    assert set(out.rows("select status, reason_code, message from raw.file_manifest where file_name = ?",
                        [relative])) == {("rejected", reason, message)}
    assert out.rows(f"select count(*) from raw.{case.extract.raw_table} where _source_file = ?", [relative]) == [(0,)]
