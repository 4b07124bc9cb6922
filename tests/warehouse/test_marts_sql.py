"""The invoice-line mart on hand-made staging rows: FX conversion, periods, credit notes."""

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from warehouse.db import FX_CONVERT_MACRO, build_from_file

LINE_COLUMNS = (
    "invoice_id varchar, line_number integer, customer_id varchar, issue_date date, service_start_date date, "
    "service_end_date date, product varchar, net_amount decimal(18,2), currency varchar, "
    "billing_interval varchar, document_type varchar, corrected_invoice_id varchar"
)


def _db(lines: list[tuple], rates: list[tuple[str, str, str]], currency: str = "EUR") -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema staging")
    conn.execute(f"create table staging.stg_billing__invoice_lines ({LINE_COLUMNS})")
    conn.executemany("insert into staging.stg_billing__invoice_lines values (?,?,?,?,?,?,?,?,?,?,?,?)", lines)
    conn.execute("create table staging.stg_fx__rates (rate_date date, currency varchar, units_per_eur decimal(18,6))")
    if rates:
        conn.executemany("insert into staging.stg_fx__rates values (?, ?, ?)", rates)
    # no CRM duplicates here: an empty crosswalk leaves every customer_id as it is
    conn.execute("create schema marts")
    conn.execute("create table marts.client_crosswalk (source_customer_id varchar, client_key varchar)")
    params = {"as_of_date": dt.date(2024, 12, 31), "reporting_currency": currency, "fx_max_age_days": 7}
    build_from_file(conn, "marts", "fct_invoice_lines", params)
    return conn


def _line(invoice, amount, currency="EUR", interval="month", start="2024-01-01", end="2024-01-31",
          issued="2024-01-01", doc="invoice", corrects=None):
    return (invoice, 1, "C1", issued, start, end, "X", amount, currency, interval, doc, corrects)


def test_large_amounts_convert_without_overflow():
    # 25,000,000.00 EUR reported in HUF at 400.5 HUF/EUR = 10,012,500,000.00 HUF
    conn = _db([_line("I1", "25000000.00")], [("2024-01-01", "HUF", "400.5")], currency="HUF")
    assert conn.execute("select amount_reporting from marts.fct_invoice_lines").fetchone()[0] == Decimal(
        "10012500000.00"
    )


def test_cross_rate_and_stale_rate():
    # 1,000 PLN to HUF on 2024-01-03: 1000 × 390 / 4.3 = 90,697.674… → 90,697.67 HUF (rates of 2024-01-01,
    # two days old); a line issued 2024-01-20 finds only 13-day-old rates: no rate (fx_max_age_days = 7)
    rates = [("2024-01-01", "HUF", "390"), ("2024-01-01", "PLN", "4.3")]
    conn = _db([_line("I1", "1000.00", "PLN", issued="2024-01-03"), _line("I2", "1000.00", "PLN", issued="2024-01-20")],
               rates, currency="HUF")
    rows = conn.execute("select invoice_id, has_fx_rate, amount_reporting from marts.fct_invoice_lines").fetchall()
    assert rows == [("I1", True, Decimal("90697.67")), ("I2", False, None)]


@pytest.mark.parametrize(
    ("interval", "start", "end", "months"),
    [
        ("month", "2024-02-01", "2024-02-29", 1),
        ("quarter", "2024-01-15", "2024-04-14", 3),  # 91 days / 30.4375 = 2.99 → 3, from January
        ("year", "2024-01-01", "2024-12-31", 12),
        ("quarter", "2024-01-01", None, 3),  # no end date: start + 3 months − 1 day
        ("one_off", "2024-03-10", "2024-06-30", 1),  # one-off lines are recognised in their start month
    ],
)
def test_service_months(interval, start, end, months):
    conn = _db([_line("I1", "300.00", interval=interval, start=start, end=end)], [])
    row = conn.execute("select service_start_month, service_months from marts.fct_invoice_lines").fetchone()
    assert row == (dt.date.fromisoformat(start).replace(day=1), months)


def test_credit_note_without_period_takes_the_corrected_invoice_period():
    lines = [_line("I1", "300.00", interval="quarter", start="2024-04-01", end="2024-06-30"),
             _line("CN1", "-30.00", interval="quarter", start=None, end=None, issued="2024-05-10",
                   doc="credit_note", corrects="I1")]
    conn = _db(lines, [])
    row = conn.execute("select period_start_date, period_end_date, service_months from marts.fct_invoice_lines "
                       "where invoice_id = 'CN1'").fetchone()
    assert row == (dt.date(2024, 4, 1), dt.date(2024, 6, 30), 3)


def test_a_full_credit_note_cancels_to_the_cent_across_currencies():
    # 100.00 EUR invoiced on 2024-01-01 (390 HUF/EUR) and fully credited on 2024-02-15 (400 HUF/EUR):
    # both convert at the invoice's rate: +39,000.00 and −39,000.00 HUF, so the month nets to 0
    lines = [_line("I1", "100.00"),
             _line("CN1", "-100.00", start=None, end=None, issued="2024-02-15", doc="credit_note", corrects="I1")]
    conn = _db(lines, [("2024-01-01", "HUF", "390"), ("2024-02-15", "HUF", "400")], currency="HUF")
    rows = conn.execute("select invoice_id, fx_date, amount_reporting from marts.fct_invoice_lines").fetchall()
    day = dt.date(2024, 1, 1)
    assert rows == [("CN1", day, Decimal("-39000.00")), ("I1", day, Decimal("39000.00"))]


