"""Churn risk: a classifier on the churn panel, backtested month by month against BG/NBD P(alive)."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.metrics import bgnbd, churn_model
from assets.metrics.model_fit import ModelFitError
from assets.settings import ClientbookSettings, reference_month
from warehouse import value_inputs
from warehouse.db import markdown_table, replace_table_from_frame
from warehouse.errors import redacted_errors
from warehouse.months import add_months, month_end

PANEL = "metrics.churn_features_by_customer_month"
DEPS = [dg.AssetKey(["metrics", "churn_features_by_customer_month"]), dg.AssetKey(["marts", "fct_invoice_lines"])]
BACKTEST_SCHEMA = {"backtest_month": pl.Date, "model": pl.String, "clients": pl.Int64, "churners": pl.Int64,
                   "roc_auc": pl.Float64, "precision_top_decile": pl.Float64}


@dataclass(frozen=True)
class TrainingRows:
    """The panel rows the churn model learns from: every client's, or every month of a sample of clients."""

    rows: pl.DataFrame
    clients: int  # clients in the panel
    training_clients: int  # clients whose rows are in `rows`

    @property
    def sampled(self) -> bool:
        return self.training_clients < self.clients


def training_rows(conn: object, max_clients: int) -> TrainingRows:
    """The whole panel if it holds at most `max_clients` clients, else every row of a fixed sample of them.

    The sample is the `max_clients` clients with the smallest DuckDB `hash(customer_id)` (ties by id): the same
    clients whatever the row order, run after run; new clients enter it only by outranking sampled ones. The hash
    is stable for the pinned DuckDB version; an upgrade may draw another sample. Its rows come sorted by client and
    month, so the fit does not depend on the table's storage order either. A fit holds about 1 KB per training
    client-month, so the cap bounds the step's memory and time whatever the size of the book.
    """
    clients = conn.execute(f"select count(distinct customer_id) from {PANEL}").fetchone()[0]
    if clients <= max_clients:
        return TrainingRows(conn.execute(f"select * from {PANEL}").pl(), clients, clients)
    rows = conn.execute(
        f"""
        with sample as (
            select customer_id from (select distinct customer_id from {PANEL})
            order by hash(customer_id), customer_id
            limit $1
        )
        select * from {PANEL} where customer_id in (select customer_id from sample)
        order by customer_id, feature_month
        """,
        [max(max_clients, 0)],
    ).pl()
    return TrainingRows(rows, clients, rows.get_column("customer_id").n_unique())


def month_rows(conn: object, training: TrainingRows, month: dt.date) -> pl.DataFrame:
    """Every client's panel row of `month`: from the training rows if they hold every client, else from DuckDB."""
    if not training.sampled:
        return training.rows.filter(pl.col("feature_month") == month)
    return conn.execute(f"select * from {PANEL} where feature_month = $1 order by customer_id", [month]).pl()


def p_alive_at(conn: object, cutoff: dt.date) -> pl.DataFrame:
    """BG/NBD P(alive) of every client purchased by `cutoff`, fitted on the purchases up to it."""
    data = value_inputs.purchases(conn, cutoff)
    x, t_x, T = (data[c].to_numpy() for c in ("frequency", "recency", "age"))
    params = bgnbd.fit(x, t_x, T)
    return data.select("customer_id").with_columns(pl.Series("p_alive", bgnbd.p_alive(params, x, t_x, T)))


def baseline_row(conn: object, panel: pl.DataFrame, month: dt.date,
                 context: dg.AssetExecutionContext) -> churn_model.BacktestRow | None:
    """The BG/NBD baseline on the month's labelled clients: score 1 − P(alive) fitted up to the month's end.

    A client paying without a positive invoice day by then has no purchase history: P(alive) = 1
    (score 0). A month whose BG/NBD cannot be fitted has no baseline row; the log says why.
    """
    test = panel.filter((pl.col("feature_month") == month) & pl.col(churn_model.LABEL).is_not_null())
    if test.is_empty():
        return None
    try:
        alive = p_alive_at(conn, month_end(month))
    except ModelFitError as exc:
        context.log.warning(f"baseline for {month:%Y-%m} not computed: {exc}")
        return None
    scored = test.select("customer_id", churn_model.LABEL).join(alive, on="customer_id", how="left",
                                                                 maintain_order="left")
    scores = 1 - scored["p_alive"].fill_null(1.0).to_numpy()
    churned = scored[churn_model.LABEL].to_numpy()
    ids = scored["customer_id"].to_list()
    return churn_model.evaluate(month, churn_model.BASELINE, ids, churned, scores)


