"""DuckDB errors reach the event log without the values they quote."""

import dagster as dg
import duckdb
import pytest

from assets.errors import redact, redacted_errors


def test_a_conversion_error_loses_its_quoted_value():
    conn = duckdb.connect()
    with pytest.raises(dg.Failure) as failure, redacted_errors("staging.x"):
        conn.execute("select cast('Kovács Anna' as integer)")
    assert "Kovács" not in failure.value.description
    assert failure.value.description.startswith("staging.x: ConversionException: Conversion Error: Could not convert")


def test_redact_keeps_the_first_line_only():
    assert redact('Binder Error: column "tax_id" not found\nLINE 1: select \'12345\'') == (
        'Binder Error: column "tax_id" not found'
    )
