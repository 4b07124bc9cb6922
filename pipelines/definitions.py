"""The one Definitions object: every asset, check, job, schedule and sensor of clientbook."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.marts import mart_assets
from assets.metrics import metric_assets
from assets.privacy import privacy_from_env
from assets.publish import publish_assets
from assets.raw import raw_assets
from assets.restricted import restricted_assets
from assets.settings import ClientbookSettings
from assets.staging import staging_assets
from assets.valuation import valuation_assets
from checks.data_quality import build_gx_checks
from checks.freshness import build_freshness_checks
from checks.warehouse_checks import build_warehouse_checks
from pipelines.jobs import nightly_job
from pipelines.progress import progress_logger
from pipelines.resources import duckdb_resource, published_from_env, settings_from_env
from pipelines.schedules import nightly_schedule
from pipelines.sensors import landing_sensor

ALL_ASSETS = [
    *restricted_assets, *raw_assets, *staging_assets, *mart_assets, *metric_assets, *valuation_assets, *publish_assets
]


def build_definitions(settings: ClientbookSettings, duckdb: DuckDBResource) -> dg.Definitions:
    """Everything, bound to one warehouse file and one set of settings (CLI, UI and schedule alike)."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=[*build_gx_checks(), *build_warehouse_checks(), *build_freshness_checks()],
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        sensors=[landing_sensor],
        resources={"settings": settings, "duckdb": duckdb, "privacy": privacy_from_env()},
        loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    )


defs = build_definitions(settings_from_env(), duckdb_resource(published_from_env()))
