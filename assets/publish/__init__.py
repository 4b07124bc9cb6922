"""Publish: write the analysts' copy of the checked build and swap it in as their warehouse file."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.marts import mart_assets
from assets.metrics import metric_assets
from assets.privacy import PrivacyResource
from assets.raw import raw_assets
from assets.restricted import restricted_assets
from assets.settings import ClientbookSettings
from assets.staging import staging_assets
from assets.valuation import valuation_assets
from warehouse.errors import redacted_errors
from warehouse.publish import publish

# every table of the build, taken from the asset lists themselves so a new table is never missed
BUILT = [key for a in (*restricted_assets, *raw_assets, *staging_assets, *mart_assets, *metric_assets,
                       *valuation_assets) for key in a.keys]


@dg.asset(
    key=["publish", "warehouse_file"],
    group_name="publish",
    description="The analysts' warehouse file (pseudonymised, no direct identifiers, small cells suppressed), "
    "replaced atomically once every table and blocking check passed.",
    deps=BUILT,
    kinds={"duckdb"},
)
def warehouse_file(settings: ClientbookSettings, privacy: PrivacyResource, duckdb: DuckDBResource
                   ) -> dg.MaterializeResult:
    """Write the analysts' copy of the working build over the published file; runs only when nothing upstream failed."""
    published = Path(settings.warehouse_file)
    with duckdb.get_connection() as conn, redacted_errors("publish"):
        tables = publish(conn, published, privacy.key(), settings.min_cell_size)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published)),
            "tables": tables,
            "min_cell_size": settings.min_cell_size,
            "as_of_date": str(settings.as_of_date()),
        }
    )


publish_assets = [warehouse_file]
