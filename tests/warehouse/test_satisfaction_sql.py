"""NPS, CSAT and CES SQL on hand-made survey answers."""

import datetime as dt

import duckdb
import pytest

from warehouse.db import build_from_file

PARAMS = {"reference_month": dt.date(2024, 6, 1), "csat_top_box": 2, "ces_agreement_scale_max": 7}


def _db(answers: list[tuple[str, int, int, int]]) -> duckdb.DuckDBPyConnection:
    """marts.fct_survey_responses from (survey_type, score, scale_min, scale_max), all in June 2024."""
    conn = duckdb.connect()
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.fct_survey_responses (survey_type varchar, score integer, scale_min integer, "
        "scale_max integer, response_month date, nps_class varchar, is_csat_top_box boolean)"
    )
    for kind, score, low, high in answers:
        nps_class = None
        if kind == "nps":
            nps_class = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        top = score > high - 2 if kind == "csat" else None
        conn.execute(
            "insert into marts.fct_survey_responses values (?, ?, ?, ?, ?, ?, ?)",
            [kind, score, low, high, dt.date(2024, 6, 1), nps_class, top],
        )
    for table in ("nps_by_month", "csat_by_month", "ces_by_month"):
        build_from_file(conn, "metrics", table, PARAMS)
    return conn


def test_nps_with_margin_of_error():
    # 50 promoters, 33 passives, 17 detractors, n = 100 (the integer form of 50% / 33.3% / 16.7%):
    # NPS = 50 − 17 = 33.0; MoE = 1.96 × sqrt((0.50 + 0.17 − 0.33²) / 100) × 100
    #     = 1.96 × sqrt(0.5611 / 100) × 100 = 1.96 × 0.074907 × 100 = 14.68
    answers = [("nps", 10, 0, 10)] * 50 + [("nps", 8, 0, 10)] * 33 + [("nps", 3, 0, 10)] * 17
    nps, moe = _db(answers).execute("select nps, nps_margin_of_error_95 from metrics.nps_by_month").fetchone()
    assert nps == pytest.approx(33.0)
    assert moe == pytest.approx(14.68, abs=0.01)


def test_nps_exact_shares_example():
    # shares exactly 1/2, 1/3, 1/6 with n = 6: NPS = 33.33;
    # MoE = 1.96 × sqrt((1/2 + 1/6 − (1/3)²) / 6) × 100 = 1.96 × sqrt(0.5556 / 6) × 100 = 59.64;
    # at n = 100 the same shares give 1.96 × sqrt(0.5556 / 100) × 100 = 14.61, the 33.3 ± 14.6 example
    answers = [("nps", 9, 0, 10)] * 3 + [("nps", 7, 0, 10)] * 2 + [("nps", 0, 0, 10)]
    nps, moe = _db(answers).execute("select nps, nps_margin_of_error_95 from metrics.nps_by_month").fetchone()
    assert nps == pytest.approx(100 / 3)
    assert moe == pytest.approx(59.64, abs=0.01)
    assert moe * (6 / 100) ** 0.5 == pytest.approx(14.61, abs=0.01)


def test_csat_top_two_box_on_a_five_point_scale():
    # scores 5, 4, 3, 2 on 1..5: top-2 box is {4, 5} → 2 of 4 = 50%
    conn = _db([("csat", s, 1, 5) for s in (5, 4, 3, 2)])
    assert conn.execute("select csat_pct from metrics.csat_by_month").fetchone()[0] == pytest.approx(50.0)


def test_ces_mean_and_direction_per_scale():
    # CES 2.0 on 1..7: 6, 5, 7 → mean 6.0, higher is better; CES 1.0 on 1..5: 2, 3 → 2.5, lower is better
    conn = _db([("ces", 6, 1, 7), ("ces", 5, 1, 7), ("ces", 7, 1, 7), ("ces", 2, 1, 5), ("ces", 3, 1, 5)])
    rows = conn.execute("select scale_max, ces_mean, scale_direction from metrics.ces_by_month order by 1").fetchall()
    assert rows == [(5, 2.5, "lower_is_better"), (7, 6.0, "higher_is_better")]
