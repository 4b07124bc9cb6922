"""One writer at a time: a run (nightly, backfill, UI) and an erasure hold the warehouse's lock file throughout.

DuckDB locks the working file only while a connection is open, and every step opens its own; so
without this, a `clientbook run` and a run the schedule launched could interleave their steps on
one working file, or an erasure could swap the file under a running step. The lock is an advisory
`flock` on `<work file>.lock`, released by the kernel when its process dies (a SIGKILL included).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.errors import WarehouseError


class WarehouseBusy(WarehouseError):
    """Another run or erasure holds the warehouse; the message says so without any client data."""


def lock_path_for(work: Path) -> Path:
    """`clientbook.work.duckdb` → `clientbook.work.duckdb.lock`."""
    return work.with_name(work.name + ".lock")


def acquire(work: Path, wait_seconds: float = 0) -> int:
    """Take the lock (waiting up to `wait_seconds`) and return its file descriptor; WarehouseBusy if held."""
    work.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path_for(work), os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise WarehouseBusy(
                    f"another clientbook run, backfill or erasure is using {work.parent}: wait for it to finish, "
                    "then run again"
                ) from None
            time.sleep(0.5)


def release(fd: int) -> None:
    """Give the lock back."""
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextmanager
def warehouse_lock(work: Path, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the warehouse's lock for the block."""
    fd = acquire(work, wait_seconds)
    try:
        yield
    finally:
        release(fd)


def is_locked(work: Path) -> bool:
    """Whether a run or an erasure holds the lock now (for the sensor, which must not get in its way)."""
    try:
        with warehouse_lock(work):
            return False
    except WarehouseBusy:
        return True
