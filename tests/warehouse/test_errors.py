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


def test_double_quoted_values_and_apostrophes_are_redacted_but_identifiers_stay():
    # DuckDB quotes some values in double quotes; an apostrophe inside a value must not end the redaction
    assert redact('invalid date field format: "Anna Kovács"') == 'invalid date field format: "…"'
    assert redact('Duplicate key "id: C-00123" violates a constraint') == 'Duplicate key "…" violates a constraint'
    assert redact("Could not convert 'O'Brien Kft' to INT32") == "Could not convert '…' to INT32"
    assert redact('Binder Error: column "tax_id" not found') == 'Binder Error: column "tax_id" not found'
