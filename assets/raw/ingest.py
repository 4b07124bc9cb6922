"""One extract's nightly ingest: find the complete files, skip the known ones, load or reject the rest."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from assets.raw.landing import (
    Candidate,
    extract_date,
    find_candidates,
    is_plain,
    move_aside,
    ready_files,
    safe_name,
    sha256_of,
)
from assets.raw.reader import BUNDLED_FX, FileRejected, bundled_fx_bytes, bundled_fx_rates, open_file
from warehouse import manifest
from warehouse.contract import FX_RATES, Extract
from warehouse.ledger import ErasedSubjects
from warehouse.profiles import Profile


@dataclass
class IngestReport:
    """What one night did with one extract's files; names only, never row data."""

    loaded: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # name, reason, message
    waiting: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    erased: int = 0  # rows of erased clients left out (warehouse/ledger.py)


def ingest(conn: duckdb.DuckDBPyConnection, landing: Path, extract: Extract, profile: Profile,
           run_id: str, erased: ErasedSubjects | None = None) -> IngestReport:
    """Load every new, complete file of `extract`; each file is loaded whole or rejected whole."""
    report = IngestReport()
    manifest.ensure(conn, extract)
    files = profile.files_for(extract)
    ready, waiting = ready_files(find_candidates(landing, extract.source, files), profile)
    report.waiting = [safe_name(c.name) for c in waiting]
    for c in ready:
        _one(conn, landing, extract, profile, c, run_id, report, erased)
    if extract is FX_RATES:
        _bundled_fx(conn, run_id, report)
    return report


def _one(conn: duckdb.DuckDBPyConnection, landing: Path, extract: Extract, profile: Profile, c: Candidate,
         run_id: str, report: IngestReport, erased: ErasedSubjects | None = None) -> None:
    name = safe_name(c.name)
    if not is_plain(c.path, landing):
        version = _version(c, "-", extract, profile, run_id)
        _reject(conn, landing, c, version, report, FileRejected(
            "bad_file_name", f"{name}: not a plain file name inside the landing folder (a link, a folder, control "
                             "characters, or a leading dot or dash); rename it"))
        return
    sha = sha256_of(c.path)
    version = _version(c, sha, extract, profile, run_id)
    status = manifest.status_of(conn, extract.entity, c.name, sha)
    if status is not None and status != "rejected":  # met before: loaded or skipped already
        report.unchanged += 1
        return
    # a file rejected before and put back (e.g. after fixing the profile) is read again
    copy = manifest.loaded_copy(conn, extract.entity, sha)
    if copy is not None:
        manifest.record(conn, version, "skipped_duplicate", "same_bytes", f"same bytes as {copy}")
        report.skipped.append(name)
        return
    dropped = 0

    def kept(chunks: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        # the erasure ledger is applied before anything is stored: an erased client's rows never land again
        nonlocal dropped
        for chunk in chunks:
            frame, gone = erased.drop(chunk) if erased else (chunk, 0)
            dropped += gone
            yield frame

    try:
        stream = open_file(c.path, name, profile, extract, profile.files_for(extract))
        # piece by piece, in one transaction: a problem found late in the file loads none of it
        rows = manifest.load(conn, extract, version, kept(stream.chunks), erased=lambda: dropped)
    except FileRejected as rejected:
        _reject(conn, landing, c, version, report, rejected)
        return
    report.warnings.extend(stream.warnings)
    report.erased += dropped
    report.loaded.append((name, rows))


def _version(c: Candidate, sha: str, extract: Extract, profile: Profile, run_id: str) -> manifest.FileVersion:
    fmt = profile.format_of(c.path)
    return manifest.FileVersion(
        sha256=sha, name=c.name, entity=extract.entity, source=extract.source, profile=profile.name, format=fmt,
        encoding=profile.encoding if fmt == "csv" else None, size=c.size, modified_at=c.modified_at,
        extract_date=extract_date(c.path.name), run_id=run_id,
    )


def _reject(conn: duckdb.DuckDBPyConnection, landing: Path, c: Candidate, version: manifest.FileVersion,
            report: IngestReport, rejected: FileRejected) -> None:
    """Record the reject, then move the file aside (after a crash in between, the next night reads it again)."""
    manifest.record(conn, version, "rejected", rejected.reason_code, rejected.message)
    move_aside(landing, c, f"{rejected.reason_code}: {rejected.message}")
    report.rejected.append((safe_name(c.name), rejected.reason_code, rejected.message))


def _bundled_fx(conn: duckdb.DuckDBPyConnection, run_id: str, report: IngestReport) -> None:
    """Without any landed fx file the bundled ECB history is the fx extract; landed files retire it."""
    landed = conn.execute(
        f"select count(*) from {manifest.MANIFEST} where entity = ? and status = 'loaded' and file_name <> ?",
        [FX_RATES.entity, BUNDLED_FX],
    ).fetchone()
    if landed and landed[0]:
        manifest.retire(conn, FX_RATES, BUNDLED_FX)
        return
    data = bundled_fx_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if manifest.status_of(conn, FX_RATES.entity, BUNDLED_FX, sha) == "loaded":
        report.unchanged += 1
        return
    version = manifest.FileVersion(sha, BUNDLED_FX, FX_RATES.entity, FX_RATES.source, "bundled", "csv", "utf-8",
                                   len(data), dt.datetime.now(dt.UTC).replace(tzinfo=None), None, run_id)
    report.loaded.append((BUNDLED_FX, manifest.load(conn, FX_RATES, version, bundled_fx_rates(data))))

