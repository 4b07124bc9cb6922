"""The metric SQL files on tiny hand-made revenue tables: one fixture per movement class."""

import datetime as dt

import duckdb
import pytest

from warehouse.db import build_from_file

PARAMS = {"reference_month": dt.date(2024, 6, 1), "reporting_currency": "EUR", "as_of_date": dt.date(2024, 6, 30)}


def _db(revenue: dict[str, dict[str, float]]) -> duckdb.DuckDBPyConnection:
    """A warehouse holding only marts.fct_revenue_by_customer_month: {customer: {'2024-01': mrr}}."""
    conn = duckdb.connect()
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.fct_revenue_by_customer_month (customer_id varchar, revenue_month date, "
        "recurring_revenue decimal(18,2), one_off_revenue decimal(18,2), reporting_currency varchar)"
    )
    for customer, months in revenue.items():
        for month, amount in months.items():
            conn.execute(
                "insert into marts.fct_revenue_by_customer_month values (?, ?, ?, 0, 'EUR')",
                [customer, dt.date.fromisoformat(month + "-01"), amount],
            )
    for table in ("mrr_by_customer_month", "mrr_by_month", "churn_by_month", "retention_by_cohort"):
        build_from_file(conn, "metrics", table, PARAMS)
    return conn


def _movements(conn: duckdb.DuckDBPyConnection, customer: str) -> list[tuple[str, float, str]]:
    return [
        (m.strftime("%Y-%m"), float(mrr), movement)
        for m, mrr, movement in conn.execute(
            "select revenue_month, mrr, movement from metrics.mrr_by_customer_month "
            "where customer_id = ? order by revenue_month",
            [customer],
        ).fetchall()
    ]


def test_new_is_the_first_active_month():
    conn = _db({"A": {"2024-05": 100, "2024-06": 100}})
    assert _movements(conn, "A") == [("2024-05", 100.0, "new"), ("2024-06", 100.0, "retained")]


def test_expansion_and_contraction():
    conn = _db({"A": {"2024-04": 100, "2024-05": 150, "2024-06": 120}})
    # 100 → 150 is +50 expansion; 150 → 120 is −30 contraction
    assert [m[2] for m in _movements(conn, "A")] == ["new", "expansion", "contraction"]
    changes = conn.execute(
        "select mrr_change from metrics.mrr_by_customer_month where customer_id = 'A' order by revenue_month"
    ).fetchall()
    assert [float(c[0]) for c in changes] == [100.0, 50.0, -30.0]


def test_churn_is_a_zero_row_in_the_month_after_the_last_active_month():
    conn = _db({"A": {"2024-03": 80, "2024-04": 80}})
    # active Mar, Apr; May is the churn row (−80); no row for June, the spine stops after churn
    assert _movements(conn, "A") == [("2024-03", 80.0, "new"), ("2024-04", 80.0, "retained"), ("2024-05", 0.0, "churn")]


def test_gap_month_is_churn_and_the_return_is_reactivation_not_expansion():
    # the Fivetran CASE-order defect would call 0 → 60 'expansion'; it must be 'reactivation'
    conn = _db({"A": {"2024-01": 50, "2024-02": 50, "2024-04": 60}})
    assert _movements(conn, "A") == [
        ("2024-01", 50.0, "new"),
        ("2024-02", 50.0, "retained"),
        ("2024-03", 0.0, "churn"),
        ("2024-04", 60.0, "reactivation"),
        ("2024-05", 0.0, "churn"),
    ]


