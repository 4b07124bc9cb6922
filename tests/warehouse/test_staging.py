"""Staging on hand-made raw rows: strict parsing, each reason code, the dedupe rule, the counts."""

import datetime as dt
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from assets.raw.landing import extract_date
from warehouse import manifest
from warehouse.contract import COSTS, CUSTOMERS, FX_RATES, INVOICE_LINES, RESPONSES, Extract
from warehouse.profiles import Profile
from warehouse.staging import build_staging as _build


def build_staging(conn: duckdb.DuckDBPyConnection, extract: Extract, profile: Profile | None = None) -> dict:
    """Staging with the canonical notation; no file is held back unless a test sets a threshold."""
    return _build(conn, extract, profile or Profile(source=extract.source, max_quarantined_share=1.0))

CUSTOMER = {"customer_id": "C1", "name": "Kovács Kft.", "country": "HU", "created_date": "2024-01-01"}
LINE = {
    "invoice_id": "I1", "line_number": "1", "customer_id": "C1", "issue_date": "2024-01-01",
    "net_amount": "100.00", "currency": "EUR", "billing_interval": "month", "document_type": "invoice",
}


def _raw(conn: duckdb.DuckDBPyConnection, extract: Extract, rows: list[tuple[str, dict[str, str]]]) -> None:
    """raw.<table> and its manifest from (file, values) pairs; unspecified columns are empty; lines count
    from 2 per file; each file name's date is its extract date, as the landing folder would record it."""
    by_file: dict[str, list[dict]] = {}
    for file, values in rows:
        records = by_file.setdefault(file, [])
        records.append({c: values.get(c) for c in extract.column_names}
                       | {"_line_number": len(records) + 2, "_row_problem": None})
    manifest.ensure(conn, extract)
    conn.execute(f"delete from raw.{extract.raw_table}")
    schema = {c: pl.String for c in extract.column_names} | {"_line_number": pl.Int64, "_row_problem": pl.String}
    for file, records in by_file.items():
        version = manifest.FileVersion(f"sha-{file}", file, extract.entity, extract.source, "test", "csv", "utf-8",
                                       0, dt.datetime(2024, 1, 1), extract_date(file), "test-run")
        manifest.load(conn, extract, version, pl.DataFrame(records, schema=schema))


@pytest.fixture
def conn():
    conn = duckdb.connect()
    _raw(conn, CUSTOMERS, [("c.csv", CUSTOMER)])
    build_staging(conn, CUSTOMERS)
    _raw(conn, FX_RATES, [("r.csv", {"rate_date": "2024-01-01", "currency": "HUF", "units_per_eur": "390"})])
    build_staging(conn, FX_RATES)
    return conn


def _quarantine(conn) -> list[tuple]:
    return conn.execute("select line_number, column_name, reason_code, raw_value from staging.quarantine "
                        "where entity = 'billing__invoice_lines' order by all").fetchall()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("net_amount", "1.005", "invalid_decimal"),  # would round to 1.01
        ("net_amount", "12,50", "invalid_decimal"),  # decimal commas need a source profile
        ("line_number", "1.5", "invalid_integer"),  # DuckDB would round to 2
        ("issue_date", "2024-02-30", "invalid_date"),
        ("currency", "", "missing_required"),
        ("currency", "EURO", "invalid_currency"),
        ("billing_interval", "weekly", "not_accepted"),
        ("customer_id", "C404", "unknown_customer"),
        ("line_number", "0", "out_of_range"),
        ("currency", "USD", "no_fx_rate"),  # the rates know HUF only: an unknown currency is quarantined
    ],
)
def test_each_bad_value_is_quarantined_with_its_reason(conn, column, value, reason):
    _raw(conn, INVOICE_LINES, [("b.csv", LINE), ("b.csv", LINE | {"invoice_id": "I2", column: value})])
    counts = build_staging(conn, INVOICE_LINES)
    assert counts == {"rows_read": 2, "rows_loaded": 1, "rows_deduplicated": 0, "rows_quarantined": 1}
    assert _quarantine(conn) == [(3, column, reason, value)]


def test_credit_note_sign_and_service_period(conn):
    positive_credit = LINE | {"invoice_id": "CN1", "document_type": "credit_note"}
    reversed_period = LINE | {"invoice_id": "I3", "service_start_date": "2024-02-01", "service_end_date": "2024-01-31"}
    _raw(conn, INVOICE_LINES, [("b.csv", positive_credit), ("b.csv", reversed_period)])
    build_staging(conn, INVOICE_LINES)
    assert [r[2] for r in _quarantine(conn)] == ["credit_note_positive", "period_reversed"]


