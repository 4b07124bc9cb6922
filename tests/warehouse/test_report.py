"""`clientbook report` on a small synthetic warehouse: sections, numbers, flags, privacy, offline."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import random
import re
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import polars as pl
import pytest

from pipelines.cli import main
from warehouse.months import add_months
from warehouse.report.html import SECTIONS, write_report

MONTH = dt.date(2024, 6, 1)
# The tables the report reads, with exactly the column names and types of schemas_issue4.md.
DDL = {
    "metrics.mrr_by_month": "revenue_month date, starting_mrr decimal(18,2), new_mrr decimal(18,2), "
    "expansion_mrr decimal(18,2), contraction_mrr decimal(18,2), churned_mrr decimal(18,2), "
    "reactivation_mrr decimal(18,2), ending_mrr decimal(18,2), starting_customers bigint, new_customers bigint, "
    "reactivated_customers bigint, churned_customers bigint, ending_customers bigint, reporting_currency varchar",
    "metrics.churn_by_month": "revenue_month date, starting_customers bigint, churned_customers bigint, "
    "acquired_customers bigint, ending_customers bigint, starting_mrr decimal(18,2), ending_mrr decimal(18,2), "
    "logo_churn_rate double, gross_mrr_churn_rate double, net_mrr_churn_rate double, customer_retention_rate double, "
    "net_revenue_retention double, gross_revenue_retention double, reporting_currency varchar",
    "metrics.retention_by_cohort": "cohort_month date, revenue_month date, months_since_start bigint, "
    "cohort_customers bigint, active_customers bigint, mrr decimal(18,2), logo_retention double, "
    "revenue_retention double, reporting_currency varchar",
    "metrics.nps_by_month": "response_month date, responses bigint, promoters bigint, passives bigint, "
    "detractors bigint, nps double, nps_margin_of_error_95 double",
    "metrics.csat_by_month": "response_month date, scale_min integer, scale_max integer, responses bigint, "
    "top_box_responses bigint, csat_pct double",
    "metrics.concentration_by_month": "revenue_month date, active_clients bigint, total_mrr decimal(18,2), "
    "largest_client_share double, concentration_threshold double, is_largest_over_threshold boolean, cr5 double, "
    "cr10 double, pareto_client_share double, pareto_revenue_share double, hhi double, effective_clients double, "
    "gini double, reporting_currency varchar",
    "metrics.lorenz_by_month": "revenue_month date, client_share double, revenue_share double",
    "metrics.concentration_by_segment_month": "revenue_month date, dimension varchar, segment_groups bigint, "
    "hhi double, effective_groups double, largest_group varchar, largest_group_share double",
    "metrics.profit_by_customer_month": "customer_id varchar, revenue_month date, revenue decimal(18,2), "
    "recurring_revenue decimal(18,2), cost decimal(18,2), margin decimal(18,2), margin_rate double, "
    "has_cost boolean, is_cost_over_revenue boolean, reporting_currency varchar",
    "metrics.churn_risk_by_customer": "customer_id varchar, reference_month date, mrr decimal(18,2), "
    "churn_probability double, risk_decile integer, p_alive double",
    "metrics.churn_backtest": "backtest_month date, model varchar, clients bigint, churners bigint, roc_auc double, "
    "precision_top_decile double",
    "valuation.book_valuation_by_month": "valuation_month date, clients bigint, mrr decimal(18,2), "
    "monthly_margin decimal(18,2), margin_rate double, sbg_gamma double, sbg_delta double, "
    "expected_retention_12m double, growth_rate double, discount_rate double, horizon_years integer, "
    "book_value_before_adjustment decimal(18,2), largest_client_share double, concentration_threshold double, "
    "concentration_adjustment decimal(18,2), book_value decimal(18,2), book_score double, "
    "reporting_currency varchar, method varchar",
    "valuation.book_valuation_sensitivity": "valuation_month date, discount_rate double, churn_multiplier double, "
    "growth_rate double, expected_retention_12m double, book_value decimal(18,2)",
    "valuation.book_valuation_by_segment": "valuation_month date, dimension varchar, segment varchar, "
    "clients bigint, mrr decimal(18,2), book_value decimal(18,2), share_of_book double",
}


def make_warehouse(
    path: Path, *, over_threshold: bool = True, survey: bool = True, months: int = 30, clients: int = 40, seed: int = 7
) -> Path:
    """A warehouse of `months` months to 2024-06 whose 2024-06 figures are set by hand (see the tests)."""
    rng = random.Random(seed)
    spine = [add_months(MONTH, i - months + 1) for i in range(months)]
    rows: dict[str, list[tuple]] = {name: [] for name in DDL}

    # MRR grows smoothly to 118,000.00 in May; June's bridge is set by hand:
    # 118,000 + 6,500 + 2,250.50 + 700 − 1,450.25 − 3,200 = 122,800.25
    ending = 118_000 * 1.025 ** -(months - 2)
    for i, month in enumerate(spine):
        starting = 0.0 if i == 0 else ending
        if month == MONTH:
            new, exp, react, contr, churn = 6_500.0, 2_250.5, 700.0, -1_450.25, -3_200.0
        else:
            exp = round(starting * rng.uniform(0.010, 0.020), 2)
            react = round(starting * rng.uniform(0.0, 0.005), 2)
            contr = -round(starting * rng.uniform(0.005, 0.012), 2)
            churn = -round(starting * rng.uniform(0.015, 0.030), 2)
            new = round(118_000 * 1.025 ** (i - months + 2), 2) - starting - exp - react - contr - churn
        ending = round(starting + new + exp + react + contr + churn, 2)
        customers = 1_234 if month == MONTH else round(ending / 100)
        rows["metrics.mrr_by_month"].append(
            (month, starting, new, exp, contr, churn, react, ending, 0, 0, 0, 0, customers, "EUR")
        )
        nrr = (starting + exp + contr + churn) / starting if starting else None
        grr = (starting + contr + churn) / starting if starting else None
        rows["metrics.churn_by_month"].append(
            (month, 0, 0, 0, customers, starting, ending, None, None, None, None, nrr, grr, "EUR")
        )

    for cohort in spine:
        size, decay = rng.randint(8, 45), rng.uniform(0.02, 0.06)
        for k in range((MONTH.year - cohort.year) * 12 + MONTH.month - cohort.month + 1):
            active = round(size * math.exp(-decay * k) * rng.uniform(0.95, 1.0)) if k else size
            rows["metrics.retention_by_cohort"].append(
                (cohort, add_months(cohort, k), k, size, active, active * 95.0, active / size, active / size, "EUR")
            )

    if survey:
        for i, month in enumerate(spine):
            if month == add_months(MONTH, -18):
                continue  # a month without any NPS answer: a gap with n=0
            if month > add_months(MONTH, -12):
                # trailing 12 months alternate 60 (33/15/12) and 40 (17/15/8) answers:
                # pooled n = 600, p = 300/600, d = 120/600 → NPS 30.0, MoE 196·√(0.61/600) = 6.2
                n, p, d = (60, 33, 12) if i % 2 else (40, 17, 8)
            else:
                n = 6 if month == add_months(MONTH, -15) else rng.randint(25, 70)
                p = round(n * rng.uniform(0.35, 0.6))
                d = round((n - p) * rng.uniform(0.2, 0.5))
            share_p, share_d = p / n, d / n
            moe = 100 * 1.96 * math.sqrt((share_p + share_d - (share_p - share_d) ** 2) / n)
            rows["metrics.nps_by_month"].append((month, n, p, n - p - d, d, 100 * (share_p - share_d), moe))
            n5 = rng.randint(40, 120)
            top = round(n5 * rng.uniform(0.7, 0.9))
            rows["metrics.csat_by_month"].append((month, 1, 5, n5, top, 100 * top / n5))
            if i % 3 == 0:
                n10 = rng.randint(3, 25)
                top10 = round(n10 * rng.uniform(0.5, 0.8))
                rows["metrics.csat_by_month"].append((month, 1, 10, n10, top10, 100 * top10 / n10))

    largest = 0.234 if over_threshold else 0.123
    gini = 0.58
    power = (1 + gini) / (1 - gini)  # a Lorenz curve x^a has Gini (a − 1)/(a + 1)
    lorenz = [(1 - largest) * (k / 100) ** power if k < 100 else 1.0 for k in range(101)]
    rows["metrics.lorenz_by_month"] = [(MONTH, k / 100, share) for k, share in enumerate(lorenz)]
    rows["metrics.concentration_by_month"].append(
        (
            MONTH,
            1_234,
            122_800.25,
            largest,
            0.20,
            largest > 0.20,
            0.41,
            0.52,
            0.20,
            1 - lorenz[80],
            0.071,
            1 / 0.071,
            gini,
            "EUR",
        )
    )
    for dimension, groups, top_group in (("country", 4, "HU"), ("industry", 7, "retail"), ("size_band", 3, "10-49")):
        rows["metrics.concentration_by_segment_month"].append((MONTH, dimension, groups, 0.3, 1 / 0.3, top_group, 0.45))

    for i in range(clients):
        customer = f"C{i:04d}"
        revenue = 200.0 + 37 * i
        cost = revenue * (1.3 if i % 7 == 3 else 0.6)  # i = 3, 10, 17, 24, 31, 38: 6 clients cost more
        rows["metrics.profit_by_customer_month"].append(
            (customer, MONTH, revenue, revenue, cost, revenue - cost, 1 - cost / revenue, True, cost > revenue, "EUR")
        )
        mrr, probability = round(rng.lognormvariate(6, 1), 2), rng.uniform(0.01, 0.6)
        decile = 10 - min(9, int(probability / 0.06))  # 1 = highest risk
        rows["metrics.churn_risk_by_customer"].append((customer, MONTH, mrr, probability, decile, 1 - probability))
    # the likeliest to churn and the largest client are not the largest risks: 0.99 × 5 and 0.001 × 90,000
    rows["metrics.churn_risk_by_customer"] += [
        ("LIKELY", MONTH, 5.0, 0.99, 1, 0.01),
        ("BIG", MONTH, 90_000, 0.001, 10, 1),
    ]

    for k in range(6):
        for model, auc in (("bgnbd_p_alive", 0.68), ("classifier", 0.78)):
            rows["metrics.churn_backtest"].append((add_months(MONTH, -k - 3), model, 900, 40, auc + 0.01 * k, 0.3))

    for month in spine[-12:]:
        before = round(1_358_024.68 * 1.02 ** ((month.year - MONTH.year) * 12 + month.month - MONTH.month), 2)
        adjustment = -123_456.79 if month == MONTH else round(-0.09 * before, 2)
        rows["valuation.book_valuation_by_month"].append(
            (
                month,
                1_234,
                122_800.25,
                42_980.09,
                0.35,
                0.8,
                6.5,
                0.891,
                0.02,
                0.12,
                10,
                before,
                largest,
                0.20,
                adjustment,
                round(before + adjustment, 2),
                71.5,
                "EUR",
                "sBG retention × margin DCF",
            )
        )
    for growth in (0.0, 0.02, 0.04):
        for discount in (0.10, 0.12, 0.14):
            for multiplier in (0.8, 1.0, 1.2):
                value = 1_234_567.89 * (1 + 5 * (growth - 0.02)) * (1 - 4 * (discount - 0.12)) / multiplier
                rows["valuation.book_valuation_sensitivity"].append(
                    (MONTH, discount, multiplier, growth, 0.891**multiplier, round(value, 2))
                )
    for dimension, segments in (("client_class", ("strategic", "active", "passive")), ("country", ("HU", "RO"))):
        for j, segment in enumerate(segments):
            rows["valuation.book_valuation_by_segment"].append(
                (MONTH, dimension, segment, 100 * (j + 1), 10_000.0 * (j + 1), 400_000.0 / (j + 1), 0.5 / (j + 1))
            )

    with duckdb.connect(str(path)) as conn:
        conn.execute("begin transaction")  # one commit for the whole file, not one per statement
        for name, columns in DDL.items():
            conn.execute(f"create schema if not exists {name.split('.')[0]}")
            conn.execute(f"create table {name} ({columns})")
            if rows[name]:  # through a frame: executemany inserts row by row, seconds for a few thousand
                columns = [c.split()[0] for c in DDL[name].split(", ")]
                frame = pl.DataFrame(rows[name], schema=columns, orient="row", strict=False, infer_schema_length=None)
                conn.register("frame", frame)
                conn.execute(f"insert into {name} select * from frame")
                conn.unregister("frame")
        conn.execute("commit")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str, str]:
    """The report of the default warehouse through the CLI: (path, page, printed output)."""
    folder = tmp_path_factory.mktemp("report")
    warehouse = make_warehouse(folder / "clientbook.duckdb")
    before = warehouse.stat()
    printed = io.StringIO()  # capsys is function-scoped, this fixture is not
    with contextlib.redirect_stdout(printed):
        assert main(["report", "--warehouse", str(warehouse)]) == 0
    after = warehouse.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)  # opened read-only
    out = folder / "report_2024-06.html"  # default month: the latest in mrr_by_month; default folder
    return out, out.read_text(encoding="utf-8"), printed.getvalue()


def _section(page: str, number: int) -> str:
    return page.split(f'<section id="s{number}">')[1].split("</section>")[0]


def test_cli_writes_the_default_file_and_prints_its_path(built):
    out, _page, printed = built
    assert out.is_file()
    assert printed.strip() == str(out)


def test_every_section_and_chart_is_there(built):
    _out, page, _ = built
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page
    # bridge, MRR trend, cohorts, Lorenz, NPS, CSAT, book value history
    assert page.count("<svg") == 7
    assert "no data" not in page


def test_headline_numbers_are_formatted(built):
    _out, page, _ = built
    headline = _section(page, 1)
    assert "1,234" in headline  # active clients
    assert "EUR 122,800" in headline  # 118,000 + 6,500 + 2,250.50 + 700 − 1,450.25 − 3,200 = 122,800.25
    assert "98.0% / 96.1%" in headline  # NRR 115,600.25 / 118,000; GRR 113,349.75 / 118,000
    assert "+30.0 ± 6.2" in headline  # pooled 600 answers, p = 0.5, d = 0.2; MoE 196·√(0.61/600) = 6.25
    assert "600 responses, 2023-07 to 2024-06" in headline
    assert "EUR 1,234,568" in headline  # book value 1,234,567.89
    assert "EUR 1,358,025" in headline and "EUR -123,457" in headline


def test_concentration_flag_over_the_threshold(built):
    _out, page, _ = built
    flag = "largest client 23.4% &gt; 20% threshold"
    assert flag in _section(page, 1) and flag in _section(page, 7)
    assert _section(page, 4).count(flag) == 2  # the red banner and the red title of the Lorenz chart


def test_top_risks_are_ordered_by_expected_mrr_at_risk(built, tmp_path):
    _out, page, _ = built
    risks = _section(page, 7).split("<table>")[1]
    shown = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", risks)
    with duckdb.connect(str(Path(_out).parent / "clientbook.duckdb"), read_only=True) as conn:
        expected = [
            r[0]
            for r in conn.execute(
                "select customer_id from metrics.churn_risk_by_customer order by churn_probability * mrr desc limit 10"
            ).fetchall()
        ]
    assert shown == expected
    assert "LIKELY" not in shown and "BIG" not in shown
    assert "<strong>6</strong> of 40 clients" in page  # i % 7 == 3 for i < 40: 3, 10, 17, 24, 31, 38


def test_the_page_opens_offline(built):
    _out, page, _ = built
    namespaces = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= namespaces
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only references to ids inside the page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # seven inline SVGs, no clashing ids
    assert set(re.findall(r'(?:href="#|url\(#)([^")]+)', page)) <= set(ids)  # every reference resolves
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ElementTree.fromstring(svg)  # well-formed XML


def test_under_the_threshold_without_survey_answers_and_with_missing_tables(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", over_threshold=False, survey=False, months=6)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("drop table metrics.churn_backtest")
        conn.execute("drop table valuation.book_valuation_sensitivity")
    out = write_report(warehouse, MONTH, tmp_path / "r.html")
    page = out.read_text(encoding="utf-8")
    assert "&gt; 20% threshold" not in page and "> 20% threshold" not in page
    assert "Largest client 12.3%, within the 20% threshold" in page
    satisfaction = _section(page, 5)
    assert "no data: metrics.nps_by_month has no rows from 2022-07 to 2024-06" in satisfaction
    assert "no data: metrics.csat_by_month has no rows from 2022-07 to 2024-06" in satisfaction
    assert "<svg" not in satisfaction and page.count("<svg") == 5
    assert "NPS, trailing 12 months" in _section(page, 1) and "no data" in _section(page, 1)
    assert "no data: metrics.churn_backtest is not in this warehouse" in page
    assert "no data: valuation.book_valuation_sensitivity is not in this warehouse" in page


def test_a_bad_month_or_warehouse_is_a_one_line_error(tmp_path, capsys):
    warehouse = make_warehouse(tmp_path / "w.duckdb", months=3)
    assert main(["report", "--warehouse", str(warehouse), "--month", "2023-01"]) == 2
    err = capsys.readouterr().err
    assert err == "error: month 2023-01 is not in metrics.mrr_by_month (it holds 2024-04 to 2024-06)\n"
    assert main(["report", "--warehouse", str(tmp_path / "nope.duckdb")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("drop table metrics.mrr_by_month")
    assert main(["report", "--warehouse", str(warehouse)]) == 2
    assert "metrics.mrr_by_month is missing" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--warehouse", str(warehouse), "--month", "2024-13"])
    assert exit_.value.code == 2
    assert "not a month in YYYY-MM form" in capsys.readouterr().err


def test_report_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    assert "--warehouse" in out and "--month" in out and "--out" in out and "read-only" in out
