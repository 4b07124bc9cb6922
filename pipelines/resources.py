"""Resources: the run settings and the one DuckDB warehouse file, from arguments or environment."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_duckdb import DuckDBResource

from assets.settings import ClientbookSettings

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse/clientbook.duckdb"


def settings_from_env() -> ClientbookSettings:
    """Settings for the UI and the schedule: CLIENTBOOK_LANDING and friends, else the defaults."""
    return ClientbookSettings(
        landing_dir=os.environ.get("CLIENTBOOK_LANDING", DEFAULT_LANDING),
        reporting_currency=os.environ.get("CLIENTBOOK_CURRENCY", "EUR"),
    )


def duckdb_resource(database: str | None = None) -> DuckDBResource:
    """The warehouse file (created with its folder when missing); CLIENTBOOK_WAREHOUSE overrides."""
    path = Path(database or os.environ.get("CLIENTBOOK_WAREHOUSE", DEFAULT_WAREHOUSE))
    path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(path))
