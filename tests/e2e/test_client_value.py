"""Client value tables end to end on tests/fixtures/tiny (June 2024, see test_tiny_extracts.py).

June MRR: C1 150, C2 80, C3 60, C6 100 = 390 (C4 churned after May; C5 a prospect never billed).
Costs: C1 60 and C2 90 in June. Referrals: C1 → C3 (active since January), C3 → C6 (since May).
"""

import datetime as dt

import pytest

from tests.e2e.conftest import query, run_pipeline
from warehouse.publish import work_path_for

JUNE = dt.date(2024, 6, 1)
TABLES = (
    "marts.fct_costs", "metrics.profit_by_customer_month", "metrics.concentration_by_month", "metrics.lorenz_by_month",
    "metrics.concentration_by_segment_month", "metrics.client_class_by_month",
    "metrics.churn_features_by_customer_month",
    "metrics.clv_by_customer", "metrics.clv_model_fit", "metrics.churn_risk_by_customer",
    "valuation.book_valuation_by_month", "valuation.book_valuation_sensitivity", "valuation.book_valuation_by_segment",
)


@pytest.mark.parametrize("table", TABLES)
def test_every_client_value_table_is_built(tiny_run, table):
    _, wh = tiny_run
    assert query(wh, f"select count(*) > 0 from {table}") == [(True,)]


def test_concentration_in_june(tiny_run):
    _, wh = tiny_run
    row = query(wh, "select active_clients, largest_client_share, is_largest_over_threshold, cr5, "
                    "pareto_revenue_share, hhi, effective_clients, gini "
                    "from metrics.concentration_by_month where revenue_month = ?", [JUNE])[0]
    # shares 150/390 = 0.384615 (over 20%), 80/390, 60/390, 100/390; CR5 = 1; Pareto top ceil(0.2 × 4) = 1 client;
    # HHI = (150² + 80² + 60² + 100²) / 390² = 42,500 / 152,100 = 0.279421 → 1 / HHI = 3.5788;
    # Gini: ascending 60, 80, 100, 150: Σ i·x = 60 + 160 + 300 + 600 = 1,120 → 2,240 / 1,560 − 5/4 = 0.185897
    assert row == (4, 0.384615, True, 1.0, 0.384615, 0.279421, 3.5788, 0.185897)