def test_a_zero_month_inside_a_gap_has_no_row():
    # churn in March, nothing in April, back in May: March is the churn row, April has no row
    # (whether it exists would depend on May: month M must be computable as of M), May reactivates
    conn = _db({"A": {"2024-01": 50, "2024-02": 50, "2024-05": 70}})
    assert _movements(conn, "A") == [
        ("2024-01", 50.0, "new"),
        ("2024-02", 50.0, "retained"),
        ("2024-03", 0.0, "churn"),
        ("2024-05", 70.0, "reactivation"),
        ("2024-06", 0.0, "churn"),
    ]
    # the bridge still counts April: 0 customers, starting and ending MRR 0
    april = conn.execute("select starting_mrr, ending_mrr, ending_customers from metrics.mrr_by_month "
                         "where revenue_month = '2024-04-01'").fetchone()
    assert april == (0, 0, 0)


def test_months_after_the_reference_month_are_ignored():
    conn = _db({"A": {"2024-06": 100, "2024-07": 100, "2024-08": 100}})
    assert _movements(conn, "A") == [("2024-06", 100.0, "new")]


def test_bridge_reconciles_every_month():
    conn = _db({"A": {"2024-01": 50, "2024-02": 70, "2024-04": 60}, "B": {"2024-02": 30, "2024-03": 10}})
    rows = conn.execute(
        "select starting_mrr + new_mrr + expansion_mrr + contraction_mrr + churned_mrr + reactivation_mrr, "
        "ending_mrr from metrics.mrr_by_month"
    ).fetchall()
    assert len(rows) == 6  # Jan..Jun 2024
    assert all(bridged == ending for bridged, ending in rows)


def test_chartmogul_worked_example():
    # start MRR 100 = A 10 + B 30 + C 60; then A churns (−10), B contracts (−10), C expands (+10)
    conn = _db({"A": {"2024-05": 10}, "B": {"2024-05": 30, "2024-06": 20}, "C": {"2024-05": 60, "2024-06": 70}})
    row = conn.execute(
        "select starting_mrr, gross_mrr_churn_rate, net_mrr_churn_rate, logo_churn_rate, "
        "net_revenue_retention, gross_revenue_retention from metrics.churn_by_month where revenue_month = ?",
        [dt.date(2024, 6, 1)],
    ).fetchone()
    assert float(row[0]) == 100.0
    assert row[1] == pytest.approx(0.20)  # gross = (churn 10 + contraction 10) / 100
    assert row[2] == pytest.approx(0.10)  # net = (10 + 10 − expansion 10) / 100
    assert row[3] == pytest.approx(1 / 3)  # logo churn = 1 churned of 3 at start
    assert row[4] == pytest.approx(0.90)  # NRR = (100 + 10 − 10 − 10) / 100
    assert row[5] == pytest.approx(0.80)  # GRR = (100 − 10 − 10) / 100


def test_logo_churn_excludes_clients_who_joined_in_the_month():
    # start of June: A and B active; C joins in June; B churns → 1 / 2, not 1 / 3
    conn = _db({"A": {"2024-05": 10, "2024-06": 10}, "B": {"2024-05": 10}, "C": {"2024-06": 10}})
    rate, crr = conn.execute(
        "select logo_churn_rate, customer_retention_rate from metrics.churn_by_month where revenue_month = ?",
        [dt.date(2024, 6, 1)],
    ).fetchone()
    assert rate == pytest.approx(0.5)
    assert crr == pytest.approx(0.5)  # CRR = (E 2 − N 1) / S 2


def test_retention_by_cohort():
    # cohort 2024-04: A (100) and B (50); B churns in June; A expands to 120 in June
    conn = _db({"A": {"2024-04": 100, "2024-05": 100, "2024-06": 120}, "B": {"2024-04": 50, "2024-05": 50}})
    rows = conn.execute(
        "select months_since_start, active_customers, logo_retention, revenue_retention "
        "from metrics.retention_by_cohort where cohort_month = ? order by revenue_month",
        [dt.date(2024, 4, 1)],
    ).fetchall()
    assert rows[0][:3] == (0, 2, 1.0)
    assert rows[2][1:3] == (1, 0.5)  # June: 1 of 2 clients left
    assert rows[2][3] == pytest.approx(120 / 150)  # June MRR 120 over starting 150