def backtest_months(month: dt.date, horizon: int, count: int) -> list[dt.date]:
    """The `count` latest months whose churn labels are all observed by `month`."""
    last = add_months(month, -horizon)
    return [add_months(last, -k) for k in range(count - 1, -1, -1)]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["metrics", "churn_risk_by_customer"], deps=DEPS, group_name="value", kinds={"duckdb", "python"},
                     description="Each active client's probability of churning in the next months, with its decile."),
        dg.AssetSpec(["metrics", "churn_backtest"], deps=DEPS, group_name="value", kinds={"duckdb", "python"},
                     description="Time-based backtest of the churn classifier vs BG/NBD P(alive): ROC AUC, "
                                 "precision at the top decile."),
    ],
)
def churn_risk_by_customer(context: dg.AssetExecutionContext, settings: ClientbookSettings,
                           duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    """Backtest the classifier on past months, then score the clients active in the reference month."""
    month = reference_month(settings.as_of_date())
    horizon = settings.churn_horizon_months
    with duckdb.get_connection() as conn, redacted_errors("metrics.churn_risk_by_customer"):
        # Only what the model needs is read: the training rows (bounded by churn_max_training_clients) and, one
        # month at a time, every client of a backtest month and of the reference month.
        training = training_rows(conn, settings.churn_max_training_clients)
        months = backtest_months(month, horizon, settings.churn_backtest_months)
        problem, rows, baseline_rows = "", [], []
        for m in months:
            test = month_rows(conn, training, m)
            if not problem:
                try:
                    rows += churn_model.backtest(test, [m], training=training.rows, horizon_months=horizon)
                except churn_model.ChurnModelError as exc:
                    problem = str(exc)
            if (row := baseline_row(conn, test, m, context)) is not None:
                baseline_rows.append(row)
        current = month_rows(conn, training, month)
        active = current.select("customer_id", "mrr")
        if not problem:
            try:
                scored = churn_model.fit_and_score(current, month, training=training.rows, horizon_months=horizon)
            except churn_model.ChurnModelError as exc:
                problem = str(exc)
        if problem:
            # too little history to learn from (a young book, or too small a sample): the risk stays unknown,
            # never guessed
            if training.sampled:
                problem += (f" (trained on a sample of {training.training_clients} of {training.clients} clients: "
                            "raise churn_max_training_clients)")
            context.log.warning(f"churn model not trained: {problem}")
            rows, scored = [], pl.DataFrame(schema={"customer_id": pl.String, "churn_probability": pl.Float64,
                                                    "risk_decile": pl.Int64})
        rows += baseline_rows
        try:
            alive = p_alive_at(conn, month_end(month))
        except ModelFitError as exc:
            context.log.warning(f"P(alive) not computed: {exc}")
            alive = pl.DataFrame(schema={"customer_id": pl.String, "p_alive": pl.Float64})
        risk = active.join(scored, on="customer_id", how="left").join(alive, on="customer_id", how="left").select(
            "customer_id", pl.lit(month).alias("reference_month"), pl.col("mrr").round(2).cast(pl.Decimal(18, 2)),
            pl.col("churn_probability").round(6), pl.col("risk_decile").cast(pl.Int32), pl.col("p_alive").round(6),
        ).sort("customer_id")
        backtest = pl.DataFrame([r.__dict__ for r in rows], schema=BACKTEST_SCHEMA).sort("backtest_month", "model")
        replace_table_from_frame(conn, "metrics", "churn_risk_by_customer", risk)
        replace_table_from_frame(conn, "metrics", "churn_backtest", backtest)
    summary = churn_model.summarise(rows) if rows else {}
    metrics = {f"{model}_{name}": round(value, 4) for model, values in summary.items()
               for name, value in values.items() if name in ("mean_roc_auc", "mean_precision_top_decile")}
    yield dg.MaterializeResult(asset_key=["metrics", "churn_risk_by_customer"], metadata={
        "dagster/row_count": risk.height, "horizon_months": horizon, **metrics,
        "training_clients": training.training_clients, "training_clients_sampled": training.sampled,
        **({"not_trained_because": problem} if problem else {}),
    })
    yield dg.MaterializeResult(asset_key=["metrics", "churn_backtest"], metadata={
        "dagster/row_count": backtest.height, **metrics,
        "preview": dg.MetadataValue.md(markdown_table(backtest.columns, backtest.rows())),
    })
