"""The erasure ledger: clients erased on request, kept out of every later build.

The ledger is a JSON-lines file beside the published warehouse (`<name>.erasure_ledger.jsonl`), so
it survives a rebuild from scratch, with a copy in the working file (`restricted.erasure_ledger`).
An entry holds the keyed pseudonyms of the client's ids (warehouse/pseudonym.py), never an id in
clear, with the time, the reason and the id of the key that made them. Every run loads it before
any extract and leaves the rows of its clients out of the raw tables (`drop`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from warehouse.db import qualified
from warehouse.pseudonym import key_id, pseudonym

LEDGER = "restricted.erasure_ledger"
LEDGER_DDL = f"""
create table if not exists {LEDGER} (
    request_id varchar, pseudonym varchar, key_id varchar, requested_at timestamp, reason varchar
)"""
# columns naming the client a row belongs to, and columns merely pointing at another client
SUBJECT_COLUMNS = ("customer_id", "source_customer_id", "client_key")
REFERENCE_COLUMNS = ("referred_by_customer_id",)


class LedgerError(Exception):
    """The ledger cannot be applied as it is (e.g. it was written under another key)."""


@dataclass(frozen=True)
class LedgerEntry:
    """One erasure request: the pseudonyms of every id of one client."""

    request_id: str
    requested_at: dt.datetime
    reason: str
    key_id: str
    pseudonyms: tuple[str, ...]

    def line(self) -> str:
        return json.dumps({"request_id": self.request_id, "requested_at": self.requested_at.isoformat(),
                           "reason": self.reason, "key_id": self.key_id, "pseudonyms": list(self.pseudonyms)})


def ledger_path_for(published: Path) -> Path:
    """`clientbook.duckdb` → `clientbook.erasure_ledger.jsonl`, beside it."""
    return published.with_name(f"{published.stem}.erasure_ledger.jsonl")


def read_ledger(path: Path) -> list[LedgerEntry]:
    """Every entry of the ledger file; none when there is no file yet."""
    if not path.exists():
        return []
    entries = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if text.strip():
            d = json.loads(text)
            entries.append(LedgerEntry(d["request_id"], dt.datetime.fromisoformat(d["requested_at"]), d["reason"],
                                       d["key_id"], tuple(d["pseudonyms"])))
    return entries


def append_ledger(path: Path, entries: list[LedgerEntry]) -> None:
    """Append entries to the ledger file (owner-only) and sync them to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.writelines(e.line() + "\n" for e in entries)
        f.flush()
        os.fsync(f.fileno())


def _rows(entries: list[LedgerEntry]) -> list[tuple]:
    return [(e.request_id, p, e.key_id, e.requested_at, e.reason) for e in entries for p in e.pseudonyms]


def record(conn: duckdb.DuckDBPyConnection, entries: list[LedgerEntry]) -> None:
    """Add entries to the working file's copy of the ledger."""
    conn.execute("create schema if not exists restricted")
    conn.execute(LEDGER_DDL)
    if entries:
        conn.executemany(f"insert into {LEDGER} values (?, ?, ?, ?, ?)", _rows(entries))


def stored(conn: duckdb.DuckDBPyConnection) -> list[LedgerEntry]:
    """The entries of the working file's copy of the ledger."""
    record(conn, [])
    entries: dict[str, LedgerEntry] = {}
    for rid, p, kid, at, reason in conn.execute(f"select * from {LEDGER} order by all").fetchall():
        e = entries.get(rid) or LedgerEntry(rid, at, reason, kid, ())
        entries[rid] = LedgerEntry(rid, at, reason, kid, (*e.pseudonyms, p))
    return list(entries.values())


def sync(conn: duckdb.DuckDBPyConnection, path: Path) -> list[LedgerEntry]:
    """Make the file and the working copy hold the same entries (their union) and return them."""
    in_file = read_ledger(path)
    in_work = stored(conn)
    missing_in_file = [e for e in in_work if e.request_id not in {f.request_id for f in in_file}]
    if missing_in_file:  # the file was lost or replaced: the working copy puts its entries back
        append_ledger(path, missing_in_file)
    record(conn, [e for e in in_file if e.request_id not in {w.request_id for w in in_work}])
    return in_file + missing_in_file


@dataclass(frozen=True)
class ErasedSubjects:
    """The pseudonyms of every erased id, and the key that recognises them in an extract."""

    key: bytes
    pseudonyms: frozenset[str]

    @classmethod
    def from_ledger(cls, key: bytes, entries: list[LedgerEntry]) -> ErasedSubjects:
        """Refuses a ledger written under another key: its clients would silently come back."""
        other = sorted({e.key_id for e in entries} - {key_id(key)})
        if other:
            raise LedgerError(
                f"the erasure ledger holds requests made under another pseudonym key (key id {', '.join(other)}); "
                "restore that key or re-key the ledger (docs/operations.md, Privacy)"
            )
        return cls(key, frozenset(p for e in entries for p in e.pseudonyms))

    def is_erased(self, value: str | None) -> bool:
        return value is not None and value.strip() != "" and pseudonym(self.key, value.strip()) in self.pseudonyms

    def drop(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        """The extract's rows without those of erased clients, references to them blanked; and how many went."""
        if not self.pseudonyms:
            return frame, 0
        for column in REFERENCE_COLUMNS:
            if column in frame.columns:
                erased = [v for v in frame[column].unique().to_list() if self.is_erased(v)]
                frame = frame.with_columns(
                    pl.when(pl.col(column).is_in(erased)).then(None).otherwise(pl.col(column)).alias(column))
        subject = [c for c in SUBJECT_COLUMNS if c in frame.columns]
        if not subject:
            return frame, 0
        erased = [v for c in subject for v in frame[c].unique().to_list() if self.is_erased(v)]
        kept = frame.filter(~pl.any_horizontal(pl.col(c).is_in(erased).fill_null(False) for c in subject))
        return kept, frame.height - kept.height


def purge(conn: duckdb.DuckDBPyConnection, raw_table: str, columns: tuple[str, ...], erased: ErasedSubjects) -> int:
    """Delete rows of erased clients that an earlier night loaded into `raw.<raw_table>` (a code identifier)."""
    subject = [c for c in SUBJECT_COLUMNS if c in columns]
    references = [c for c in REFERENCE_COLUMNS if c in columns]
    if not erased.pseudonyms or not (subject or references):
        return 0
    table = qualified("raw", raw_table)
    deleted = 0
    for column in references:
        ids = [v for (v,) in conn.execute(f"select distinct {column} from {table}").fetchall() if erased.is_erased(v)]
        if ids:
            conn.execute(f"update {table} set {column} = null where {column} in (select unnest(?))", [ids])
    for column in subject:
        ids = [v for (v,) in conn.execute(f"select distinct {column} from {table}").fetchall() if erased.is_erased(v)]
        if ids:
            row = conn.execute(f"delete from {table} where {column} in (select unnest(?))", [ids]).fetchone()
            deleted += int(row[0]) if row else 0
    return deleted
