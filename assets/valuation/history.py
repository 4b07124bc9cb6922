"""The book's value month by month (as-of history), its sensitivity grid and its segment totals."""

import datetime as dt
import itertools
from collections.abc import Iterator

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.metrics.model_fit import ModelFitError
from assets.settings import ClientbookSettings
from assets.valuation.book import concentration_adjustment
from assets.valuation.month_value import MonthValue, value_month
from warehouse import value_inputs
from warehouse.db import markdown_table, replace_table_from_frame
from warehouse.errors import redacted_errors

METHOD = (
    "sum over clients active in the month of expected future monthly margin (MRR x trailing 12-month margin rate, "
    "the book's rate without cost data, 1 without any) over the horizon, each month weighted by the client's sBG "
    "survival given its renewals (months paid before the data began counted from the CRM creation month), grown "
    "at growth_rate and discounted at discount_rate (annual rates, compounded monthly); sBG fitted on the spells "
    "of paying months up to the month, left-truncated spells conditioned on survival, used only when a "
    "likelihood-ratio test (2 dLL >= 2.71) prefers it to a constant churn rate, which is used otherwise; "
    "concentration adjustment = -haircut x value held above the threshold share by single clients"
)
GRID_STEPS = {
    "discount_rate": (-0.02, 0.0, 0.02), "churn_multiplier": (0.75, 1.0, 1.25), "growth_rate": (-0.02, 0.0, 0.02),
}
SEGMENTS = ("client_class", "industry", "country", "size_band")
F, D = pl.Float64, pl.Date
HISTORY_SCHEMA = {
    "valuation_month": D, "clients": pl.Int64, "mrr": F, "monthly_margin": F, "margin_rate": F,
    "mrr_share_own_margin_rate": F, "margin_basis": pl.String, "retention_model": pl.String, "sbg_gamma": F,
    "sbg_delta": F, "expected_retention_12m": F, "growth_rate": F, "discount_rate": F, "horizon_years": pl.Int64,
    "book_value_before_adjustment": F, "largest_client_share": F, "concentration_threshold": F,
    "concentration_haircut": F, "concentration_adjustment": F, "book_value": F, "method": pl.String,
}
GRID_SCHEMA = {"valuation_month": D, "discount_rate": F, "churn_multiplier": F, "growth_rate": F,
               "expected_retention_12m": F, "book_value": F, "is_base_case": pl.Boolean}
SEGMENT_SCHEMA = {"valuation_month": D, "dimension": pl.String, "segment": pl.String, "clients": pl.Int64,
                  "mrr": F, "book_value": F, "share_of_book": F}
DEPS = [dg.AssetKey(k) for k in (
    ["metrics", "mrr_by_customer_month"], ["metrics", "profit_by_customer_month"], ["metrics", "client_class_by_month"],
    ["marts", "dim_customers"], ["valuation", "valuation_score_by_customer"],
)]


def _month_row(v: MonthValue | None, month: dt.date, s: ClientbookSettings, problem: str = "") -> dict[str, object]:
    """One history row; a month that cannot be valued keeps its row with the reason and no value."""
    if v is not None and v.clients.height == 0:
        v, problem = None, "no client is active in the month"
    if v is None:
        return {"valuation_month": month, "method": f"not valued: {problem}"}
    values = v.clients["value"].to_numpy()
    total = float(values.sum())
    mrr = float(v.clients["mrr"].sum())
    own_margin = float(v.clients.filter(pl.col("margin_basis") == "client")["mrr"].sum())
    adjustment = concentration_adjustment(values, s.concentration_threshold, s.concentration_haircut)
    return {
        "valuation_month": month, "clients": v.clients.height, "mrr": mrr,
        "monthly_margin": float(v.clients["monthly_margin"].sum()),
        "margin_rate": float(v.clients["monthly_margin"].sum()) / mrr,
        "mrr_share_own_margin_rate": round(own_margin / mrr, 6),
        "margin_basis": "revenue" if (v.clients["margin_basis"] == "revenue").all() else "margin",
        "retention_model": v.retention_model,
        "sbg_gamma": v.assumptions.gamma, "sbg_delta": v.assumptions.delta, "expected_retention_12m": v.retention_12m,
        "growth_rate": s.growth_rate, "discount_rate": s.discount_rate, "horizon_years": s.horizon_years,
        "book_value_before_adjustment": total,
        "largest_client_share": float(values.max() / total) if total > 0 else None,
        "concentration_threshold": s.concentration_threshold, "concentration_haircut": s.concentration_haircut,
        "concentration_adjustment": adjustment, "book_value": total + adjustment, "method": METHOD,
    }


def _grid(v: MonthValue, s: ClientbookSettings) -> pl.DataFrame:
    """Book value under every combination of discount rate, churn multiplier and growth around the base case."""
    rows = []
    for d, k, g in itertools.product(*GRID_STEPS.values()):
        discount, growth = s.discount_rate + d, s.growth_rate + g
        value, retention = v.revalued(annual_discount=discount, annual_growth=growth, churn_multiplier=k)
        rows.append({"valuation_month": v.month, "discount_rate": round(discount, 6), "churn_multiplier": k,
                     "growth_rate": round(growth, 6), "expected_retention_12m": retention, "book_value": value,
                     "is_base_case": d == 0 and k == 1 and g == 0})
    return pl.DataFrame(rows, schema=GRID_SCHEMA)


