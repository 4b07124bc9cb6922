"""The thin asset every SQL-file table uses: run `warehouse/sql/<layer>/<table>.sql`, report rows."""

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.settings import ClientbookSettings
from warehouse.db import build_from_file, preview_markdown, schema_markdown
from warehouse.errors import redacted_errors


@dataclass(frozen=True)
class SqlTable:
    """A table built from its SQL file: where it lives, what it needs, and what it means."""

    layer: str
    table: str
    deps: Sequence[tuple[str, str]]
    group: str
    description: str
    # only aggregate tables may show rows in the UI: customer-level rows are personal data
    preview_rows: bool = False


def sql_asset(spec: SqlTable) -> dg.AssetsDefinition:
    """Build the Dagster asset that materialises `spec` from its SQL file."""

    @dg.asset(
        key=[spec.layer, spec.table],
        group_name=spec.group,
        description=spec.description,
        deps=[dg.AssetKey(list(d)) for d in spec.deps],
        kinds={"duckdb", "sql"},
    )
    def _asset(settings: ClientbookSettings, duckdb: DuckDBResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as conn, redacted_errors(f"{spec.layer}.{spec.table}"):
            rows = build_from_file(conn, spec.layer, spec.table, settings.sql_params())
            shown = (preview_markdown if spec.preview_rows else schema_markdown)(conn, spec.layer, spec.table)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "preview" if spec.preview_rows else "columns": dg.MetadataValue.md(shown),
                "as_of_date": str(settings.as_of_date()),
            }
        )

    return _asset
