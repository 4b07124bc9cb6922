"""Staging: typed, deduplicated rows; whatever cannot be loaded goes to `staging.quarantine`."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.raw import GROUP_BY_SOURCE
from assets.settings import ClientbookSettings
from warehouse.contract import CUSTOMERS, EXTRACTS, FX_RATES, Extract
from warehouse.db import markdown_table, schema_markdown
from warehouse.errors import redacted_errors
from warehouse.profiles import ProfileError, load_profile
from warehouse.rules import FX_RULES, ROW_RULES, UNKNOWN_CUSTOMER
from warehouse.staging import build_staging


def _rule_deps(extract: Extract) -> list[dg.AssetKey]:
    """Rules that look clients or rates up need the staged customers or rates first."""
    rules = ROW_RULES.get(extract.entity, ())
    deps = []
    if extract is not CUSTOMERS and UNKNOWN_CUSTOMER in rules:
        deps.append(dg.AssetKey(["staging", CUSTOMERS.staging_table]))
    if any(r in rules for r in FX_RULES):
        deps.append(dg.AssetKey(["staging", FX_RATES.staging_table]))
    return deps


def staging_asset(extract: Extract) -> dg.AssetsDefinition:
    """Build the asset typing and deduplicating one raw extract (rules in warehouse/staging.py)."""

    @dg.asset(
        key=["staging", extract.staging_table],
        group_name=GROUP_BY_SOURCE[extract.source],
        description=f"Typed {extract.source} {extract.entity}, one row per {', '.join(extract.key)}.",
        deps=[dg.AssetKey(["raw", extract.raw_table]), *_rule_deps(extract)],
        kinds={"duckdb", "sql"},
    )
    def _asset(context: dg.AssetExecutionContext, settings: ClientbookSettings, duckdb: DuckDBResource
               ) -> dg.MaterializeResult:
        try:
            profile = load_profile(Path(settings.landing_dir), extract.source)
        except ProfileError as exc:
            raise dg.Failure(description=str(exc)) from None
        with duckdb.get_connection() as conn, redacted_errors(f"staging.{extract.staging_table}"):
            counts = build_staging(conn, extract, profile, settings.fx_max_age_days)
            held = conn.execute(
                "select file_name, rows_with_problems, rows_read from staging.file_reconciliation "
                "where entity = ? and is_over_threshold order by file_name",
                [extract.raw_table],
            ).fetchall()
            reasons = conn.execute(
                "select reason_code, column_name, count(*) from staging.quarantine where entity = ? "
                "group by all order by all",
                [extract.raw_table],
            ).fetchall()
            columns = schema_markdown(conn, "staging", extract.staging_table)
        for name, bad, read in held:
            context.log.warning(
                f"{name}: {bad} of {read} rows break a rule, more than the profile's "
                f"{profile.max_quarantined_share:.0%}: the whole file is held back (file_over_threshold)"
            )
        if counts["rows_quarantined"]:
            context.log.warning(f"{counts['rows_quarantined']} {extract.entity} row(s) quarantined")
        table = markdown_table(("reason", "column", "rows"), reasons)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": counts["rows_loaded"],
                **counts,
                "files_held_back": len(held),
                "quarantine": dg.MetadataValue.md(table if reasons else "nothing quarantined"),
                "columns": dg.MetadataValue.md(columns),
            }
        )

    return _asset


staging_assets = [staging_asset(e) for e in EXTRACTS]
