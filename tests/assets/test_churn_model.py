"""The churn model: metrics checked by hand, the backtest's cut-off in time, and its signal on a synthetic book."""

from datetime import date

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest
from dagster_duckdb import DuckDBResource
from polars.testing import assert_frame_equal

from assets.metrics.churn import churn_risk_by_customer, month_rows, training_rows
from assets.metrics.churn_model import (
    KEYS,
    BacktestRow,
    ChurnModelError,
    backtest,
    feature_columns,
    fit_and_score,
    precision_top_decile,
    roc_auc,
    summarise,
)
from assets.settings import ClientbookSettings

FIRST_MONTH = date(2022, 1, 1)


def month(m: int) -> date:
    """Month number m of the synthetic book (0 = January 2022)."""
    return date(FIRST_MONTH.year + m // 12, m % 12 + 1, 1)


def synthetic_panel(clients: int = 600, months: int = 24, seed: int = 7) -> pl.DataFrame:
    """A book where churn is driven by short tenure, falling MRR, detractors and small size; industry is noise.

    Each month every active client churns (MRR to 0 the month after) with a logistic hazard of its features, so
    the label of a row is whether that happened within the three following months.
    """
    rng = np.random.default_rng(seed)
    start = rng.integers(-24, months - 6, clients)
    drift = rng.choice([-0.06, 0.0, 0.02], clients, p=[0.25, 0.5, 0.25])
    base_mrr = rng.lognormal(6, 0.8, clients)
    size = rng.choice(["small", "mid", "large"], clients)
    industry = rng.choice(["retail", "health", "finance", "public"], clients)
    detractor_share = np.where(drift < 0, 0.55, 0.15)
    nps = np.full(clients, np.nan)
    churn_month = np.full(clients, 10**6)
    frames = []
    for m in range(months):
        active = (start <= m) & (churn_month > m)
        tenure = m - start
        surveyed = rng.random(clients) < 0.15
        nps = np.where(
            surveyed,
            np.where(rng.random(clients) < detractor_share, rng.integers(0, 7, clients), rng.integers(7, 11, clients)),
            nps,
        )
        change = np.where(tenure >= 3, (1 + drift) ** 3 - 1 + rng.normal(0, 0.03, clients), np.nan)
        since = np.where(rng.random(clients) < 0.1, np.nan, rng.integers(0, 12, clients))
        ticket = np.where(rng.random(clients) < 0.2, np.nan, rng.random(clients) < 0.3)
        logit = -4.2 + 2.0 * (tenure < 6) + 2.5 * (change < -0.1) + 1.5 * (nps <= 6) + 0.5 * (size == "small")
        churns = active & (rng.random(clients) < 1 / (1 + np.exp(-logit)))
        churn_month = np.where(churns, m + 1, churn_month)
        frames.append(
            pl.DataFrame(
                {
                    "customer_id": [f"C{i:05d}" for i in range(clients)],
                    "feature_month": [month(m)] * clients,
                    "tenure_months": tenure,
                    "mrr": base_mrr * (1 + drift) ** tenure.clip(0),
                    "mrr_change_3m_rate": change,
                    "months_since_interaction": since,
                    "has_open_ticket": ticket,
                    "last_nps_score": nps,
                    "size_band": size,
                    "industry": industry,
                    "churn_month": churn_month,
                }
            ).filter(pl.Series(active))
        )
    return (
        pl.concat(frames)
        .with_columns(
            pl.col("mrr").cast(pl.Decimal(18, 2)),
            pl.col("tenure_months").cast(pl.Int32),
            pl.col("mrr_change_3m_rate").fill_nan(None),
            pl.col("months_since_interaction").fill_nan(None).cast(pl.Int32),
            pl.col("has_open_ticket").fill_nan(None).cast(pl.Boolean),
            pl.col("last_nps_score").fill_nan(None).cast(pl.Int8),
            pl.when(pl.col("last_nps_score").is_nan())
            .then(None)
            .when(pl.col("last_nps_score") <= 6)
            .then(pl.lit("detractor"))
            .when(pl.col("last_nps_score") <= 8)
            .then(pl.lit("passive"))
            .otherwise(pl.lit("promoter"))
            .alias("last_nps_class"),
            _months_since_start().alias("m"),
        )
        .with_columns(
            pl.when(pl.col("m") + 3 > months - 1)
            .then(None)
            .otherwise(pl.col("churn_month") <= pl.col("m") + 3)
            .alias("churned_next_3m")
        )
        .drop("churn_month", "m")
    )


def _months_since_start() -> pl.Expr:
    fm = pl.col("feature_month")
    return (fm.dt.year().cast(pl.Int32) - FIRST_MONTH.year) * 12 + fm.dt.month().cast(pl.Int32) - 1


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return synthetic_panel()


def test_precision_top_decile_breaks_ties_by_customer_id():
    # 20 clients → top ceil(2.0) = 2. C05 scores 0.9 and churned; C02 and C09 tie at 0.8 for the second place,
    # C02 (stayed) comes before C09 (churned) by id → 1 churner / 2 = 0.5 (it would be 1.0 if C09 went first).
    ids = [f"C{i:02d}" for i in range(20)]
    scores = np.full(20, 0.1)
    scores[[5, 2, 9]] = [0.9, 0.8, 0.8]
    churned = np.zeros(20, dtype=bool)
    churned[[5, 9, 15]] = True
    assert precision_top_decile(ids, churned, scores) == pytest.approx(0.5)
    # The same rows listed in reverse order give the same answer: the rule is on ids, not on row order.
    assert precision_top_decile(ids[::-1], churned[::-1], scores[::-1]) == pytest.approx(0.5)


def test_precision_top_decile_rounds_the_cut_up():
    # 25 clients → top ceil(2.5) = 3: C00, C01, C02 with churners C00, C01 → 2/3 (a cut of 2 would give 1.0).
    churned = np.array([True, True, False, True] + [False] * 20 + [True])
    scores = np.linspace(1.0, 0.0, 25)
    assert precision_top_decile([f"C{i:02d}" for i in range(25)], churned, scores) == pytest.approx(2 / 3)
    # 9 clients → ceil(0.9) = 1: C00 alone, a churner → 1.0 (a cut of 0 would divide by zero).
    assert precision_top_decile([f"C{i:02d}" for i in range(9)], churned[:9], scores[:9]) == pytest.approx(1.0)
    assert precision_top_decile(["A", "B"], np.array([False, False]), np.array([0.2, 0.1])) is None


def test_roc_auc_counts_concordant_pairs():
    # churners score 0.9 and 0.4; stayers 0.4, 0.3, 0.8 → 2 × 3 = 6 pairs.
    # 0.9 beats all three → 3; 0.4 ties 0.4 (½), beats 0.3 (1), loses to 0.8 (0) → 1.5. AUC = 4.5 / 6 = 0.75.
    churned = np.array([True, True, False, False, False])
    assert roc_auc(churned, np.array([0.9, 0.4, 0.4, 0.3, 0.8])) == pytest.approx(0.75)
    assert roc_auc(np.array([False, False]), np.array([0.3, 0.1])) is None
    assert roc_auc(np.array([True, True]), np.array([0.3, 0.1])) is None


def test_features_come_from_dtypes(panel):
    assert feature_columns(panel) == [
        "tenure_months", "mrr", "mrr_change_3m_rate", "months_since_interaction", "has_open_ticket",
        "last_nps_score", "size_band", "industry", "last_nps_class",
    ]
    with pytest.raises(ChurnModelError, match="'first_invoice_date' is Date"):
        feature_columns(panel.with_columns(first_invoice_date=pl.col("feature_month")))


def test_backtest_uses_only_labels_known_at_the_test_month(panel):
    m = month(15)
    before = backtest(panel, [m])
    # Rows from M-2 and M-1 have labels that end after M: flip them. Rows after M: scramble everything,
    # including categories never seen before. Nothing of this may change the result at M.
    fm = _months_since_start()
    unknown_label = fm.is_between(13, 14)
    future = fm > 15
    tampered = panel.with_columns(
        pl.when(unknown_label | future).then(~pl.col("churned_next_3m")).otherwise(pl.col("churned_next_3m")),
        pl.when(future).then(pl.lit("unseen")).otherwise(pl.col("industry")).alias("industry"),
        pl.when(future).then(-pl.col("tenure_months")).otherwise(pl.col("tenure_months")).alias("tenure_months"),
    )
    assert backtest(tampered, [m]) == before
    # ...whereas the labels of M-3, whose window M-2..M has closed, are training data: flipping them shows.
    flipped = panel.with_columns(
        pl.when(fm == 12).then(~pl.col("churned_next_3m")).otherwise(pl.col("churned_next_3m"))
    )
    assert backtest(flipped, [m]) != before


def test_a_feature_without_values_before_the_month_is_ignored(panel):
    # A survey launched after month 12: its columns are null in every training row at month 12, so the
    # backtest there is the one without them (the booster cannot bin an all-missing column).
    late = pl.col("feature_month") > month(12)
    survey = panel.with_columns(
        ces_score=pl.when(late).then(pl.col("tenure_months") % 7).cast(pl.Float64),
        ces_band=pl.when(late).then(pl.lit("easy")),
    )
    assert backtest(survey, [month(12)]) == backtest(panel, [month(12)])
    with pytest.raises(ChurnModelError, match="churn scoring for 2023-01: no feature has a value in the training"):
        fit_and_score(survey.select("customer_id", "feature_month", "churned_next_3m", "ces_score"), month(12))


def test_classifier_finds_the_signal_and_beats_a_random_baseline(panel):
    rng = np.random.default_rng(0)
    baseline = panel.select("customer_id", "feature_month", score=pl.Series(rng.random(panel.height)))
    rows = backtest(panel, [month(14), month(17), month(20)], baseline)
    classifier = [r for r in rows if r.model == "classifier"]
    random = [r for r in rows if r.model == "bgnbd_p_alive"]
    assert [r.backtest_month for r in classifier] == [month(14), month(17), month(20)]
    assert [(r.clients, r.churners) for r in classifier] == [(r.clients, r.churners) for r in random]
    summary = summarise(rows)
    assert summary["classifier"]["mean_roc_auc"] > 0.75
    assert summary["classifier"]["mean_roc_auc"] > summary["bgnbd_p_alive"]["mean_roc_auc"] + 0.15
    assert summary["classifier"]["mean_precision_top_decile"] > 2 * summary["classifier"]["churn_rate"]
    # The baseline row is the plain metric of the baseline scores on that month's labelled clients.
    test = panel.filter(pl.col("feature_month") == month(20)).join(baseline, on=["customer_id", "feature_month"])
    churned, scores = test["churned_next_3m"].to_numpy(), test["score"].to_numpy()
    assert random[-1].roc_auc == pytest.approx(roc_auc(churned, scores))
    assert random[-1].precision_top_decile == pytest.approx(precision_top_decile(test["customer_id"], churned, scores))


def test_summarise_pools_counts_and_averages_months():
    rows = [
        BacktestRow(month(3), "classifier", 100, 10, 0.8, 0.3),
        BacktestRow(month(4), "classifier", 300, 20, 0.7, 0.5),
        BacktestRow(month(5), "classifier", 50, 0, None, None),
    ]
    # clients 100 + 300 + 50 = 450, churners 30 → rate 1/15; AUC (0.8 + 0.7) / 2 = 0.75; precision (0.3 + 0.5) / 2
    assert summarise(rows) == {
        "classifier": {
            "months": 3, "clients": 450, "churners": 30, "churn_rate": pytest.approx(1 / 15),
            "mean_roc_auc": pytest.approx(0.75), "mean_precision_top_decile": pytest.approx(0.4),
        }
    }


def test_scores_are_deterministic_and_ranked(panel):
    first = fit_and_score(panel, month(23))
    assert_frame_equal(first, fit_and_score(panel, month(23)), check_exact=True)
    active = panel.filter(pl.col("feature_month") == month(23)).height
    assert first.height == active and first["customer_id"].n_unique() == active
    assert first["churn_probability"].is_between(0, 1).all()
    assert first["churn_probability"].is_sorted(descending=True)
    # Decile k holds positions with floor(10 · position / n) = k - 1: sizes differ by at most one.
    sizes = first["risk_decile"].value_counts().sort("risk_decile")
    assert sizes["risk_decile"].to_list() == list(range(1, 11))
    assert sizes["count"].max() - sizes["count"].min() <= 1


def test_too_few_training_churners_is_explained_without_client_ids(panel):
    # At March 2022 (month 2) no label is known yet: training needs feature_month + 3 <= March 2022.
    with pytest.raises(ChurnModelError) as raised:
        backtest(panel, [date(2022, 3, 15)])
    message = str(raised.value)
    assert message.startswith("churn backtest for 2022-03: the training rows hold 0 churned and 0 retained")
    assert "at least 10 of each" in message and "C0" not in message
    few = panel.filter(~pl.col("churned_next_3m") | (pl.col("customer_id") < "C00010"))
    with pytest.raises(ChurnModelError, match=r"churn scoring for 2023-12: .* at least 50") as raised:
        fit_and_score(few, month(23), min_train_churners=50)
    assert "C0" not in str(raised.value)


def test_bad_panels_are_refused(panel):
    with pytest.raises(ChurnModelError, match="empty"):
        backtest(panel.clear(), [month(20)])
    with pytest.raises(ChurnModelError, match="lacks the column.s. feature_month, churned_next_3m"):
        fit_and_score(panel.drop("feature_month", "churned_next_3m"), month(20))
    with pytest.raises(ChurnModelError, match="2 rows with a null or repeated"):
        fit_and_score(pl.concat([panel, panel.head(1)]), month(20))
    january = panel.filter(pl.col("feature_month") == month(12))
    baseline = january.select("customer_id", "feature_month", score=pl.lit(0.5)).slice(3)
    with pytest.raises(ChurnModelError, match=f"no score for 3 of the {january.height} clients"):
        backtest(panel, [month(12)], baseline)


def test_months_in_the_result_are_first_of_month_and_sorted(panel):
    rows = backtest(panel, [date(2023, 9, 30), month(17)])
    assert [(r.backtest_month, r.model) for r in rows] == [(month(17), "classifier"), (month(20), "classifier")]


def small_book() -> pl.DataFrame:
    """Eight clients paying from January 2023 (month 0) to December 2023 (month 11) unless they churn first.

    C1 churns in May (pays months 0-3), C3 in July (0-5), C5 in April (0-2), C7 in October (0-8); the others stay.
    A row's label is whether the client's churn month falls in the 3 months after it; null from October on.
    """
    churn = {"C1": 4, "C3": 6, "C5": 3, "C7": 9}
    rows = [
        {"customer_id": c, "feature_month": month(12 + m), "tenure_months": m, "mrr": 100.0 + i,
         "size_band": "small" if i % 2 else "large",
         "churned_next_3m": None if m + 3 > 11 else m < churn.get(c, 99) <= m + 3}
        for i, c in enumerate(f"C{k}" for k in range(1, 9))
        for m in range(churn.get(c, 12))
    ]
    return pl.DataFrame(rows, schema={"customer_id": pl.String, "feature_month": pl.Date, "tenure_months": pl.Int32,
                                      "mrr": pl.Float64, "size_band": pl.String, "churned_next_3m": pl.Boolean})


def warehouse_with(panel: pl.DataFrame, path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB warehouse holding `panel` as metrics.churn_features_by_customer_month."""
    conn = duckdb.connect(path)
    conn.execute("create schema metrics")
    conn.register("incoming", panel.to_arrow())
    conn.execute("create table metrics.churn_features_by_customer_month as select * from incoming")
    conn.unregister("incoming")
    return conn


def smallest_hashes(conn: duckdb.DuckDBPyConnection, ids: list[str], n: int) -> list[str]:
    """The n ids with the smallest DuckDB hash, ties by id, worked out one id at a time."""
    return sorted(ids, key=lambda c: (conn.execute("select hash($1)", [c]).fetchone()[0], c))[:n]


def test_a_book_within_the_training_cap_trains_on_the_whole_panel(panel):
    conn = warehouse_with(panel)
    clients = panel["customer_id"].n_unique()
    loaded = training_rows(conn, clients)
    assert (loaded.clients, loaded.training_clients, loaded.sampled) == (clients, clients, False)
    assert_frame_equal(loaded.rows, panel, check_exact=True)
    # Month by month with separate training rows, as the asset runs it, is the whole-panel result.
    m = month(17)
    assert backtest(month_rows(conn, loaded, m), [m], training=loaded.rows) == backtest(panel, [m])
    assert_frame_equal(fit_and_score(month_rows(conn, loaded, month(23)), month(23), training=loaded.rows),
                       fit_and_score(panel, month(23)), check_exact=True)


def test_above_the_cap_the_clients_with_the_smallest_hash_train_and_every_client_is_scored():
    book = small_book()
    conn = warehouse_with(book)
    sample = smallest_hashes(conn, [f"C{k}" for k in range(1, 9)], 3)
    assert sample == ["C2", "C3", "C8"]  # DuckDB 1.5.5's hash; another version may draw others (docs/metrics.md)
    loaded = training_rows(conn, 3)
    assert (loaded.clients, loaded.training_clients, loaded.sampled) == (8, 3, True)
    # every month of the sampled clients, sorted by client and month, whatever the table's row order
    assert_frame_equal(loaded.rows, book.filter(pl.col("customer_id").is_in(sample)).sort(KEYS))
    assert_frame_equal(training_rows(warehouse_with(book.reverse()), 3).rows, loaded.rows)
    december = month_rows(conn, loaded, month(23))
    assert december["customer_id"].to_list() == ["C2", "C4", "C6", "C8"]
    scored = fit_and_score(december, month(23), training=loaded.rows, min_train_churners=1)
    assert sorted(scored["customer_id"]) == ["C2", "C4", "C6", "C8"]
    # Labels known in December: months 0-8. C2 and C8 stayed (9 + 9 rows); C3 churned in July: months 3-5
    # churned, 0-2 retained. 3 churners in 24 rows, too few for a split (40 rows a leaf): everyone scores 3/24.
    # The whole book would say 12/58 (C1, C5, C7 churn 3 labelled months each as well; C4, C6 stay 9 each).
    assert scored["churn_probability"].to_list() == pytest.approx([3 / 24] * 4, abs=1e-9)
    whole = fit_and_score(december, month(23), training=book, min_train_churners=1)
    assert whole["churn_probability"].to_list() == pytest.approx([12 / 58] * 4, abs=1e-9)


def test_a_sample_too_small_to_learn_from_is_explained():
    conn = warehouse_with(small_book())
    loaded = training_rows(conn, 3)
    december = month_rows(conn, loaded, month(23))
    with pytest.raises(ChurnModelError, match="churn scoring for 2023-12: the training rows hold 3 churned and 21 "
                                              "retained client-months; at least 10 of each are needed"):
        fit_and_score(december, month(23), training=loaded.rows)
    # Training rows must be the panel's columns: a sample read differently is refused, not misread.
    with pytest.raises(ChurnModelError, match="the churn panel must have the training rows' columns"):
        fit_and_score(december, month(23), training=loaded.rows.drop("size_band"))


def test_the_asset_scores_every_client_and_says_when_its_sample_is_too_small(tmp_path):
    path = str(tmp_path / "w.duckdb")
    conn = warehouse_with(small_book(), path)
    # one invoice a month per paying client, for the BG/NBD baseline
    conn.execute("""
        create schema marts;
        create table marts.fct_invoice_lines as
        select customer_id, feature_month + 14 as issue_date, 'invoice' as document_type, true as has_fx_rate,
               mrr::decimal(18, 2) as amount_reporting
        from metrics.churn_features_by_customer_month
    """)
    conn.close()
    result = dg.materialize([churn_risk_by_customer], resources={
        "settings": ClientbookSettings(landing_dir=str(tmp_path), warehouse_file=path, as_of="2023-12-31",
                                       churn_backtest_months=1, churn_max_training_clients=3),
        "duckdb": DuckDBResource(database=path),
    })
    metadata = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    risk = metadata["churn_risk_by_customer"]
    assert (risk["training_clients"].value, risk["training_clients_sampled"].value) == (3, True)
    # September's backtest trains on the labels of January to June: C3's 3 churned and 3 retained months plus
    # C2's and C8's 6 retained each; the reason names the sample and the setting.
    assert risk["not_trained_because"].value == (
        "churn backtest for 2023-09: the training rows hold 3 churned and 15 retained client-months; at least 10 "
        "of each are needed (trained on a sample of 3 of 8 clients: raise churn_max_training_clients)")
    with duckdb.connect(path, read_only=True) as conn:
        rows = conn.execute("select customer_id, churn_probability from metrics.churn_risk_by_customer").fetchall()
    assert rows == [("C2", None), ("C4", None), ("C6", None), ("C8", None)]