def test_profit_in_june(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    rows = query(wh, "select customer_id, revenue::double, cost::double, margin::double, margin_rate, "
                     "is_cost_over_revenue from metrics.profit_by_customer_month where revenue_month = ? "
                     "and has_cost order by 1", [JUNE])
    # C1: 150 − 60 = 90, 90/150 = 0.6; C2: 80 − 90 = −10, −10/80 = −0.125, cost over revenue
    assert rows == [("C1", 150.0, 60.0, 90.0, 0.6, False), ("C2", 80.0, 90.0, -10.0, -0.125, True)]


def test_client_classes_in_june(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    classes = dict(query(wh, "select customer_id, client_class from metrics.client_class_by_month "
                             "where class_month = ?", [JUNE]))
    assert classes == {
        "C1": "strategic",  # the top ceil(10% × 4) = 1 active client by MRR (also a reference)
        "C2": "active",
        "C3": "reference",  # referred C6, active since May
        "C4": "passive",  # no MRR in June, invoiced in May: within the 12-month window
        "C5": "potential",  # never invoiced
        "C6": "active",
    }


def test_the_book_value_adds_up(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    book = query(wh, "select book_value_before_adjustment::double, concentration_adjustment::double, "
                     "book_value::double, clients from valuation.book_valuation_by_month where valuation_month = ?",
                 [JUNE])[0]
    clients = [float(v) for (v,) in query(
        wh, "select clv_contractual from metrics.clv_by_customer where clv_contractual is not null")]
    # the book is the sum of the clients' contractual values (each rounded to the cent)
    assert len(clients) == book[3] == 4
    assert book[0] == pytest.approx(sum(clients), abs=0.01 * len(clients))
    # the adjustment: −0.5 × the value each client holds above 20% of the book
    excess = sum(max(0.0, v - 0.2 * sum(clients)) for v in clients)
    assert book[1] == pytest.approx(-0.5 * excess, abs=0.05)
    assert book[2] == pytest.approx(book[0] + book[1], abs=0.01)
    base = query(wh, "select book_value::double from valuation.book_valuation_sensitivity where is_base_case")
    assert base == [(book[0],)]
    for dimension, total in query(wh, "select dimension, sum(book_value)::double from "
                                      "valuation.book_valuation_by_segment where valuation_month = ? group by 1",
                                  [JUNE]):
        assert total == pytest.approx(book[0], abs=0.05), dimension


def test_a_book_without_heterogeneity_is_valued_with_a_constant_churn_rate(tiny_run):
    _, wh = tiny_run
    # Spells (months paid; C1-C3 created in December 2023, already paying in January, the first month of
    # data: one month paid before): C1 6 running, C2 6 running, C3 2 churned then 3 running, C4 4 churned,
    # C6 2 running. Nothing supports heterogeneity, so the constant-churn (geometric) model is used: renewal
    # decisions seen = 23 paid months − 4 running spells (their next renewal is still to come) = 19,
    # churns 2 → p = 2/19.
    row = query(wh, "select retention_model, sbg_gamma / (sbg_gamma + sbg_delta), expected_retention_12m "
                    "from valuation.book_valuation_by_month where valuation_month = ?", [JUNE])[0]
    assert row[0] == "geometric"
    assert row[1] == pytest.approx(2 / 19, abs=1e-9)
    # a constant churn keeps (1 − 2/19)^12 = (17/19)^12 = 0.263233 of every client for 12 months
    assert row[2] == pytest.approx((17 / 19) ** 12, abs=1e-5)


def test_a_young_book_gets_no_churn_probabilities_and_says_why(tiny_run):
    result, wh = tiny_run
    # six months and two churners cannot train a classifier: the risk stays null, never guessed
    assert query(wh, "select count(*), count(churn_probability) from metrics.churn_risk_by_customer") == [(4, 0)]
    # the P(alive) baseline is still backtested where a BG/NBD fits: not at the end of January (nobody has
    # bought twice yet); February: C1-C4 labelled, C3 churns; March: C1, C2, C4, C4 churns (see the labels test)
    assert query(wh, "select strftime(backtest_month, '%Y-%m'), model, clients, churners "
                     "from metrics.churn_backtest order by 1") == [
        ("2024-02", "bgnbd_p_alive", 4, 1), ("2024-03", "bgnbd_p_alive", 3, 1)]
    materialisations = result.get_asset_materialization_events()
    reasons = [
        e.materialization.metadata["not_trained_because"].value for e in materialisations
        if e.asset_key.path == ["metrics", "churn_risk_by_customer"]
    ]
    assert reasons and "at least 10 of each are needed" in reasons[0]


def test_churn_labels_are_known_only_when_the_horizon_is_observed(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    rows = query(wh, "select customer_id, strftime(feature_month, '%Y-%m'), churned_next_3m "
                     "from metrics.churn_features_by_customer_month where churned_next_3m is not null order by 2, 1")
    # labels need feature_month + 3 ≤ June: January to March only. C3 churns in March (after Jan, Feb);
    # C4 churns in June: inside Mar's window (Apr-Jun), outside Feb's (Mar-May). C1, C2 never churn.
    assert rows == [
        ("C1", "2024-01", False), ("C2", "2024-01", False), ("C3", "2024-01", True),
        ("C1", "2024-02", False), ("C2", "2024-02", False), ("C3", "2024-02", True), ("C4", "2024-02", False),
        ("C1", "2024-03", False), ("C2", "2024-03", False), ("C4", "2024-03", True),
    ]
    # every active client-month is in the panel: C1 6 + C2 6 + C3 5 (not March) + C4 4 + C6 2 = 23
    assert query(wh, "select count(*), count(*) filter (where churned_next_3m is null) "
                     "from metrics.churn_features_by_customer_month") == [(23, 13)]


def test_a_client_whose_value_cannot_be_computed_gets_nulls_not_a_failed_night(dirty_landing, tmp_path):
    # C9 paid in April and May and left: in June it has neither revenue nor margin, so its margin
    # rate is 0/0. That NaN once failed the CLV table (NaN cannot become a DECIMAL); now it is null.
    with (dirty_landing / "crm" / "customers_2024-06-30.csv").open("a", encoding="utf-8") as f:
        f.write("C9,Nine Kft.,,HU,Pécs,retail,small,3,SME,2024-01-15,,AO-01,,\n")
    (dirty_landing / "billing" / "invoice_lines_2024-06-29.csv").write_text(
        "invoice_id,line_number,customer_id,issue_date,service_start_date,service_end_date,product,quantity,"
        "unit_price,discount,net_amount,currency,billing_interval,document_type,corrected_invoice_id\n"
        "INV-90,1,C9,2024-04-01,2024-04-01,2024-04-30,RETAINER,1,80,0,80.00,EUR,month,invoice,\n"
        "INV-91,1,C9,2024-05-01,2024-05-01,2024-05-31,RETAINER,1,80,0,80.00,EUR,month,invoice,\n",
        encoding="utf-8")
    published = tmp_path / "w.duckdb"
    assert run_pipeline(dirty_landing, published, tmp_path).success
    # two purchase months: one repeat purchase; the client is valued, with whatever is computable
    assert query(work_path_for(published), "select frequency from metrics.clv_by_customer "
                                           "where customer_id = 'C9'") == [(1,)]