def test_credit_note_on_an_undated_invoice_takes_that_invoice_period():
    # I1 (monthly, issued 2024-03-15, no service dates) pays for 2024-03-15..04-14, from March;
    # CN1 (no dates, issued 2024-04-20) corrects I1, so it takes 2024-03-15..04-14 too, not April
    lines = [_line("I1", "100.00", start=None, end=None, issued="2024-03-15"),
             _line("CN1", "-100.00", start=None, end=None, issued="2024-04-20", doc="credit_note", corrects="I1")]
    conn = _db(lines, [])
    rows = conn.execute("select invoice_id, service_start_month, period_end_date from marts.fct_invoice_lines")
    march, end = dt.date(2024, 3, 1), dt.date(2024, 4, 14)
    assert rows.fetchall() == [("CN1", march, end), ("I1", march, end)]


def test_fx_rounds_half_away_from_zero_exactly():
    # 51,206 HUF at 400 HUF/EUR is exactly 128.015 EUR → 128.02 (binary floating point gives 128.01);
    # the credit note −51,206 HUF → −128.02
    lines = [_line("I1", "51206.00", "HUF"),
             _line("CN1", "-51206.00", "HUF", start=None, end=None, doc="credit_note", corrects="I1")]
    conn = _db(lines, [("2024-01-01", "HUF", "400")])
    amounts = conn.execute("select amount_reporting from marts.fct_invoice_lines order by invoice_id").fetchall()
    assert amounts == [(Decimal("-128.02"),), (Decimal("128.02"),)]


@pytest.mark.parametrize(
    ("amount", "months", "expected"),
    [
        ("2.01", 2, ["1.01", "1.00"]),  # 201 cents = 2 × 100 + 1: the first month takes the extra cent
        ("-2.01", 2, ["-1.01", "-1.00"]),  # credit notes mirror invoices
        ("100.00", 3, ["33.34", "33.33", "33.33"]),  # 10,000 = 3 × 3,333 + 1
        ("0.18", 12, ["0.02"] * 6 + ["0.01"] * 6),  # 18 = 12 × 1 + 6: never a share of the other sign
        ("1200.00", 12, ["100.00"] * 12),
    ],
)
def test_spreading_keeps_every_cent(amount, months, expected):
    conn = duckdb.connect()
    conn.execute("create schema if not exists marts")
    conn.execute("create table marts.fct_invoice_lines as select 'C1' as customer_id, true as is_recurring, "
                 "true as has_fx_rate, ?::decimal(18,2) as amount_reporting, ?::integer as service_months, "
                 "date '2024-01-01' as service_start_month", [amount, months])
    build_from_file(conn, "marts", "fct_revenue_by_customer_month", {"reporting_currency": "EUR"})
    rows = conn.execute("select recurring_revenue from marts.fct_revenue_by_customer_month order by revenue_month")
    assert [str(r[0]) for r in rows.fetchall()] == expected


def test_the_largest_amounts_convert_without_overflow():
    # 100,000,000,000,000.00 EUR is 10^16 cents: the cents must be computed in a wider type
    conn = _db([_line("I1", "100000000000000.00")], [])
    assert conn.execute("select amount_reporting from marts.fct_invoice_lines").fetchone()[0] == Decimal(
        "100000000000000.00"
    )


@pytest.mark.parametrize(
    ("amount", "currency", "units", "reporting", "reporting_units", "expected"),
    [
        # 10,000,000.00 TRL at 1,912,400 per EUR: 10,000,000 / 1,912,400 = 5.2290... -> 5.23 EUR
        (Decimal("10000000.00"), "TRL", Decimal("1912400"), "EUR", None, Decimal("5.23")),
        # 1,000.00 HUF at 390 per EUR into PLN at 4.3: 1000 / 390 * 4.3 = 11.0256... -> 11.03 PLN
        (Decimal("1000.00"), "HUF", Decimal("390"), "PLN", Decimal("4.3"), Decimal("11.03")),
        # half a cent rounds away from zero: -0.05 EUR into a currency at 0.1 per EUR = -0.005 -> -0.01
        (Decimal("-0.05"), "EUR", None, "RON", Decimal("0.1"), Decimal("-0.01")),
    ],
)
def test_fx_convert_is_exact_and_takes_rates_of_a_million_or_more(amount, currency, units, reporting,
                                                                    reporting_units, expected):
    conn = duckdb.connect()
    conn.execute(FX_CONVERT_MACRO)
    got = conn.execute(
        "select fx_convert(?::decimal(18, 2), ?, ?::decimal(18, 6), ?, ?::decimal(18, 6))",
        [amount, currency, units, reporting, reporting_units],
    ).fetchone()[0]
    assert got == expected
