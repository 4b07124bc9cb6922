"""A full disk (ENOSPC, EDQUOT, EFBIG) becomes one clear line naming the folder, and is never retried."""

import errno

import duckdb
import pytest

from warehouse.errors import WarehouseError, disk_full, is_transient, redacted_errors

CLEAR = "disk full while writing /srv/wh: free space and rerun; the published warehouse is unchanged"


@pytest.mark.parametrize("reason", ["No space left on device", "File too large", "Disk quota exceeded"])
def test_duckdb_write_errors_for_want_of_space_name_the_folder(reason):
    exc = duckdb.IOException(f'IO Error: Could not write file "/srv/wh/clientbook.work.duckdb.wal": {reason}')
    with pytest.raises(WarehouseError) as failure, redacted_errors("raw.billing__invoice_lines"):
        raise exc
    assert str(failure.value) == f"raw.billing__invoice_lines: {CLEAR}"
    assert not is_transient(failure.value) and not is_transient(exc)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_our_own_oserrors_for_want_of_space_become_the_same_line(code):
    with pytest.raises(WarehouseError) as failure, redacted_errors("publish"):
        raise OSError(code, "no room", "/srv/wh/.clientbook.duckdb.incoming")
    assert str(failure.value) == f"publish: {CLEAR}"
    assert disk_full(OSError(code, "no room")).startswith("disk full while writing the warehouse folder:")


def test_other_write_errors_are_left_alone():
    assert disk_full('IO Error: Could not write file "/srv/wh/x.duckdb": Input/output error') is None
    assert disk_full(OSError(errno.EIO, "Input/output error")) is None
    with pytest.raises(PermissionError), redacted_errors("publish"):
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/wh/x")
