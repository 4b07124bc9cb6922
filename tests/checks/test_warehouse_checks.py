"""Each SQL rule on a clean table (passes) and a dirty one (fails), called directly."""

import duckdb
import pytest

from checks.warehouse_checks import RULES, evaluate


def _rule(asset: tuple[str, str], name: str):
    return next(r for r in RULES if r.asset == asset and r.name == name)


def _db(*statements: str) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for schema in ("staging", "marts", "metrics"):
        conn.execute(f"create schema {schema}")
    for sql in statements:
        conn.execute(sql)
    return conn


RECONCILIATION = "create table staging.file_reconciliation as select * from (values {}) " \
                 "t(entity, file_name, rows_read, rows_loaded, rows_deduplicated, rows_quarantined)"
RAW = "create schema raw; create table raw.crm__customers as select * from range({})"
CUSTOMERS = "create table staging.stg_crm__customers as select * from (values {}) " \
            "t(customer_id, referred_by_customer_id)"
LINES = "create table marts.fct_invoice_lines as select * from (values {}) " \
        "t(currency, issue_date, has_fx_rate, is_recurring, amount_reporting)"
COSTS = "create table marts.fct_costs as select * from (values {}) t(currency, cost_month, has_fx_rate)"
REVENUE = "create table marts.fct_revenue_by_customer_month as select * from (values {}) " \
          "t(recurring_revenue, one_off_revenue)"
BRIDGE = "create table metrics.mrr_by_month as select * from (values {}) t(revenue_month, starting_mrr, new_mrr, " \
         "expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr, ending_mrr)"
NPS = "create table metrics.nps_by_month as select * from (values {}) " \
      "t(response_month, nps, responses, promoters, passives, detractors)"

CASES = {
    # (asset, rule name): (clean tables, dirty tables)
    (("staging", "stg_crm__customers"), "rows_reconcile"): (
        # a.csv 10 = 7 + 2 + 1, b.csv 3 = 3 + 0 + 0, and the raw table holds 13 rows
        [RAW.format(13), RECONCILIATION.format("('crm__customers', 'a.csv', 10, 7, 2, 1), "
                                               "('crm__customers', 'b.csv', 3, 3, 0, 0)")],
        # one row of a.csv lost: 10 ≠ 9
        [RAW.format(13), RECONCILIATION.format("('crm__customers', 'a.csv', 10, 7, 1, 1), "
                                               "('crm__customers', 'b.csv', 3, 3, 0, 0)")],
    ),
    (("staging", "stg_crm__customers"), "rows_reconcile", "a file missing"): (
        [RAW.format(10), RECONCILIATION.format("('crm__customers', 'a.csv', 10, 7, 2, 1)")],
        # 14 raw rows but the counted files hold 10: a file fell out of the count
        [RAW.format(14), RECONCILIATION.format("('crm__customers', 'a.csv', 10, 7, 2, 1)")],
    ),
    (("staging", "stg_crm__customers"), "referrer_known"): (
        [CUSTOMERS.format("('C1', null), ('C2', 'C1')")],
        [CUSTOMERS.format("('C1', null), ('C2', 'C9')")],
    ),
    (("marts", "fct_invoice_lines"), "fx_rate_found"): (
        [LINES.format("('HUF', date '2024-01-01', true, true, 1.00)")],
        [LINES.format("('HUF', date '2024-01-01', false, true, null)")],
    ),
    (("marts", "fct_costs"), "cost_fx_rate_found"): (
        [COSTS.format("('PLN', date '2024-01-01', true)")],
        [COSTS.format("('PLN', date '2024-01-01', true), ('PLN', date '2024-02-01', false)")],
    ),
    (("marts", "fct_revenue_by_customer_month"), "revenue_reconciles_to_invoices"): (
        [LINES.format("('EUR', date '2024-01-01', true, true, 10.00), ('EUR', date '2024-01-01', true, false, 5.00)"),
         REVENUE.format("(3.33, 0.00), (6.67, 5.00)")],  # 10.00 spread as 3.33 + 6.67, one-off 5.00
        [LINES.format("('EUR', date '2024-01-01', true, true, 10.00)"),
         REVENUE.format("(3.33, 0.00), (6.66, 0.00)")],  # a cent lost in the spread
    ),
    (("metrics", "mrr_by_month"), "bridge_reconciles"): (
        [BRIDGE.format("(date '2024-01-01', 100, 10, 5, -3, -2, 1, 111)")],  # 100 + 10 + 5 − 3 − 2 + 1 = 111
        [BRIDGE.format("(date '2024-01-01', 100, 10, 5, -3, -2, 1, 112)")],
    ),
    (("metrics", "nps_by_month"), "nps_in_range"): (
        [NPS.format("(date '2024-01-01', 20.0, 10, 4, 4, 2)")],
        [NPS.format("(date '2024-01-01', 120.0, 10, 4, 4, 2)")],
    ),
}


def test_every_rule_has_a_clean_and_a_dirty_case():
    named = {(r.asset, r.name) for r in RULES if r.name != "rows_reconcile"}
    assert named <= set(CASES)


@pytest.mark.parametrize("case", list(CASES), ids=[f"{c[0][1]}:{' '.join(c[1:])}" for c in CASES])
def test_clean_passes_and_dirty_fails(case):
    clean, dirty = CASES[case]
    rule = _rule(*case[:2])
    assert evaluate(_db(*clean), rule).passed
    result = evaluate(_db(*dirty), rule)
    assert not result.passed
    assert result.metadata["violations"].value == 1
