"""Publish: swap the checked build in as the analysts' warehouse file."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.marts import MART_TABLES
from assets.metrics import METRIC_TABLES
from assets.settings import ClientbookSettings
from warehouse.contract import EXTRACTS
from warehouse.errors import redacted_errors
from warehouse.publish import publish

BUILT = [
    *(dg.AssetKey(["raw", e.raw_table]) for e in EXTRACTS),
    *(dg.AssetKey(["staging", e.staging_table]) for e in EXTRACTS),
    *(dg.AssetKey([t.layer, t.table]) for t in (*MART_TABLES, *METRIC_TABLES)),
    dg.AssetKey(["valuation", "book_valuation"]),
    dg.AssetKey(["valuation", "valuation_score_by_customer"]),
]


@dg.asset(
    key=["publish", "warehouse_file"],
    group_name="publish",
    description="The analysts' warehouse file, replaced atomically once every table and blocking check passed.",
    deps=BUILT,
    kinds={"duckdb"},
)
def warehouse_file(settings: ClientbookSettings, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Copy the working build over the published file; runs only when nothing upstream failed."""
    published = Path(settings.warehouse_file)
    with duckdb.get_connection() as conn, redacted_errors("publish"):
        tables = publish(conn, Path(duckdb.database), published)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published)),
            "tables": tables,
            "as_of_date": str(settings.as_of_date()),
        }
    )


publish_assets = [warehouse_file]
