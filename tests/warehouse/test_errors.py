"""DuckDB errors reach the event log without the values they quote."""

import duckdb
import pytest

from warehouse.errors import WarehouseError, redact, redacted_errors


def test_a_conversion_error_loses_its_quoted_value():
    conn = duckdb.connect()
    with pytest.raises(WarehouseError) as failure, redacted_errors("staging.x"):
        conn.execute("select cast('Kovács Anna' as integer)")
    assert "Kovács" not in str(failure.value)
    assert str(failure.value).startswith("staging.x: ConversionException: Conversion Error: Could not convert")


def test_redact_keeps_the_first_line_only():
    assert redact('Binder Error: column "tax_id" not found\nLINE 1: select \'12345\'') == (
        'Binder Error: column "tax_id" not found'
    )


def test_an_overflowing_amount_is_not_printed():
    conn = duckdb.connect()
    with pytest.raises(WarehouseError) as failure, redacted_errors("marts.x"):
        conn.execute("select 20000000000000000.5::decimal(38,1)::decimal(18,2)")
    assert "20000000000000000" not in str(failure.value)
