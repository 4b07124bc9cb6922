"""Dagster bindings: one blocking `gx_suite` check per raw and staging table of the contract."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from checks.gx_runner import SuiteSummary, run_suite
from checks.gx_suites import LAYERS, suite_for
from warehouse.contract import EXTRACTS, Extract
from warehouse.errors import redacted_errors

CHECK_NAME = "gx_suite"
_LAYER_PURPOSE = {
    "raw": "has rows, every contract column and a value in every required column",
    "staging": "holds unique keys, required and accepted values, valid codes, ranges and known customers",
}


def table_name(layer: str, extract: Extract) -> str:
    """The extract's table in `layer`, which is also the last part of its asset key."""
    return extract.raw_table if layer == "raw" else extract.staging_table


def build_gx_check_spec(layer: str, extract: Extract) -> dg.AssetCheckSpec:
    """Spec of the blocking GX check on `layer.<table>`: a failure stops everything downstream."""
    table = table_name(layer, extract)
    return dg.AssetCheckSpec(
        name=CHECK_NAME,
        asset=dg.AssetKey([layer, table]),
        blocking=True,
        description=f"Great Expectations suite: {layer}.{table} {_LAYER_PURPOSE[layer]}.",
    )


def check_gx_suite(asset_key: dg.AssetKey, summary: SuiteSummary) -> dg.AssetCheckResult:
    """Turn a suite summary into a check result whose metadata holds counts only, never data values."""
    rows = [
        f"| `{o.expectation_type}` | {', '.join(o.columns) or '(table)'} | {'pass' if o.success else 'FAIL'}"
        f" | {'' if o.unexpected_count is None else o.unexpected_count}"
        f" | {'error' if o.raised_exception else ''} | {o.description} |"
        for o in summary.outcomes
    ]
    table = "\n".join(
        [
            "| expectation | column | result | unexpected rows | gx | rule |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    failed = "; ".join(
        f"{o.expectation_type}({', '.join(o.columns) or 'table'}): "
        + ("errored" if o.raised_exception else f"{o.unexpected_count} unexpected row(s)")
        for o in summary.failed
    )
    return dg.AssetCheckResult(
        passed=summary.success,
        asset_key=asset_key,
        description=failed or None,
        check_name=CHECK_NAME,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": dg.MetadataValue.text(summary.suite_name),
            "rows_validated": dg.MetadataValue.int(summary.row_count),
            "expectations": dg.MetadataValue.int(len(summary.outcomes)),
            "failed_expectations": dg.MetadataValue.int(len(summary.failed)),
            "results": dg.MetadataValue.md(table),
        },
    )


def _gx_check(layer: str, extract: Extract) -> dg.AssetChecksDefinition:
    """The check definition for one table: run its suite on the warehouse and report."""
    spec = build_gx_check_spec(layer, extract)

    @dg.multi_asset_check(specs=[spec], name=f"{layer}__{table_name(layer, extract)}__{CHECK_NAME}")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as conn, redacted_errors(f"check gx_suite on {layer}"):
            summary = run_suite(conn, suite_for(layer, extract))
        return check_gx_suite(spec.asset_key, summary)

    return _check


def build_gx_checks() -> list[dg.AssetChecksDefinition]:
    """One blocking GX check per raw and staging table in the contract."""
    return [_gx_check(layer, e) for layer in LAYERS for e in EXTRACTS]
