"""The landing folder: which files belong to an extract, whether they are complete, and rejects.

A file is read only once it is complete: with `ready = "done_marker"` when `<name>.done` exists
beside it; with `ready = "stable"` (default) when its size and modification time have not changed
for `stable_seconds`. Rejected files are moved to `<landing>/_rejected/<source>/` with a
`<name>.reason.txt` beside them, so the next night does not meet them again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from warehouse.profiles import PROFILE_FILE, EntityFiles, Profile

REJECTED_DIR = "_rejected"
DONE_SUFFIX = ".done"
# a plain name: letters (any script), digits, and . _ - space ( ) + , = @; no control characters,
# no leading dot or dash, at most 200 characters
PLAIN_NAME = re.compile(r"[^\W_][\w .()+,=@-]{0,199}")
DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")


@dataclass(frozen=True)
class Candidate:
    """A file of the extract as found: its name relative to the landing folder, size and mtime."""

    path: Path
    name: str
    size: int
    mtime_ns: int

    @property
    def modified_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.mtime_ns / 1e9, dt.UTC).replace(tzinfo=None)


def safe_name(name: str) -> str:
    """A file name fit for a message: control and other invisible characters escaped."""
    return name.encode("unicode_escape").decode("ascii") if not name.isprintable() else name


def is_plain(path: Path, landing: Path) -> bool:
    """A regular file (not a link) directly in its source folder, with a plain name."""
    return (
        not path.is_symlink() and path.is_file() and PLAIN_NAME.fullmatch(path.name) is not None
        and path.resolve().parent == (landing / path.parent.name).resolve()
    )


def find_candidates(landing: Path, source: str, files: EntityFiles) -> list[Candidate]:
    """Every entry of `<landing>/<source>/` matching the entity's patterns, in name order."""
    folder = landing / source
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name == PROFILE_FILE or path.name.endswith(DONE_SUFFIX) or not files.matches(path.name):
            continue
        stat = path.lstat()
        found.append(Candidate(path, f"{source}/{path.name}", stat.st_size, stat.st_mtime_ns))
    return found


def ready_files(candidates: list[Candidate], profile: Profile) -> tuple[list[Candidate], list[Candidate]]:
    """Split into (complete, still being written) by the profile's readiness rule."""
    if profile.ready == "done_marker":
        done = [c for c in candidates if c.path.with_name(c.path.name + DONE_SUFFIX).exists()]
        return done, [c for c in candidates if c not in done]
    young = [c for c in candidates if time.time_ns() - c.mtime_ns < profile.stable_seconds * 1e9]
    if young:
        time.sleep(profile.stable_seconds)
    ready, waiting = [], []
    for c in candidates:
        try:
            stat = c.path.lstat()
        except FileNotFoundError:
            continue
        same = (stat.st_size, stat.st_mtime_ns) == (c.size, c.mtime_ns)
        (ready if same else waiting).append(c)
    return ready, waiting


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in chunks."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def extract_date(name: str) -> dt.date | None:
    """The first valid date written in the file name (YYYY-MM-DD, YYYYMMDD, YYYY.MM.DD, YYYY_MM_DD)."""
    for match in DATE_IN_NAME.finditer(name):
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            continue
    return None


def move_aside(landing: Path, candidate: Candidate, reason: str) -> Path:
    """Move a rejected file (and its .done marker) to `_rejected/<source>/`, never overwriting."""
    target_dir = landing / REJECTED_DIR / candidate.path.parent.name
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / candidate.path.name
    n = 1
    while target.exists() or target.is_symlink():
        target = target_dir / f"{candidate.path.name}.{n}"
        n += 1
    candidate.path.rename(target)
    marker = candidate.path.with_name(candidate.path.name + DONE_SUFFIX)
    if marker.exists():
        marker.rename(target.with_name(target.name + DONE_SUFFIX))
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target
