"""Resources: the run settings and the one DuckDB warehouse file, from arguments or environment."""

import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.settings import ClientbookSettings
from warehouse.publish import work_path_for

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse/clientbook.duckdb"


def published_from_env() -> Path:
    """The published warehouse file: CLIENTBOOK_WAREHOUSE, else the default."""
    return Path(os.environ.get("CLIENTBOOK_WAREHOUSE", DEFAULT_WAREHOUSE))


def settings_from_env() -> ClientbookSettings:
    """Settings for the UI and the schedule: CLIENTBOOK_LANDING and friends, else the defaults."""
    return ClientbookSettings(
        landing_dir=os.environ.get("CLIENTBOOK_LANDING", DEFAULT_LANDING),
        warehouse_file=str(published_from_env()),
        reporting_currency=os.environ.get("CLIENTBOOK_CURRENCY", "EUR"),
    )


class WarehouseResource(DuckDBResource):
    """The DuckDB resource, making the warehouse folder when a run starts (never at import time)."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)


def duckdb_resource(published: Path) -> DuckDBResource:
    """The working file every asset writes, beside the published one."""
    return WarehouseResource(database=str(work_path_for(published)))
