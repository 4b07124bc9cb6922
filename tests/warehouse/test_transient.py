"""Which errors are transient (the step is retried) and which fail at once."""

import errno

import duckdb
import pytest

from warehouse.errors import WarehouseError, is_transient

LOCK = 'IO Error: Could not set lock on file "w.work.duckdb": Conflicting lock is held in python (PID …)'


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (duckdb.IOException(LOCK), True),
        (WarehouseError(f"raw.crm__customers: IOException: {LOCK}"), True),
        (OSError(errno.EIO, "Input/output error"), True),
        (BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"), True),
        (OSError(errno.EBUSY, "Device or resource busy"), True),
        # a full disk does not pass by waiting; nor a missing or forbidden file
        (duckdb.IOException("IO Error: Could not write file \"w.duckdb\": No space left on device"), False),
        (WarehouseError("publish: disk full: 2 GB needed in /data"), False),
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), False),
        (PermissionError(errno.EACCES, "Permission denied"), False),
        # data errors and every other failure
        (WarehouseError("staging.x: ConversionException: Could not convert string '…' to INT32"), False),
        (duckdb.ConversionException("Could not convert"), False),
        (ValueError("bad"), False),
    ],
)
def test_only_locks_and_io_errors_are_transient(error, transient):
    assert is_transient(error) is transient
