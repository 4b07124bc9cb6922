"""End to end on tests/fixtures/tiny: every number below is worked out by hand in its comment.

The fixture, as of 2024-06-30 (reference month June 2024), all in EUR except C4 (HUF at 400/EUR):
  C1 monthly 100 (Jan, Feb), 150 (Mar-Jun); credit note −30 on the April invoice; July invoice
     after the as-of date; a re-sent June invoice in a later file.
  C2 quarterly 300 for Jan-Mar (100/month), 240 for Apr-Jun (80/month).
  C3 monthly 50 (Jan, Feb), nothing in March, 60 (Apr-Jun).
  C4 monthly 40,000 HUF = 100 EUR (Feb-May), one-off 20,000 HUF = 50 EUR in March, nothing in June.
  C6 annual 1,200 for May 2024-Apr 2025 = 100/month.
  MRR by month: Jan 250 · Feb 350 · Mar 350 · Apr 360 · May 490 · Jun 390.
"""

from decimal import Decimal

import pytest

from tests.e2e.conftest import query
from warehouse.publish import work_path_for


def test_run_succeeds_with_every_check_passing(tiny_run):
    result, _ = tiny_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)


def test_every_row_is_loaded_deduplicated_or_quarantined(tiny_run):
    _, wh = tiny_run
    rows = dict(
        (r[0], r[1:])
        for r in query(wh, "select entity, rows_read, rows_loaded, rows_deduplicated, rows_quarantined "
                           "from staging.load_reconciliation")
    )
    # invoice lines: 23 + 1 read; INV-BAD/1 (net 'abc') and INV-BAD/2 (no currency) quarantined;
    # the re-sent INV-6/1 deduplicated → 24 = 21 + 1 + 2
    assert rows["billing__invoice_lines"] == (24, 21, 1, 2)
    # customers: 7 + 1 read; C7's date 2024-13-01 quarantined; C1 sent twice → 8 = 6 + 1 + 1
    assert rows["crm__customers"] == (8, 6, 1, 1)
    # responses: 19 read; R19 scored 11 on 0..10 quarantined → 19 = 18 + 0 + 1
    assert rows["survey__responses"] == (19, 18, 0, 1)
    reasons = query(wh, "select entity, line_number, column_name, reason_code from staging.quarantine order by all")
    assert reasons == [
        ("billing__invoice_lines", 23, "net_amount", "invalid_decimal"),
        ("billing__invoice_lines", 24, "currency", "missing_required"),
        ("crm__customers", 8, "created_date", "invalid_date"),
        ("survey__responses", 20, "score", "score_out_of_scale"),
    ]


