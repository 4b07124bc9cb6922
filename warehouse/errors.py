"""Warehouse errors without client data: DuckDB quotes the offending values in its messages."""

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# DuckDB quotes values in single quotes (identifiers in double) and prints numbers it cannot cast bare
# Single quotes: from the first to the last on the line, so an apostrophe inside a value (O'Brien)
# cannot end the redaction early. Double quotes: DuckDB also quotes some values that way ("Anna
# Kovács" in a date parse error), so only a plain lowercase snake_case identifier survives.
QUOTED = re.compile(r"'.*'")
DOUBLE_QUOTED = re.compile(r'"(?![a-z][a-z0-9_]*")[^"]*"')
NUMBER = re.compile(r"\d[\d.,]{3,}")
# what may pass if tried again: a lock another process holds, a flaky disk or share; never a full disk
# (retrying cannot free space) nor a missing or forbidden file
TRANSIENT_ERRNOS = frozenset({errno.EIO, errno.EAGAIN, errno.EBUSY})
NOT_TRANSIENT = re.compile(
    r"disk (is )?full|no space left|ENOSPC|file too large|quota exceeded|no such file|permission denied"
    r"|read-only file system",
    re.IGNORECASE,
)
# a write the file system refused for want of space: a full disk (ENOSPC), a full quota (EDQUOT) or a
# file-size limit (EFBIG); DuckDB words them "Could not write file \"<path>\": No space left on device"
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
DISK_FULL_TEXT = re.compile(r"no space left on device|disk quota exceeded|file too large", re.IGNORECASE)
DOUBLE_QUOTED_PATH = re.compile(r'"([^"]+)"')


class WarehouseError(Exception):
    """A DuckDB failure whose message names the step and quotes no value from the extracts."""


def redact(message: str) -> str:
    """The message's first line with every quoted literal and every longer number replaced by '…'."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return NUMBER.sub("…", DOUBLE_QUOTED.sub('"…"', QUOTED.sub("'…'", first)))


@contextmanager
def redacted_errors(step: str) -> Iterator[None]:
    """Re-raise a DuckDB error as a WarehouseError with a redacted message and no chained original.

    A full disk, from DuckDB or from our own file operations, becomes the one clear `disk_full` line.
    """
    try:
        yield
    except duckdb.Error as exc:
        message = disk_full(exc) or f"{type(exc).__name__}: {redact(str(exc))}"
        raise WarehouseError(f"{step}: {message}") from None
    except OSError as exc:
        message = disk_full(exc)
        if message is None:
            raise
        raise WarehouseError(f"{step}: {message}") from None


def disk_full(error: BaseException | str) -> str | None:
    """A one-line message naming the folder when `error` is a full disk (ENOSPC, EDQUOT, EFBIG), else None.

    `error` is an OSError, a DuckDB error, or the text of either (as Dagster's event log keeps it).
    """
    if isinstance(error, OSError) and error.errno is not None:
        if error.errno not in DISK_FULL_ERRNOS:
            return None
        path = error.filename
    else:
        text = str(error)
        if not DISK_FULL_TEXT.search(text):
            return None
        quoted = DOUBLE_QUOTED_PATH.search(text)
        path = quoted.group(1) if quoted else None
    folder = Path(os.fsdecode(path)).parent if path else "the warehouse folder"
    return f"disk full while writing {folder}: free space and rerun; the published warehouse is unchanged"


def is_transient(exc: BaseException) -> bool:
    """A locked warehouse file or an I/O error that may pass when the step is tried again.

    A DuckDB I/O error (`IOException`, also when already redacted into a WarehouseError) counts
    unless it is a full disk or a missing or forbidden file; another OSError counts only as EIO,
    EAGAIN or EBUSY. Data errors, failed checks and everything else fail the step at once.
    """
    if isinstance(exc, duckdb.IOException | WarehouseError):
        text = str(exc)
        io_error = isinstance(exc, duckdb.IOException) or ": IOException: " in text
        return io_error and not NOT_TRANSIENT.search(text)
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS
