"""Client lifetime value: BG/NBD + Gamma-Gamma (non-contractual) and sBG (contractual), per client.

Time unit: months (an average Gregorian month, `warehouse.value_inputs.MONTH_DAYS` days). The
horizon is `horizon_years`, the discount `discount_rate` (annual, compounded monthly).
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import TypeVar

import dagster as dg
import numpy as np
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.metrics import bgnbd, gamma_gamma
from assets.metrics.model_fit import ModelFitError
from assets.settings import ClientbookSettings, reference_month
from assets.valuation.book import monthly_rate
from assets.valuation.month_value import client_margins, value_month
from warehouse import value_inputs
from warehouse.db import markdown_table, replace_table_from_frame
from warehouse.errors import redacted_errors
from warehouse.months import shift_months

HOLDOUT_MONTHS = 12
T = TypeVar("T")
MONEY = ("expected_spend", "monthly_margin", "clv_noncontractual", "clv_contractual")
ROUNDED = ("recency", "age", "p_alive", "expected_purchases", "discounted_purchases", "margin_rate",
           "expected_residual_months")
HOLDOUT_SCHEMA = {"calibration_frequency": pl.Int64, "customers": pl.UInt32, "actual_mean_purchases": pl.Float64,
                  "predicted_mean_purchases": pl.Float64, "calibration_end_date": pl.Date}
FIT_SCHEMA = {"model": pl.String, "parameter": pl.String, "value": pl.Float64, "fitted_to": pl.Date,
              "customers": pl.Int64}
CONTRACTUAL_SCHEMA = {"customer_id": pl.String, "renewals": pl.Int64, "monthly_margin": pl.Float64,
                      "value": pl.Float64}
DEPS = [dg.AssetKey(k) for k in (["marts", "fct_invoice_lines"], ["metrics", "mrr_by_customer_month"],
                                 ["metrics", "profit_by_customer_month"])]


def holdout_report(conn: object, as_of: dt.date) -> tuple[list[dict[str, object]], pl.DataFrame]:
    """Fit on the data up to 12 months before `as_of`, predict the last 12 months, compare."""
    cutoff = shift_months(as_of, -HOLDOUT_MONTHS)
    calib = value_inputs.purchases(conn, cutoff, as_of)
    x, t_x, age = (calib[c].to_numpy() for c in ("frequency", "recency", "age"))
    params = bgnbd.fit(x, t_x, age)
    predicted = bgnbd.expected_purchases(params, HOLDOUT_MONTHS, x, t_x, age)
    frame = calib.select(pl.col("frequency").clip(upper_bound=12).alias("calibration_frequency"),
                         "holdout_purchases").with_columns(pl.Series("predicted", predicted))
    by_frequency = frame.group_by("calibration_frequency").agg(
        pl.len().alias("customers"),
        pl.col("holdout_purchases").mean().round(4).alias("actual_mean_purchases"),
        pl.col("predicted").mean().round(4).alias("predicted_mean_purchases"),
    ).sort("calibration_frequency").with_columns(pl.lit(cutoff).alias("calibration_end_date"))
    rows = _fit_rows("BG/NBD (calibration)", params, cutoff) + [
        {"model": "BG/NBD (calibration)", "parameter": "holdout_actual_purchases",
         "value": float(frame["holdout_purchases"].sum()), "fitted_to": cutoff, "customers": calib.height},
        {"model": "BG/NBD (calibration)", "parameter": "holdout_predicted_purchases",
         "value": round(float(predicted.sum()), 2), "fitted_to": cutoff, "customers": calib.height},
    ]
    return rows, by_frequency


def own_average(frequency: np.ndarray, mean_spend: np.ndarray) -> np.ndarray:
    """The fallback when Gamma-Gamma cannot be fitted: a client's own mean repeat spend, and for a client
    without repeat purchases the average of those means (the same population-mean rule as Gamma-Gamma)."""
    repeat = (frequency > 0) & (mean_spend > 0)
    population = float(mean_spend[repeat].mean()) if repeat.any() else float("nan")
    return np.where(repeat, mean_spend, population)


def _fit_rows(model: str, params: object, fitted_to: dt.date) -> list[dict[str, object]]:
    """One row per fitted parameter (and the log-likelihood) of a model's parameter dataclass."""
    values = asdict(params)  # type: ignore[call-overload]
    customers = values.pop("customers")
    return [{"model": model, "parameter": name, "value": float(value), "fitted_to": fitted_to,
             "customers": customers} for name, value in values.items()]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["metrics", "clv_by_customer"], deps=DEPS, group_name="value", kinds={"duckdb", "python"},
                     description="Discounted lifetime value per client: BG/NBD + Gamma-Gamma and sBG retention."),
        dg.AssetSpec(["metrics", "clv_model_fit"], deps=DEPS, group_name="value", kinds={"duckdb", "python"},
                     description="The fitted CLV model parameters and the holdout check of the BG/NBD."),
        dg.AssetSpec(["metrics", "clv_holdout_by_frequency"], deps=DEPS, group_name="value",
                     kinds={"duckdb", "python"},
                     description="BG/NBD fit report: predicted vs actual purchases in the 12-month holdout."),
    ],
)
def clv_by_customer(context: dg.AssetExecutionContext, settings: ClientbookSettings,
                    duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    """Fit the CLV models on every client's purchase history and value each client.

    A model that cannot be fitted (a young or small book) leaves its columns null and says why in
    the log and the metadata; the night goes on.
    """
    as_of = settings.as_of_date()
    month = reference_month(as_of)
    horizon = 12 * settings.horizon_years
    problems: dict[str, str] = {}

    def attempt(name: str, fit: Callable[[], T]) -> T | None:
        try:
            return fit()
        except ModelFitError as exc:
            problems[name] = str(exc)
            context.log.warning(f"{name} not fitted: {exc}")
            return None

    with duckdb.get_connection() as conn, redacted_errors("metrics.clv_by_customer"):
        report = attempt("holdout check", lambda: holdout_report(conn, as_of))
        fit_rows, by_frequency = report or ([], pl.DataFrame(schema=HOLDOUT_SCHEMA))
        data = value_inputs.purchases(conn, as_of)
        x, t_x, T_ = (data[c].to_numpy() for c in ("frequency", "recency", "age"))
        spend = data["mean_spend"].fill_null(0).to_numpy()
        bg = attempt("BG/NBD", lambda: bgnbd.fit(x, t_x, T_))
        gg = attempt("Gamma-Gamma", lambda: gamma_gamma.fit(x, spend))
        history = value_inputs.history(conn, month)
        margins, book_rate, book_basis = client_margins(history, month)
        contractual = attempt("sBG", lambda: value_month(
            history, month, settings.discount_rate, settings.growth_rate, horizon))
        none = pl.lit(None, dtype=pl.Float64)
        per_client = data.select("customer_id", "frequency", "recency", "age").with_columns(
            pl.Series("p_alive", bgnbd.p_alive(bg, x, t_x, T_)) if bg else none.alias("p_alive"),
            pl.Series("expected_purchases", bgnbd.expected_purchases(bg, horizon, x, t_x, T_)) if bg
            else none.alias("expected_purchases"),
            pl.Series("discounted_purchases", bgnbd.discounted_expected_purchases(
                bg, x, t_x, T_, horizon, monthly_rate(settings.discount_rate))) if bg
            else none.alias("discounted_purchases"),
            pl.Series("expected_spend", gamma_gamma.expected_spend(gg, x, spend) if gg else own_average(x, spend))
            .fill_nan(None),
            pl.lit("gamma_gamma" if gg else "own_average").alias("spend_model"),
        )
        values = (contractual.clients if contractual else pl.DataFrame(schema=CONTRACTUAL_SCHEMA)).select(
            "customer_id", "renewals", pl.col("value").alias("clv_contractual"),
            pl.when(pl.col("monthly_margin") != 0).then(pl.col("value") / pl.col("monthly_margin"))
            .alias("expected_residual_months"),
        )
        # every client who ever bought or pays now: a client paying without a positive invoice day
        # (credited away) still gets its contractual value
        frame = per_client.join(
            margins.select("customer_id", "margin_rate", "margin_basis", "monthly_margin"),
            on="customer_id", how="full", coalesce=True,
        ).join(values, on="customer_id", how="left").with_columns(
            pl.lit(month).alias("reference_month"),
            pl.lit("month").alias("time_unit"),
            pl.col("margin_rate").fill_null(book_rate),
            pl.col("margin_basis").fill_null(book_basis),
        ).with_columns(
            (pl.col("discounted_purchases") * pl.col("expected_spend") * pl.col("margin_rate")).alias(
                "clv_noncontractual"),
            pl.lit(settings.reporting_currency.upper()).alias("reporting_currency"),
        )
        # a value that cannot be computed (0/0: a margin rate without revenue) is null, not NaN:
        # NaN cannot become a DECIMAL and would fail the night
        frame = frame.with_columns(
            *(pl.col(c).fill_nan(None) for c in (*MONEY, *ROUNDED) if frame.schema[c].is_float())
        ).with_columns(
            *(pl.col(c).round(2).cast(pl.Decimal(18, 2)) for c in MONEY),
            *(pl.col(c).round(6) for c in ROUNDED),
        ).sort("customer_id")
        fits = pl.DataFrame(
            fit_rows + [row for name, params, fitted_to in (("BG/NBD", bg, as_of), ("Gamma-Gamma", gg, as_of),
                                                            (contractual.retention_model if contractual else "sBG",
                                                             contractual and contractual.retention, month))
                        if params for row in _fit_rows(name, params, fitted_to)],
            schema=FIT_SCHEMA,
        )
        rows = replace_table_from_frame(conn, "metrics", "clv_by_customer", frame)
        replace_table_from_frame(conn, "metrics", "clv_model_fit", fits)
        replace_table_from_frame(conn, "metrics", "clv_holdout_by_frequency", by_frequency)
    yield dg.MaterializeResult(asset_key=["metrics", "clv_by_customer"], metadata={
        "dagster/row_count": rows, "time_unit": "month", "horizon_months": horizon,
        "discount_rate_annual": settings.discount_rate,
        "gamma_gamma_customers_used": gg.customers if gg else 0,
        "clients_without_repeat_purchase": int((x == 0).sum()),
        **{f"not_fitted_{name}": reason for name, reason in problems.items()},
    })
    yield dg.MaterializeResult(asset_key=["metrics", "clv_model_fit"], metadata={
        "dagster/row_count": fits.height, "preview": dg.MetadataValue.md(markdown_table(fits.columns, fits.rows()))})
    yield dg.MaterializeResult(asset_key=["metrics", "clv_holdout_by_frequency"], metadata={
        "dagster/row_count": by_frequency.height,
        "preview": dg.MetadataValue.md(markdown_table(by_frequency.columns, by_frequency.rows()))})
