"""Publishing: the run builds a working file; only a fully checked build replaces the analysts' file.

The swap is atomic (`os.replace` within one folder), so whoever opens the published file sees
either the previous complete build or the new one, never a half-written warehouse. The
previous published file is kept beside it for rollback.
"""

import os
import shutil
from pathlib import Path

import duckdb


def work_path_for(published: Path) -> Path:
    """The working file a run writes: `clientbook.duckdb` → `clientbook.work.duckdb`."""
    return published.with_name(f"{published.stem}.work{published.suffix}")


def previous_path_for(published: Path) -> Path:
    """Where the previous published build is kept: `clientbook.previous.duckdb`."""
    return published.with_name(f"{published.stem}.previous{published.suffix}")


def publish(conn: duckdb.DuckDBPyConnection, work: Path, published: Path) -> int:
    """Checkpoint the working file, copy it beside the published one, verify it, swap it in.

    Returns the number of tables in the published file.
    """
    conn.execute("checkpoint")
    staged = published.with_name(f".{published.name}.incoming")
    shutil.copyfile(work, staged)
    with staged.open("rb") as f:
        os.fsync(f.fileno())
    with duckdb.connect(str(staged), read_only=True) as check:
        row = check.execute("select count(*) from duckdb_tables()").fetchone()
    tables = int(row[0]) if row else 0
    if published.exists():
        keep = previous_path_for(published)
        link = published.with_name(f".{published.name}.previous")
        link.unlink(missing_ok=True)
        os.link(published, link)
        os.replace(link, keep)
    os.replace(staged, published)
    return tables