def test_latest_file_then_last_line_wins_and_a_broken_latest_is_not_replaced_by_an_older_version(conn):
    _raw(conn, INVOICE_LINES, [
        ("b_2024-01.csv", LINE | {"net_amount": "100.00"}),
        ("b_2024-02.csv", LINE | {"net_amount": "110.00"}),
        ("b_2024-02.csv", LINE | {"net_amount": "120.00"}),  # same file, later line: the winner
        ("b_2024-01.csv", LINE | {"invoice_id": "I9", "net_amount": "5.00"}),
        ("b_2024-02.csv", LINE | {"invoice_id": "I9", "net_amount": "oops"}),  # latest I9 is broken
        ("b_2024-02.csv", LINE | {"line_number": "x"}),  # unparsable key: never a duplicate
    ])
    counts = build_staging(conn, INVOICE_LINES)
    # 6 read = 1 loaded (I1/1 at 120) + 3 deduplicated (I1 100, I1 110, I9 5.00) + 2 quarantined
    assert counts == {"rows_read": 6, "rows_loaded": 1, "rows_deduplicated": 3, "rows_quarantined": 2}
    assert conn.execute("select invoice_id, net_amount from staging.stg_billing__invoice_lines").fetchall() == [
        ("I1", Decimal("120.00"))
    ]


def test_timestamps_are_stored_in_utc_and_enumerations_normalised(conn):
    answer = {"response_id": "R1", "customer_id": "C1", "survey_type": " NPS ", "score": "9", "scale_min": "0",
              "scale_max": "10", "submitted_at": "2024-03-05T10:00:00+01:00"}
    _raw(conn, RESPONSES, [("s.csv", answer)])
    build_staging(conn, RESPONSES)
    assert conn.execute("select survey_type, submitted_at from staging.stg_survey__responses").fetchall() == [
        ("nps", dt.datetime(2024, 3, 5, 9, 0))
    ]


def test_rebuilding_replaces_the_quarantine_rows_of_the_extract(conn):
    _raw(conn, INVOICE_LINES, [("b.csv", LINE | {"net_amount": "bad"})])
    build_staging(conn, INVOICE_LINES)
    _raw(conn, INVOICE_LINES, [("b.csv", LINE)])
    assert build_staging(conn, INVOICE_LINES)["rows_quarantined"] == 0
    assert _quarantine(conn) == []


def test_trailing_zeros_lose_nothing_and_load(conn):
    _raw(conn, INVOICE_LINES, [("b.csv", LINE | {"net_amount": "1.500", "quantity": "2.50000"})])
    assert build_staging(conn, INVOICE_LINES)["rows_loaded"] == 1
    assert conn.execute("select net_amount, quantity from staging.stg_billing__invoice_lines").fetchone() == (
        Decimal("1.50"), Decimal("2.5000")
    )


@pytest.mark.parametrize(
    ("issue_date", "reason"),
    [
        ("2024-01-01", None),  # the HUF rate of 2024-01-01 is published that day
        ("2024-01-08", None),  # 7 days after the last rate: still within fx_max_age_days = 7
        ("2024-01-09", "no_fx_rate"),  # 8 days: too old, quarantined rather than converted at 0 or 1
        ("2023-12-31", "no_fx_rate"),  # a rate published after the issue date is never used
    ],
)
def test_a_line_needs_a_rate_published_within_the_max_age_before_it(conn, issue_date, reason):
    _raw(conn, INVOICE_LINES, [("b.csv", LINE | {"currency": "HUF", "issue_date": issue_date})])
    counts = build_staging(conn, INVOICE_LINES)
    assert counts["rows_loaded"] == (0 if reason else 1)
    assert _quarantine(conn) == ([(2, "currency", reason, "HUF")] if reason else [])


@pytest.mark.parametrize(
    ("cost_month", "currency", "reason"),
    [
        ("2024-01-01", "HUF", None),  # the HUF rate of 2024-01-01 is published that day
        ("2024-02-01", "HUF", "no_fx_rate"),  # 31 days after the last rate: too old, quarantined
        ("2024-02-01", "EUR", None),  # EUR needs no rate
        ("2024-01-01", "PLN", "no_fx_rate"),  # a currency the rates do not know
    ],
)
def test_a_cost_needs_a_rate_published_within_the_max_age_before_its_month(conn, cost_month, currency, reason):
    _raw(conn, COSTS, [("costs.csv", {"customer_id": "C1", "cost_month": cost_month, "amount": "10.00",
                                      "currency": currency})])
    counts = build_staging(conn, COSTS)
    # read = loaded + deduplicated + quarantined: 1 = 1 + 0 + 0, or 1 = 0 + 0 + 1
    assert (counts["rows_loaded"], counts["rows_quarantined"]) == ((0, 1) if reason else (1, 0))
    quarantined = conn.execute("select line_number, column_name, reason_code, raw_value from staging.quarantine "
                               "where entity = 'billing__costs'").fetchall()
    assert quarantined == ([(2, "currency", reason, currency)] if reason else [])