def _attributes(conn: object, month: dt.date) -> pl.DataFrame:
    """Every client's class, industry, country and size band in every month up to `month`, read once."""
    return conn.execute(  # type: ignore[attr-defined]
        "select customer_id, class_month, client_class, coalesce(industry, 'unknown') as industry, "
        "coalesce(country, 'unknown') as country, coalesce(size_band, 'unknown') as size_band "
        "from metrics.client_class_by_month where class_month <= ?", [month]).pl()


def _segments(attributes: pl.DataFrame, v: MonthValue) -> pl.DataFrame:
    """Clients, MRR and value per class, industry, country and size band in the month."""
    clients = v.clients.join(attributes.filter(pl.col("class_month") == v.month), on="customer_id", how="left")
    clients = clients.with_columns(*(pl.col(c).fill_null("unknown") for c in SEGMENTS))
    total = clients["value"].sum()
    parts = [
        clients.group_by(pl.col(dim).alias("segment")).agg(
            pl.len().alias("clients"), pl.col("mrr").sum(), pl.col("value").sum().alias("book_value"),
        ).with_columns(pl.lit(dim).alias("dimension"))
        for dim in SEGMENTS
    ]
    return pl.concat(parts).with_columns(
        pl.lit(v.month).alias("valuation_month"), (pl.col("book_value") / total).round(6).alias("share_of_book"),
    ).select(*SEGMENT_SCHEMA).cast(SEGMENT_SCHEMA).sort("valuation_month", "dimension", "segment")


def _money(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(*(pl.col(c).round(2).cast(pl.Decimal(18, 2)) for c in columns if c in frame.columns))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["valuation", "book_valuation_by_month"], deps=DEPS, group_name="value",
                     kinds={"duckdb", "python"},
                     description="The book's value each month: expected future margin under the sBG retention model, "
                                 "growth and discount, with the concentration adjustment shown."),
        dg.AssetSpec(["valuation", "book_valuation_sensitivity"], deps=DEPS, group_name="value",
                     kinds={"duckdb", "python"},
                     description="The reference month's book value over discount rate × churn × growth."),
        dg.AssetSpec(["valuation", "book_valuation_by_segment"], deps=DEPS, group_name="value",
                     kinds={"duckdb", "python"},
                     description="The book's value by client class, industry, country and size band, each month."),
    ],
)
def book_valuation_by_month(context: dg.AssetExecutionContext, settings: ClientbookSettings,
                            duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    """Value the book as of every month with a year of history before it, and the reference month in detail."""
    params = settings.sql_params()
    month = params["reference_month"]
    with duckdb.get_connection() as conn, redacted_errors("valuation.book_valuation_by_month"):
        history = value_inputs.history(conn, month)
        attributes = _attributes(conn, month)
        rows, segments, latest = [], [], None
        for m in value_inputs.valuation_months(conn, month):
            try:
                latest = value_month(history, m, settings.discount_rate, settings.growth_rate,
                                     12 * settings.horizon_years)
            except ModelFitError as exc:
                context.log.warning(f"{m:%Y-%m}: {exc}")
                rows.append(_month_row(None, m, settings, str(exc)))
                latest = None
                continue
            rows.append(_month_row(latest, m, settings))
            if latest.clients.height:
                segments.append(_segments(attributes, latest))
        score = conn.execute(
            "select sum(valuation_score * mrr) / nullif(sum(mrr), 0) from valuation.valuation_score_by_customer"
        ).fetchone()[0]
        frame = pl.DataFrame(rows, schema=HISTORY_SCHEMA).with_columns(
            pl.when(pl.col("valuation_month") == month).then(pl.lit(score)).alias("book_score"),
            pl.lit(params["reporting_currency"]).alias("reporting_currency"))
        frame = _money(frame, "mrr", "monthly_margin", "book_value_before_adjustment", "concentration_adjustment",
                       "book_value")
        # a reference month that could not be valued leaves an empty grid, never last night's
        grid = _money(_grid(latest, settings) if latest is not None and latest.month == month and latest.clients.height
                      else pl.DataFrame(schema=GRID_SCHEMA), "book_value")
        by_segment = _money(pl.concat([pl.DataFrame(schema=SEGMENT_SCHEMA), *segments]), "mrr", "book_value")
        replace_table_from_frame(conn, "valuation", "book_valuation_by_month", frame)
        replace_table_from_frame(conn, "valuation", "book_valuation_sensitivity", grid)
        replace_table_from_frame(conn, "valuation", "book_valuation_by_segment", by_segment)
    reference = frame.filter(pl.col("valuation_month") == month)
    value = reference["book_value"][0] if reference.height else None
    yield dg.MaterializeResult(asset_key=["valuation", "book_valuation_by_month"], metadata={
        "dagster/row_count": frame.height, "book_value": float(value) if value is not None else None,
        "months_not_valued": int(frame["book_value"].is_null().sum()),
        "preview": dg.MetadataValue.md(markdown_table(
            ("month", "clients", "book value", "adjustment"),
            frame.tail(12).select("valuation_month", "clients", "book_value", "concentration_adjustment").rows())),
    })
    yield dg.MaterializeResult(asset_key=["valuation", "book_valuation_sensitivity"], metadata={
        "dagster/row_count": grid.height, "preview": dg.MetadataValue.md(markdown_table(grid.columns, grid.rows())),
    })
    yield dg.MaterializeResult(asset_key=["valuation", "book_valuation_by_segment"], metadata={
        "dagster/row_count": by_segment.height,
    })
