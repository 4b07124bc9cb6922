"""The model inputs (purchases, spells, margins) and the cost conversion, on tiny hand-made tables."""

import datetime as dt

import duckdb
import polars as pl
import pytest

from assets.valuation.month_value import client_margins, value_month
from warehouse import value_inputs
from warehouse.db import build_from_file

D = dt.date
MONTH_DAYS = 365.25 / 12  # 30.4375


def _purchases_db() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema marts")
    conn.execute("create table marts.fct_invoice_lines (customer_id varchar, issue_date date, document_type varchar, "
                 "amount_reporting decimal(18,2), has_fx_rate boolean)")
    conn.executemany("insert into marts.fct_invoice_lines values (?, ?, ?, ?, true)", [
        ("A", D(2024, 1, 1), "invoice", 100), ("A", D(2024, 2, 1), "invoice", 100), ("A", D(2024, 2, 1), "invoice", 20),
        ("A", D(2024, 3, 1), "credit_note", -50), ("A", D(2024, 4, 15), "invoice", 200),
        ("A", D(2024, 7, 1), "invoice", 200),
        ("B", D(2024, 6, 30), "invoice", 50),
        ("C", D(2024, 7, 5), "invoice", 70),
    ])
    return conn


def test_purchases_are_days_with_positive_invoiced_spend_cut_at_the_date():
    rows = value_inputs.purchases(_purchases_db(), D(2024, 6, 30), D(2024, 12, 31)).rows(named=True)
    a, b = rows  # C first bought after the cut-off: not a customer yet
    # A: purchase days Jan 1, Feb 1 (100 + 20 on one day), Apr 15; the credit note is no purchase → x = 2;
    # t_x = Apr 15 − Jan 1 = 105 days; T = Jun 30 − Jan 1 + 1 = 182 days (to the end of the cut-off day);
    # mean repeat spend (120 + 200) / 2 = 160; one purchase (Jul 1) in the holdout
    assert a["customer_id"] == "A" and a["frequency"] == 2 and a["holdout_purchases"] == 1
    assert a["recency"] == pytest.approx(105 / MONTH_DAYS) and a["age"] == pytest.approx(182 / MONTH_DAYS)
    assert a["mean_spend"] == pytest.approx(160.0)
    # B bought once, on the cut-off day: x = 0, t_x = 0, T = one day, no repeat spend
    assert (b["frequency"], b["recency"], b["mean_spend"], b["holdout_purchases"]) == (0, 0.0, None, 0)
    assert b["age"] == pytest.approx(1 / MONTH_DAYS)


def _history_db() -> duckdb.DuckDBPyConnection:
    """X created Oct 2023, pays Jan-Mar 2024, churns in April, is back in June; Y created Jan 2024, pays
    Feb-Jun; Z created May 2023, pays Jan-Jun. Data begin in January 2024."""
    conn = duckdb.connect()
    conn.execute("create schema marts; create schema metrics")
    conn.execute("create table marts.dim_customers (customer_id varchar, created_date date)")
    conn.executemany("insert into marts.dim_customers values (?, ?)",
                     [("X", D(2023, 10, 15)), ("Y", D(2024, 1, 1)), ("Z", D(2023, 5, 2))])
    conn.execute("create table metrics.mrr_by_customer_month (customer_id varchar, revenue_month date, "
                 "is_active boolean, movement varchar, mrr decimal(18,2))")
    months = {
        "X": ["new", "retained", "retained", "churn", None, "reactivation"],
        "Y": [None, "new", "retained", "retained", "retained", "retained"],
        "Z": ["new", "retained", "retained", "retained", "retained", "retained"],
    }
    for client, moves in months.items():
        for m, move in enumerate(moves, start=1):
            if move:
                conn.execute("insert into metrics.mrr_by_customer_month values (?, ?, ?, ?, ?)",
                             [client, D(2024, m, 1), move != "churn", move, 0 if move == "churn" else 100])
    conn.execute("create table metrics.profit_by_customer_month (customer_id varchar, revenue_month date, "
                 "revenue decimal(18,2), margin decimal(18,2), has_cost boolean)")
    conn.executemany("insert into metrics.profit_by_customer_month values (?, ?, ?, ?, ?)", [
        ("Z", D(2024, 1, 1), 100, 40, True), ("Z", D(2024, 6, 1), 100, 60, True), ("X", D(2024, 6, 1), 100, 100, False),
    ])
    return conn


def test_spells_count_the_months_paid_before_the_data_began():
    history = value_inputs.history(_history_db(), D(2024, 6, 1))
    spells = value_inputs.spells(history, D(2024, 6, 1)).rows()
    assert spells == [
        # X: paying in January (the first month of data), created in October → 3 months paid before;
        # 3 months paid, churned in April; a second spell from June, running, nothing paid before
        ("X", 1, 3, True, False, 3), ("X", 2, 1, False, True, 0),
        ("Y", 1, 5, False, True, 0),  # started in February, after the data began: not truncated
        ("Z", 1, 6, False, True, 8),  # created in May 2023: 8 months before January
    ]
    # as of March, X's first spell is still running and nobody has churned
    assert value_inputs.spells(history, D(2024, 3, 1))["churned"].to_list() == [False, False, False]


