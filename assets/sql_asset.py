"""The thin asset every SQL-file table uses: run `warehouse/sql/<layer>/<table>.sql`, report rows."""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.partitions import first_month, month_of, monthly_partitions
from assets.settings import ClientbookSettings, reference_month
from warehouse.db import FX_CONVERT_MACRO, build_from_file, preview_markdown, read_sql, schema_markdown
from warehouse.errors import redacted_errors
from warehouse.partitions import MonthTable, PartitionError, write_months


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
    # month-grain tables are partitioned by this column; the restatement log sums `total_column`
    month_column: str | None = None
    total_column: str | None = None


def sql_asset(spec: SqlTable) -> dg.AssetsDefinition:
    """Build the Dagster asset that materialises `spec` from its SQL file."""
    if spec.month_column:
        return _partitioned_sql_asset(spec)

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


def _partitioned_sql_asset(spec: SqlTable) -> dg.AssetsDefinition:
    """The month-partitioned form: the run's months are replaced, each computed as of its own month."""
    table = MonthTable(spec.layer, spec.table, spec.month_column or "", spec.total_column)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # `backfill_policy` is beta in Dagster 1.13
        partitioned = dg.asset(
            key=[spec.layer, spec.table],
            group_name=spec.group,
            description=spec.description,
            deps=[dg.AssetKey(list(d)) for d in spec.deps],
            kinds={"duckdb", "sql"},
            partitions_def=monthly_partitions,
            backfill_policy=dg.BackfillPolicy.single_run(),
        )

    @partitioned
    def _asset(context: dg.AssetExecutionContext, settings: ClientbookSettings, duckdb: DuckDBResource
               ) -> dg.MaterializeResult:
        keys = context.partition_key_range
        start, end = month_of(keys.start), month_of(keys.end)
        as_of = settings.as_of_date()
        if end > reference_month(as_of):
            raise dg.Failure(description=(
                f"{table.name}: the months {start:%Y-%m}..{end:%Y-%m} end after {reference_month(as_of):%Y-%m}, "
                f"the last complete month on the as-of date {as_of}; set the as-of date or shorten the range"
            ))
        # each month is computed as of its own end: the SQL sees nothing after the range's last month,
        # and no table's month depends on a later one (tests/warehouse/test_partitions.py proves it)
        params = settings.sql_params() | {"reference_month": end}
        with duckdb.get_connection() as conn, redacted_errors(table.name):
            conn.execute(FX_CONVERT_MACRO)
            try:
                written = write_months(conn, table, read_sql(spec.layer, spec.table), params, start, end,
                                       first_month(), context.run_id, as_of)
            except PartitionError as exc:
                raise dg.Failure(description=str(exc)) from None
            shown = (preview_markdown if spec.preview_rows else schema_markdown)(conn, spec.layer, spec.table)
        if written.restated:
            context.log.warning(
                f"{table.name}: restated {len(written.restated)} closed month(s): "
                f"{', '.join(f'{m:%Y-%m}' for m in written.restated)} (metrics.restatement_log)"
            )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": written.rows,
                "months": f"{start:%Y-%m}..{end:%Y-%m}",
                "months_with_rows": written.months,
                "restated_months": ", ".join(f"{m:%Y-%m}" for m in written.restated) or "none",
                "preview" if spec.preview_rows else "columns": dg.MetadataValue.md(shown),
                "as_of_date": str(as_of),
            }
        )

    return _asset
