"""Raw: every landed extract file, read by header name, stored as text with its file and line."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.raw.reader import BUNDLED_FX, ExtractError, ReadResult, bundled_fx_rates, read_extract
from assets.settings import ClientbookSettings
from warehouse.contract import EXTRACTS, FX_RATES, Extract
from warehouse.db import replace_table_from_frame
from warehouse.errors import redacted_errors

GROUP_BY_SOURCE = {"crm": "crm", "billing": "billing", "survey": "survey", "fx": "billing"}


def raw_asset(extract: Extract) -> dg.AssetsDefinition:
    """Build the asset loading every `<landing>/<source>/<entity>*` file of `extract`."""

    @dg.asset(
        key=["raw", extract.raw_table],
        group_name=GROUP_BY_SOURCE[extract.source],
        description=f"Raw {extract.source} {extract.entity} as landed: {extract.doc}",
        kinds={"duckdb", "polars"},
    )
    def _asset(context: dg.AssetExecutionContext, settings: ClientbookSettings, duckdb: DuckDBResource
               ) -> dg.MaterializeResult:
        landing = Path(settings.landing_dir)
        try:
            result = read_extract(landing, extract)
        except ExtractError as exc:
            raise dg.Failure(description=str(exc)) from None
        if not result.files and extract is FX_RATES:
            result = ReadResult(bundled_fx_rates(), [BUNDLED_FX])
        if not result.files and extract.mandatory:
            raise dg.Failure(
                description=f"no {extract.source}/{extract.entity}*.csv or .parquet file in {landing}: "
                f"the {extract.entity} extract is required (see docs/extracts.md)"
            )
        for warning in result.warnings:
            context.log.warning(warning)
        with duckdb.get_connection() as conn, redacted_errors(f"raw.{extract.raw_table}"):
            rows = replace_table_from_frame(conn, "raw", extract.raw_table, result.frame)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "files": dg.MetadataValue.md("\n".join(f"- `{f}`" for f in result.files) or "none (optional)"),
                "warnings": len(result.warnings),
            }
        )

    return _asset


raw_assets = [raw_asset(e) for e in EXTRACTS]
