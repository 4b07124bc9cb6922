"""The pseudonym key for command-line runs, and `clientbook erase`: one client out of every file, for good."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
import uuid
from pathlib import Path

import duckdb

from assets.privacy import KEY_ENV
from warehouse.erasure import Subject, resolve, rewrite, subject_in_copy, subject_in_work
from warehouse.ledger import LedgerEntry, append_ledger, ledger_path_for, record
from warehouse.lock import WarehouseBusy, acquire, release
from warehouse.pseudonym import PseudonymKeyError, check_key, key_id, pseudonym
from warehouse.publish import PUBLISHED_MODE, previous_path_for, work_path_for

KEY_FILE = ".pseudonym.key"


def ensure_pseudonym_key(warehouse: Path) -> str | None:
    """Put the pseudonym key into the environment; returns a line to print when it came from the key file.

    Production sets CLIENTBOOK_PSEUDONYM_KEY from its secret store. Without it, a random key is
    created once in `.pseudonym.key` beside the warehouse (owner-only) and used from then on, so
    `make run` works on a fresh machine and pseudonyms stay the same from run to run.
    """
    if os.environ.get(KEY_ENV):
        return None
    path = warehouse.parent / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.environ[KEY_ENV] = path.read_text(encoding="ascii").strip()
        return f"clientbook: {KEY_ENV} is not set: using the pseudonym key in {path}"
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    os.environ[KEY_ENV] = path.read_text(encoding="ascii").strip()
    return f"clientbook: {KEY_ENV} is not set: created a random pseudonym key in {path} (keep it; see docs)"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _mentions(conn: duckdb.DuckDBPyConnection, ids: list[str], text: str) -> bool:
    """Whether the reason quotes the client's id, name or tax id: the ledger must not hold them."""
    rows = conn.execute("select name, tax_id from raw.crm__customers where trim(customer_id) in (select unnest(?))",
                        [ids]).fetchall()
    found = {v.strip().casefold() for r in rows for v in r if v and v.strip()} | {i.casefold() for i in ids}
    return any(v in text.casefold() for v in found)


def erase_client(customer_id: str, warehouse: Path, reason: str) -> int:
    """Record the request in the ledger, rewrite every warehouse file without the client; 0 done, 2 refused."""
    work = work_path_for(warehouse)
    if not work.exists():
        return _fail(f"no working file {work}: build the warehouse with `clientbook run` first")
    try:
        key = check_key(os.environ.get(KEY_ENV, ""))
    except PseudonymKeyError as exc:
        return _fail(str(exc))
    os.umask(0o077)  # the rewritten working file holds identifiers: owner-only
    try:
        lock = acquire(work)  # no run may use the working file while it is read and rewritten
    except WarehouseBusy as exc:
        return _fail(f"{exc}; nothing was erased")
    try:
        with duckdb.connect(str(work), read_only=True) as conn:
            ids = resolve(conn, customer_id)
            if not ids:
                return _fail("no client with that id in the warehouse; nothing was erased")
            if _mentions(conn, ids, reason):
                return _fail("the reason quotes the client's id, name or tax id; the ledger must not hold them")
            subject = subject_in_work(conn, ids)
        return _erase(ids, subject, key, warehouse, reason)
    finally:
        release(lock)


def _erase(ids: list[str], subject: Subject, key: bytes, warehouse: Path, reason: str) -> int:
    work = work_path_for(warehouse)
    pseudonyms = sorted({pseudonym(key, i) for i in ids})
    entry = LedgerEntry(uuid.uuid4().hex, dt.datetime.now(dt.UTC).replace(tzinfo=None), reason, key_id(key),
                        tuple(pseudonyms))
    # the file first: whatever fails below, the next run keeps the client out
    append_ledger(ledger_path_for(warehouse), [entry])
    removed = rewrite(work, subject)
    with duckdb.connect(str(work)) as conn:
        record(conn, [entry])
    copies = [p for p in (warehouse, previous_path_for(warehouse)) if p.exists()]
    for copy in copies:
        removed += rewrite(copy, subject_in_copy(pseudonyms, subject.lines))
        os.chmod(copy, PUBLISHED_MODE)
    print(f"erased 1 client ({len(ids)} CRM id(s), {removed:,} rows) from {work.name} and "
          f"{len(copies)} published file(s); ledger request {entry.request_id}. The next run recomputes the "
          "aggregates without it.")
    return 0
