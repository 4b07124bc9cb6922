"""Publishing: the run builds a working file; only a fully checked build becomes the analysts' copy.

The analysts' copy is written fresh beside the published file (warehouse/analyst_copy.py), synced,
checked, and swapped in atomically (`os.replace` within one folder), so whoever opens the published
file sees either the previous complete build or the new one, never a half-written warehouse. The
previous published file is kept beside it for rollback. Any failure on the way (a full disk, say)
removes the half-written file and leaves the published one untouched.
"""

import os
from pathlib import Path

import duckdb

from warehouse.analyst_copy import leaks, write_analyst_copy

PUBLISHED_MODE = 0o444


class PublishError(Exception):
    """The analysts' copy failed its own checks; the message names columns, never values."""


def work_path_for(published: Path) -> Path:
    """The working file a run writes: `clientbook.duckdb` → `clientbook.work.duckdb`."""
    return published.with_name(f"{published.stem}.work{published.suffix}")


def previous_path_for(published: Path) -> Path:
    """Where the previous published build is kept: `clientbook.previous.duckdb`."""
    return published.with_name(f"{published.stem}.previous{published.suffix}")


def incoming_path_for(published: Path) -> Path:
    """The hidden file the next analysts' copy is written to before the swap."""
    return published.with_name(f".{published.name}.incoming")


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(conn: duckdb.DuckDBPyConnection, published: Path, key: bytes, min_cell_size: int,
            keep_previous: bool = True) -> int:
    """Write the analysts' copy of the build `conn` holds, verify it, swap it in; returns its table count.

    With `keep_previous` false (after an erasure) the previous build is deleted rather than kept.
    """
    staged = incoming_path_for(published)
    _remove(staged)
    try:
        tables = write_analyst_copy(conn, staged, key, min_cell_size)
        _fsync(staged)
        found = leaks(staged)
        if found:
            raise PublishError(f"the analysts' copy holds restricted columns: {', '.join(found[:5])}")
        with duckdb.connect(str(staged), read_only=True) as check:
            row = check.execute("select count(*) from duckdb_tables()").fetchone()
        if not row or int(row[0]) != tables:
            raise PublishError("the analysts' copy does not hold every table written")
    except BaseException:
        _remove(staged)
        raise
    keep = previous_path_for(published)
    if published.exists() and keep_previous:
        link = published.with_name(f".{published.name}.previous")
        link.unlink(missing_ok=True)
        os.link(published, link)
        os.replace(link, keep)
    elif not keep_previous:
        keep.unlink(missing_ok=True)
    # analysts read it (the run's own files are owner-only); nobody writes it in place: only
    # replaced whole. On a shared machine the mode is what keeps a DuckDB session from re-opening
    # it writable (docs/analysts.md)
    os.chmod(staged, PUBLISHED_MODE)
    os.replace(staged, published)
    _fsync(published.parent)
    return tables