def test_latest_extract_wins_the_dedupe(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    # customers_2024-06-30.csv sorts after customers_2024-06-01.csv and moves C1 to Szeged
    assert query(wh, "select city, employees from marts.dim_customers where customer_id = 'C1'") == [("Szeged", 14)]
    assert query(wh, "select count(*) from marts.dim_customers") == [(6,)]


def test_invoice_lines_are_converted_and_cut_at_the_as_of_date(tiny_run):
    _, wh = tiny_run
    # 21 staged lines minus INV-7 issued 2024-07-01 → 20
    assert query(wh, "select count(*) from marts.fct_invoice_lines") == [(20,)]
    # 40,000 HUF / 400 = 100.00 EUR; the one-off 20,000 HUF / 400 = 50.00 EUR
    assert query(
        wh, "select line_number, amount_reporting::double from marts.fct_invoice_lines "
            "where invoice_id = 'INV-41' order by 1"
    ) == [(1, 100.0), (2, 50.0)]


def test_revenue_is_spread_and_netted(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    # recurring: C1 100+100+150×4−30 = 770; C2 300+240 = 540; C3 50+50+60×3 = 280; C4 4×100 = 400;
    # C6 1,200 → 3,190; one-off: C4's 50
    assert query(
        wh, "select sum(recurring_revenue)::double, sum(one_off_revenue)::double "
            "from marts.fct_revenue_by_customer_month"
    ) == [(3190.0, 50.0)]
    # the annual plan is 12 months of 100 from May 2024
    assert query(
        wh, "select count(*), min(recurring_revenue)::double, max(recurring_revenue)::double "
            "from marts.fct_revenue_by_customer_month where customer_id = 'C6'"
    ) == [(12, 100.0, 100.0)]
    # the April credit note (−30) lands in April, the month it corrects: 150 − 30 = 120
    assert query(
        wh, "select recurring_revenue::double from marts.fct_revenue_by_customer_month "
            "where customer_id = 'C1' and revenue_month = '2024-04-01'"
    ) == [(120.0,)]


def test_mrr_bridge(tiny_run):
    _, wh = tiny_run
    rows = query(
        wh, "select strftime(revenue_month, '%Y-%m'), starting_mrr::double, new_mrr::double, "
            "expansion_mrr::double, contraction_mrr::double, churned_mrr::double, reactivation_mrr::double, "
            "ending_mrr::double from metrics.mrr_by_month order by 1"
    )
    assert rows == [
        ("2024-01", 0.0, 250.0, 0.0, 0.0, 0.0, 0.0, 250.0),  # new: C1 100 + C2 100 + C3 50
        ("2024-02", 250.0, 100.0, 0.0, 0.0, 0.0, 0.0, 350.0),  # new: C4 100
        ("2024-03", 350.0, 0.0, 50.0, 0.0, -50.0, 0.0, 350.0),  # C1 +50; C3 churns −50
        ("2024-04", 350.0, 0.0, 0.0, -50.0, 0.0, 60.0, 360.0),  # C1 −30, C2 −20; C3 back +60
        ("2024-05", 360.0, 100.0, 30.0, 0.0, 0.0, 0.0, 490.0),  # C6 new 100; C1 120 → 150
        ("2024-06", 490.0, 0.0, 0.0, 0.0, -100.0, 0.0, 390.0),  # C4 churns −100
    ]


def test_churn_rates(tiny_run):
    _, wh = tiny_run
    rows = query(
        wh, "select logo_churn_rate, gross_mrr_churn_rate, net_mrr_churn_rate, customer_retention_rate, "
            "net_revenue_retention, gross_revenue_retention from metrics.churn_by_month order by revenue_month"
    )
    assert rows[0] == (None,) * 6  # January: nobody at the start
    # March: S = 4 clients, 350; C3 churns (−50), C1 expands (+50)
    # logo 1/4; gross 50/350; net (50 − 50)/350 = 0; CRR (3 − 0)/4; NRR 350/350; GRR 300/350
    assert rows[2] == pytest.approx((0.25, 50 / 350, 0.0, 0.75, 1.0, 300 / 350))
    # April: S = 3, 350; contraction −50, reactivation +60; E = 4 with 1 reactivated
    # gross 50/350; net (50 − 60)/350 = −10/350; CRR (4 − 1)/3 = 1; NRR = GRR = 300/350
    assert rows[3] == pytest.approx((0.0, 50 / 350, -10 / 350, 1.0, 300 / 350, 300 / 350))
    # June: S = 5, 490; C4 churns −100 → logo 1/5, gross = net = 100/490, CRR 4/5, NRR = GRR = 390/490
    assert rows[5] == pytest.approx((0.2, 100 / 490, 100 / 490, 0.8, 390 / 490, 390 / 490))


def test_cohort_retention(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    rows = query(
        wh, "select active_customers, logo_retention, revenue_retention from metrics.retention_by_cohort "
            "where cohort_month = '2024-01-01' order by revenue_month"
    )
    # January cohort C1, C2, C3 (250): March 2 of 3 active with 150 + 100 = 250;
    # June all 3 with 150 + 80 + 60 = 290 → 290 / 250 = 1.16
    assert rows[2] == pytest.approx((2, 2 / 3, 1.0))
    assert rows[5] == pytest.approx((3, 1.0, 1.16))


def test_satisfaction(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    nps = query(wh, "select responses, nps, nps_margin_of_error_95 from metrics.nps_by_month order by response_month")
    # May: 10, 9 | 8, 7 | 6, 3 → 2 promoters, 2 detractors of 6 → NPS 0;
    #      MoE = 1.96 × sqrt((1/3 + 1/3 − 0) / 6) × 100 = 65.33
    # June: 10, 10, 9 | 5 (R18 is after the as-of date, R19 quarantined) → 75% − 25% = 50;
    #      MoE = 1.96 × sqrt((0.75 + 0.25 − 0.25) / 4) × 100 = 84.87
    assert nps == [pytest.approx((6, 0.0, 65.33), abs=0.01), pytest.approx((4, 50.0, 84.87), abs=0.01)]
    # CSAT June on 1..5: 5, 4, 3, 2 → top-2 box 2 of 4 = 50%
    assert query(wh, "select csat_pct from metrics.csat_by_month") == [(50.0,)]
    # CES June on 1..7: 6, 5, 7 → 6.0, higher is better
    assert query(wh, "select ces_mean, scale_direction from metrics.ces_by_month") == [(6.0, "higher_is_better")]


def test_book_valuation(tiny_run):
    _, wh = tiny_run
    row = query(
        wh, "select mrr, arr, annual_retention, retention_months_used, book_value from valuation.book_valuation"
    )
    mrr, arr, retention, months, value = row[0]
    # June MRR 390 → ARR 4,680. GRR Feb 1, Mar 300/350, Apr 300/350, May 1, Jun 390/490 (Jan has no start):
    # product = (6/7)² × 39/49 = 0.5847564 over 5 months → annual 0.5847564^(12/5) = 0.275892
    # factor f = 0.275892 × 1.02 / 1.12 = 0.251259; value = 4,680 × f × (1 − f^10) / (1 − f) = 1,570.49
    assert (mrr, arr, months) == (Decimal("390.00"), Decimal("4680.00"), 5)  # money as DECIMAL(18,2)
    assert retention == pytest.approx(0.275892, abs=1e-6)
    assert value == Decimal("1570.49")


def test_valuation_score(tiny_run):
    wh = work_path_for(tiny_run[1])  # client ids and small cells: the analysts' copy hides them
    scores = dict(query(wh, "select customer_id, valuation_score from valuation.valuation_score_by_customer"))
    # active in June: C1 (ARR 1,800), C2 (960), C3 (720), C6 (1,200); C4 churned
    # ARR rank: C3 .25, C2 .50, C6 .75, C1 1; retention = active months of 12: C1 6, C2 6, C3 5, C6 2;
    # growth: no revenue in June 2023 for anyone → 0.5; touches (interactions + answers): C1 3 + 5 = 8,
    # C2 1 + 4 = 5, C3 0 + 4 = 4, C6 0 + 3 = 3 → depth rank C6 .25, C3 .50, C2 .75, C1 1
    # C1 = 100 × (.4 × 1 + .25 × 6/12 + .2 × .5 + .15 × 1) = 77.50
    # C3 = 100 × (.4 × .25 + .25 × 5/12 + .2 × .5 + .15 × .5) = 37.92
    assert set(scores) == {"C1", "C2", "C3", "C6"}
    assert float(scores["C1"]) == pytest.approx(77.50)
    assert float(scores["C3"]) == pytest.approx(37.92, abs=0.005)


def test_no_client_data_in_the_event_log(tiny_run):
    result, _ = tiny_run
    # names, tax ids and a survey comment from the fixture; the quarantine holds raw values, the log must not
    personal = ["Kovács", "Szabó Anna", "Popescu", "Ștefănescu", "12345676-2-41", "RO18547290", "123-456-32-18",
                "Nagyon elégedett", "2024-13-01"]
    text = "\n".join(f"{e.message} {e.event_specific_data}" for e in result.all_events)
    assert "dim_customers" in text  # the log was read
    assert [p for p in personal if p in text] == []


def test_the_working_file_is_owner_only_and_the_published_copy_read_only(tiny_run):
    # the working file holds names and tax ids; analysts read the published copy and nobody
    # writes it in place (it is only ever replaced whole)
    _, published = tiny_run
    assert oct(work_path_for(published).stat().st_mode & 0o777) == "0o600"
    assert oct(published.stat().st_mode & 0o777) == "0o444"
