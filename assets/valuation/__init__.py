"""Valuation: a first DCF value of the whole book and a weighted score per client."""

from decimal import ROUND_HALF_UP, Decimal

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.settings import ClientbookSettings
from assets.sql_asset import SqlTable, sql_asset
from assets.valuation.dcf import annual_retention, book_value
from assets.valuation.history import book_valuation_by_month
from warehouse.db import preview_markdown, replace_table_from_frame
from warehouse.errors import redacted_errors

CENT = Decimal("0.01")
METHOD = (
    "DCF of current ARR (12 × reference-month MRR) over horizon_years: "
    "sum_t ARR × (retention × (1 + growth))^t / (1 + discount)^t, "
    "retention = trailing 12-month gross revenue retention chained to a year"
)


@dg.asset(
    key=["valuation", "book_valuation"],
    group_name="value",
    description="A first value of the whole client book: the discounted stream of retained recurring revenue.",
    deps=[dg.AssetKey(["metrics", "mrr_by_month"]), dg.AssetKey(["metrics", "churn_by_month"])],
    kinds={"duckdb", "python"},
)
def book_valuation(settings: ClientbookSettings, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Value the book as of the reference month and record every assumption in the row."""
    params = settings.sql_params()
    with duckdb.get_connection() as conn, redacted_errors("valuation.book_valuation"):
        mrr_row = conn.execute(
            "select ending_mrr from metrics.mrr_by_month where revenue_month = ?", [params["reference_month"]]
        ).fetchone()
        monthly = conn.execute(
            "select gross_revenue_retention from metrics.churn_by_month "
            "where revenue_month > ? - interval 12 month and revenue_month <= ? order by revenue_month",
            [params["reference_month"], params["reference_month"]],
        ).fetchall()
        mrr = mrr_row[0] if mrr_row else Decimal("0.00")
        retention = annual_retention([r[0] for r in monthly])
        value = book_value(float(12 * mrr), retention or 0.0, settings.growth_rate, settings.discount_rate,
                           settings.horizon_years)
        frame = pl.DataFrame({
            "as_of_date": [params["as_of_date"]],
            "reference_month": [params["reference_month"]],
            "reporting_currency": [params["reporting_currency"]],
            "mrr": [mrr],
            "arr": [12 * mrr],
            "annual_retention": [retention],
            "retention_months_used": [sum(1 for r in monthly if r[0] is not None)],
            "growth_rate": [settings.growth_rate],
            "discount_rate": [settings.discount_rate],
            "horizon_years": [settings.horizon_years],
            "book_value": [Decimal(value).quantize(CENT, ROUND_HALF_UP)],
            "method": [METHOD],
        }, schema_overrides={c: pl.Decimal(18, 2) for c in ("mrr", "arr", "book_value")})
        rows = replace_table_from_frame(conn, "valuation", "book_valuation", frame)
        preview = preview_markdown(conn, "valuation", "book_valuation")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "book_value": round(value, 2),
            "preview": dg.MetadataValue.md(preview),
        }
    )


valuation_score_by_customer = sql_asset(
    SqlTable(
        "valuation", "valuation_score_by_customer",
        [("metrics", "mrr_by_customer_month"), ("marts", "fct_interactions"), ("marts", "fct_survey_responses")],
        "value", "A 0-100 score per active client: ARR 40%, retention 25%, growth 20%, relationship depth 15%.",
    )
)

valuation_assets = [book_valuation, valuation_score_by_customer, book_valuation_by_month]