def test_margins_are_the_clients_own_or_the_books():
    margins, book_rate, _ = client_margins(value_inputs.history(_history_db(), D(2024, 6, 1)), D(2024, 6, 1))
    # Z's 12 months with a cost row: margin 40 + 60 over revenue 100 + 100 → 0.5; X and Y have no cost
    # data and take the book's rate, which is Z's
    assert book_rate == 0.5
    assert margins.sort("customer_id").select("customer_id", "margin_rate", "margin_basis", "monthly_margin").rows() \
        == [("X", 0.5, "book", 50.0), ("Y", 0.5, "book", 50.0), ("Z", 0.5, "client", 50.0)]


def test_renewals_include_the_months_paid_before_the_data():
    value = value_month(value_inputs.history(_history_db(), D(2024, 6, 1)), D(2024, 6, 1), 0.1, 0.0, 12)
    renewals = dict(value.clients.select("customer_id", "renewals").rows())
    # X: 1 month of its second spell → 0 renewals; Y: 5 months → 4; Z: 8 + 6 months → 13
    assert renewals == {"X": 0, "Y": 4, "Z": 13}


def test_a_month_is_valued_only_from_its_own_data():
    history = value_inputs.history(_history_db(), D(2024, 6, 1))
    later = value_month(history, D(2024, 5, 1), 0.1, 0.0, 12)
    conn = _history_db()
    conn.execute("delete from metrics.mrr_by_customer_month where revenue_month > '2024-05-01'")
    conn.execute("delete from metrics.profit_by_customer_month where revenue_month > '2024-05-01'")
    alone = value_month(value_inputs.history(conn, D(2024, 5, 1)), D(2024, 5, 1), 0.1, 0.0, 12)
    # the same month valued from a history that goes on to June and from one that stops in May
    assert later.total == pytest.approx(alone.total)
    assert later.clients.sort("customer_id").equals(alone.clients.sort("customer_id"))


@pytest.mark.parametrize(
    ("currency", "amount", "reporting", "expected"),
    [
        ("HUF", 51206, "EUR", 128.02),  # 51,206 / 400 = 128.015 → half away from zero: 128.02
        ("EUR", 10, "HUF", 4000.00),  # 10 EUR × 400 HUF/EUR
        ("HUF", 4000, "HUF", 4000.00),  # HUF to HUF through the EUR base: 4,000 × 400 / 400
    ],
)
def test_costs_are_converted_like_invoice_lines(currency, amount, reporting, expected):
    conn = duckdb.connect()
    conn.execute("create schema staging; create schema marts")
    conn.execute("create table staging.stg_billing__costs as select 'A' as customer_id, date '2024-03-01' as "
                 "cost_month, ?::decimal(18,2) as amount, ? as currency", [amount, currency])
    conn.execute("create table staging.stg_fx__rates as select date '2024-02-29' as rate_date, 'HUF' as currency, "
                 "400.0::decimal(18,6) as units_per_eur")
    conn.execute("create table marts.client_crosswalk (source_customer_id varchar, client_key varchar)")
    build_from_file(conn, "marts", "fct_costs",
                    {"as_of_date": D(2024, 6, 30), "reporting_currency": reporting, "fx_max_age_days": 7})
    assert conn.execute("select has_fx_rate, cost_reporting::double from marts.fct_costs").fetchall() == [
        (True, expected)]


def test_a_cost_without_a_recent_reporting_rate_is_not_converted():
    conn = duckdb.connect()
    conn.execute("create schema staging; create schema marts")
    conn.execute("create table staging.stg_billing__costs as select 'A' as customer_id, date '2024-03-01' as "
                 "cost_month, 10.00::decimal(18,2) as amount, 'EUR' as currency")
    # the only HUF rate is 8 days before the cost month: too old for 7 days
    conn.execute("create table staging.stg_fx__rates as select date '2024-02-22' as rate_date, 'HUF' as currency, "
                 "400.0::decimal(18,6) as units_per_eur")
    conn.execute("create table marts.client_crosswalk (source_customer_id varchar, client_key varchar)")
    build_from_file(conn, "marts", "fct_costs",
                    {"as_of_date": D(2024, 6, 30), "reporting_currency": "HUF", "fx_max_age_days": 7})
    assert conn.execute("select has_fx_rate, cost_reporting from marts.fct_costs").fetchall() == [(False, None)]


def test_value_inputs_frames_have_the_columns_the_models_read():
    history = value_inputs.history(_history_db(), D(2024, 6, 1))
    assert isinstance(history, pl.DataFrame)
    assert {"customer_id", "revenue_month", "is_active", "movement", "mrr", "spell", "margin_12", "revenue_12",
            "paid_before"} <= set(history.columns)
