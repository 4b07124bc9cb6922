"""Client value SQL (classes, RFM, concentration, Lorenz, profit) on one small hand-made book.

The book, reference month June 2024, all in EUR (MRR by month; `*` = one-off invoice, no MRR):
  A  500 Jan-Jun, one-off 50 in June; cost 200 in June; born 1990, f (every client created June 2023
     but H)
  B  200 Mar-Jun; cost 250 in June; referred G through its second CRM record B2
  C  100 Jun; CRM segment 'Strategic'
  D  100 Jun (industry unknown)
  E  100 Jun
  G   50 May (then churned); referred by B2
  F  one-off 80 in Jan; cost 30 in June
  I  one-off 70 in Feb; an interaction in May
  H  created Feb, never invoiced; an interaction in March
Rules in this test: passive window 3 months, strategic = top 20% by MRR, 6 months of tenure or
the segment label 'strategic'.
"""

import datetime as dt

import duckdb
import pytest

from warehouse.db import build_from_file

JUNE = dt.date(2024, 6, 1)
PARAMS = {
    "reference_month": JUNE, "as_of_date": dt.date(2024, 6, 30), "reporting_currency": "EUR",
    "concentration_threshold": 0.20, "pareto_client_share": 0.20, "passive_window_months": 3,
    "strategic_top_share": 0.20, "strategic_min_tenure_months": 6, "strategic_segment_label": "strategic",
}
MRR = {
    "A": {m: 500 for m in range(1, 7)}, "B": {m: 200 for m in range(3, 7)},
    "C": {6: 100}, "D": {6: 100}, "E": {6: 100}, "G": {5: 50},
}
ONE_OFF = {("A", 6): 50, ("F", 1): 80, ("I", 2): 70}
COSTS = {("A", 6): 200, ("B", 6): 250, ("F", 6): 30}
# customer_id, industry, segment, created, referred_by, birth_year, gender
CUSTOMERS = [
    ("A", "it", "SME", "2023-06-01", None, 1990, "f"),
    ("B", "it", "SME", "2023-06-01", None, None, None),
    ("C", "retail", "Strategic", "2023-06-01", None, None, None),
    ("D", None, "SME", "2023-06-01", None, None, None),
    ("E", "retail", "SME", "2023-06-01", None, None, None),
    ("G", "retail", "SME", "2023-06-01", "B2", None, None),
    ("F", "retail", "SME", "2023-06-01", None, None, None),
    ("I", "retail", "SME", "2023-06-01", None, None, None),
    ("H", "retail", "SME", "2024-02-10", None, None, None),
]
INTERACTIONS = [("I", dt.date(2024, 5, 1)), ("H", dt.date(2024, 3, 1))]


def _month(m: int) -> dt.date:
    return dt.date(2024, m, 1)


@pytest.fixture(scope="module")
def book() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema marts; create schema metrics")
    conn.execute(
        "create table marts.fct_revenue_by_customer_month (customer_id varchar, revenue_month date, "
        "recurring_revenue decimal(18,2), one_off_revenue decimal(18,2), reporting_currency varchar)"
    )
    conn.execute(
        "create table marts.fct_invoice_lines (customer_id varchar, issue_date date, document_type varchar, "
        "amount_reporting decimal(18,2), has_fx_rate boolean)"
    )
    conn.execute("create table marts.fct_costs (customer_id varchar, cost_month date, cost_reporting decimal(18,2), "
                 "has_fx_rate boolean)")
    conn.execute("create table marts.fct_interactions (customer_id varchar, interaction_month date)")
    conn.execute("create table marts.client_crosswalk (source_customer_id varchar, client_key varchar)")
    conn.execute(
        "create table marts.dim_customers (customer_id varchar, industry varchar, segment varchar, "
        "created_date date, referred_by_customer_id varchar, birth_year integer, gender varchar, "
        "country varchar, size_band varchar)"
    )
    months = {(c, m) for c, ms in MRR.items() for m in ms} | set(ONE_OFF)
    for c, m in sorted(months):
        recurring, one_off = MRR.get(c, {}).get(m, 0), ONE_OFF.get((c, m), 0)
        conn.execute("insert into marts.fct_revenue_by_customer_month values (?, ?, ?, ?, 'EUR')",
                     [c, _month(m), recurring, one_off])
        conn.execute("insert into marts.fct_invoice_lines values (?, ?, 'invoice', ?, true)",
                     [c, _month(m), recurring + one_off])
    for (c, m), amount in COSTS.items():
        conn.execute("insert into marts.fct_costs values (?, ?, ?, true)", [c, _month(m), amount])
    conn.executemany("insert into marts.fct_interactions values (?, ?)", INTERACTIONS)
    conn.executemany("insert into marts.client_crosswalk values (?, ?)",
                     [(c[0], c[0]) for c in CUSTOMERS] + [("B2", "B")])
    conn.executemany("insert into marts.dim_customers values (?, ?, ?, ?, ?, ?, ?, 'HU', 'small')", CUSTOMERS)
    for table in ("mrr_by_customer_month", "profit_by_customer_month", "concentration_by_month",
                  "lorenz_by_month", "concentration_by_segment_month", "client_class_by_month"):
        build_from_file(conn, "metrics", table, PARAMS)
    return conn


def _row(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> dict[str, object]:
    rel = conn.execute(sql, params)
    names = [d[0] for d in rel.description]
    return dict(zip(names, rel.fetchone(), strict=True))


def test_concentration_of_june(book):
    row = _row(book, "select * from metrics.concentration_by_month where revenue_month = ?", [JUNE])
    # active in June: A 500, B 200, C 100, D 100, E 100 → total 1,000; shares .5 .2 .1 .1 .1
    assert row["active_clients"] == 5 and float(row["total_mrr"]) == 1000.0
    assert row["largest_client_share"] == 0.5 and row["is_largest_over_threshold"]  # 0.5 > 0.20
    assert row["cr5"] == 1.0 and row["cr10"] == 1.0  # five clients hold everything
    # Pareto: the top ceil(20% × 5) = 1 client holds 500 / 1,000
    assert row["pareto_revenue_share"] == 0.5
    # HHI = .25 + .04 + .01 + .01 + .01 = 0.32; effective clients = 1 / 0.32 = 3.125
    assert row["hhi"] == 0.32 and row["effective_clients"] == 3.125
    # Gini, ascending 100,100,100,200,500: Σ i·x = 100+200+300+800+2,500 = 3,900;
    # 2 × 3,900 / (5 × 1,000) − 6/5 = 1.56 − 1.2 = 0.36 (mean |xi − xj| over 2·mean: 3,600 / 10,000)
    assert row["gini"] == pytest.approx(0.36, abs=1e-6)


def test_one_client_is_fully_concentrated_with_gini_zero(book):
    row = _row(book, "select * from metrics.concentration_by_month where revenue_month = ?", [_month(1)])
    # January: A alone → share 1, HHI 1, one effective client, Gini 2·500/(1·500) − 2 = 0
    assert (row["active_clients"], row["largest_client_share"], row["hhi"], row["gini"]) == (1, 1.0, 1.0, 0.0)


def test_lorenz_points_of_june(book):
    points = book.execute(
        "select clients_counted, client_share, revenue_share from metrics.lorenz_by_month "
        "where revenue_month = ? order by clients_counted", [JUNE]
    ).fetchall()
    # n = 5 ≤ 100: every client is a point; cumulative 100, 200, 300, 500, 1,000 of 1,000
    assert points == [(0, 0.0, 0.0), (1, 0.2, 0.1), (2, 0.4, 0.2), (3, 0.6, 0.3), (4, 0.8, 0.5), (5, 1.0, 1.0)]


def test_concentration_by_industry_counts_unknown_as_a_group(book):
    rows = book.execute(
        "select dimension, segment_groups, hhi, effective_groups, largest_group, largest_group_share "
        "from metrics.concentration_by_segment_month where revenue_month = ? order by dimension", [JUNE]
    ).fetchall()
    # industry: it = A+B = 700, retail = C+E = 200, unknown = D 100 → .7² + .2² + .1² = 0.54; 1/0.54 = 1.8519
    assert rows == [
        ("country", 1, 1.0, 1.0, "HU", 1.0),
        ("industry", 3, 0.54, 1.8519, "it", 0.7),
        ("size_band", 1, 1.0, 1.0, "small", 1.0),
    ]


def test_profit_margin_and_loss_makers(book):
    rows = book.execute(
        "select customer_id, revenue::double, cost::double, margin::double, margin_rate, has_cost, "
        "is_cost_over_revenue from metrics.profit_by_customer_month where revenue_month = ? order by 1", [JUNE]
    ).fetchall()
    assert rows == [
        ("A", 550.0, 200.0, 350.0, 0.636364, True, False),  # 500 + 50 one-off − 200; 350/550 = 0.636364
        ("B", 200.0, 250.0, -50.0, -0.25, True, True),  # cost 250 > revenue 200: flagged; −50/200
        ("C", 100.0, 0.0, 100.0, 1.0, False, False),  # no cost row: margin is the revenue, has_cost false
        ("D", 100.0, 0.0, 100.0, 1.0, False, False),
        ("E", 100.0, 0.0, 100.0, 1.0, False, False),
        ("F", 0.0, 30.0, -30.0, None, True, True),  # a cost without revenue: margin −30, no rate
    ]


def _classes(book: duckdb.DuckDBPyConnection, month: dt.date) -> dict[str, str]:
    return dict(book.execute(
        "select customer_id, client_class from metrics.client_class_by_month where class_month = ?", [month]
    ).fetchall())


def test_client_classes_in_june(book):
    assert _classes(book, JUNE) == {
        "A": "strategic",  # active, the top ceil(20% × 5) = 1 by MRR, and 13 months of tenure (≥ 6)
        "B": "reference",  # active; referred G (through B2) who became active in May
        "C": "strategic",  # active, CRM segment 'Strategic' (case-insensitive)
        "D": "active",
        "E": "active",
        "G": "passive",  # no MRR in June, invoiced in May: 1 month < the 3-month window
        "F": "former",  # last invoice January: 5 months ago, no interaction
        "I": "passive",  # last invoice February (4 months), but an interaction in May (1 month)
        "H": "potential",  # never invoiced (its March interaction does not make it passive)
    }


def test_client_classes_in_april(book):
    april = _classes(book, _month(4))
    # active in April: A 500 and B 200; the top ceil(20% × 2) = 1 by MRR is A → strategic (so is its
    # tenure, 11 months from June 2023); B (2 months, second by MRR) is not.
    # B is active but not yet a reference: G first became active in May.
    # G is first invoiced in May, so in April it is in the CRM and never invoiced: potential.
    assert (april["A"], april["B"], april["G"]) == ("strategic", "active", "potential")


def test_rfm_scores_in_june(book):
    rows = dict(
        (r[0], r[1:]) for r in book.execute(
            "select customer_id, rfm_recency, rfm_frequency, rfm_monetary, rfm_segment "
            "from metrics.client_class_by_month where class_month = ?", [JUNE]
        ).fetchall()
    )
    # 8 clients invoiced in the last 12 months. Recency (months since the last invoice) F 5, I 4, G 1,
    # five at 0; ordered oldest first, cume_dist F 1/8, I 2/8, G 3/8, the rest 8/8 → ceil(5·cd): 1, 2, 2, 5.
    # Frequency (invoiced months): six clients at 1 → cd 6/8 → 4; B 4 → 7/8 → 5; A 6 → 5.
    # Monetary: G 50 (1/8 → 1), I 70 (2/8 → 2), F 80 (3/8 → 2), C D E 100 (6/8 → 4), B 800 and A 3,050 → 5.
    assert rows["A"] == (5, 5, 5, "champions")
    assert rows["C"] == (5, 4, 4, "champions")
    assert rows["G"] == (2, 4, 1, "at_risk")  # R ≤ 2 and F ≥ 3
    assert rows["F"] == (1, 4, 2, "at_risk")
    assert rows["H"] == (None, None, None, "no_purchase_12m")


def test_segment_columns(book):
    row = _row(book, "select tenure_months, tenure_band, age_band, gender from metrics.client_class_by_month "
                     "where customer_id = 'A' and class_month = ?", [JUNE])
    # A pays from January, the first month of data, and was created in June 2023: its tenure counts from
    # its creation month, June 2023 to June 2024 inclusive = 13 months (1-3y); born 1990 → 34 in 2024 → 30-44
    assert row == {"tenure_months": 13, "tenure_band": "1-3y", "age_band": "30-44", "gender": "f"}


def test_tenure_of_a_client_starting_after_the_data_begin_counts_from_its_first_active_month(book):
    # B was created in June 2023 too, but first paid in March: March to June inclusive = 4 months
    assert book.execute("select tenure_months from metrics.client_class_by_month "
                        "where customer_id = 'B' and class_month = ?", [JUNE]).fetchall() == [(4,)]


def test_every_client_has_one_row_per_month_from_the_first_month_of_data(book):
    # data starts in January (first invoice month); H was created in February → 5 rows; the others 6
    counts = dict(book.execute(
        "select customer_id, count(*) from metrics.client_class_by_month group by 1").fetchall())
    assert counts == {"A": 6, "B": 6, "C": 6, "D": 6, "E": 6, "F": 6, "G": 6, "I": 6, "H": 5}
