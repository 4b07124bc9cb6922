"""The Dagster bindings: keys, blocking semantics and value-free metadata, run through `dg.materialize`."""

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from checks.data_quality import CHECK_NAME, build_gx_checks, check_gx_suite
from checks.gx_runner import ExpectationOutcome, SuiteSummary
from tests.checks import CLIENT_NAME, CLIENT_TAX_ID, build_warehouse, clean_rows
from warehouse.contract import CUSTOMERS, EXTRACTS

RAW_KEY = dg.AssetKey(["raw", CUSTOMERS.raw_table])
STG_KEY = dg.AssetKey(["staging", CUSTOMERS.staging_table])


def test_one_blocking_check_per_raw_and_staging_table():
    specs = [spec for checks in build_gx_checks() for spec in checks.check_specs]
    expected = {
        dg.AssetCheckKey(dg.AssetKey([layer, table]), CHECK_NAME)
        for e in EXTRACTS
        for layer, table in (("raw", e.raw_table), ("staging", e.staging_table))
    }
    assert {s.key for s in specs} == expected and len(specs) == 2 * len(EXTRACTS)
    assert all(s.blocking and s.description and s.description.endswith(".") for s in specs)


def test_check_result_metadata_holds_counts_only():
    failed = ExpectationOutcome("expect_column_values_to_be_unique", ("customer_id",), "", False, False, 2, 3)
    ok = ExpectationOutcome("expect_table_row_count_to_be_between", (), "", True, False, None, None)
    result = check_gx_suite(STG_KEY, SuiteSummary("staging.x", False, 3, (failed, ok)))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["expectations"].value == 2 and result.metadata["failed_expectations"].value == 1
    assert (
        "| `expect_column_values_to_be_unique` | customer_id | FAIL | 2 |" in result.metadata["results"].value
    )


def _materialize(tmp_path, rows):
    """Run raw customers, its GX check and a downstream asset as Dagster would, on a temp DuckDB."""
    path = build_warehouse(tmp_path / "wh.duckdb", rows)
    downstream_ran = []

    @dg.asset(key=RAW_KEY)
    def raw_customers() -> None:
        """Stands in for the raw loader: the fixture is already in the warehouse."""

    @dg.asset(key=STG_KEY, deps=[RAW_KEY])
    def stg_customers() -> None:
        """Records that it ran, which a failed blocking check must prevent."""
        downstream_ran.append(True)

    checks = [c for c in build_gx_checks() if RAW_KEY in {s.asset_key for s in c.check_specs}]
    result = dg.materialize(
        [raw_customers, stg_customers, *checks],
        resources={"duckdb": DuckDBResource(database=str(path))},
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    assert [e.check_name for e in evaluations] == [CHECK_NAME]
    return result, evaluations[0], downstream_ran


def test_clean_raw_table_passes_and_downstream_runs(tmp_path):
    result, evaluation, downstream_ran = _materialize(tmp_path, clean_rows())
    assert result.success and evaluation.passed and downstream_ran == [True]
    assert evaluation.metadata["failed_expectations"].value == 0


def test_failed_blocking_check_stops_downstream_and_leaks_no_values(tmp_path):
    rows = clean_rows()
    rows[CUSTOMERS.raw_table][1].update(customer_id=" ", country=None)
    rows[CUSTOMERS.raw_table].append(dict(rows[CUSTOMERS.raw_table][0], created_date=None))
    result, evaluation, downstream_ran = _materialize(tmp_path, rows)
    assert not result.success and not evaluation.passed and downstream_ran == []
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["failed_expectations"].value == 3  # customer_id, country, created_date
    shown = str(result.all_events)  # the whole event log, check metadata included
    assert CLIENT_NAME not in shown and CLIENT_TAX_ID not in shown and "Baltic" not in shown


def test_check_reads_through_the_duckdb_resource(tmp_path):
    path = build_warehouse(tmp_path / "wh.duckdb", clean_rows())
    with duckdb.connect(str(path)) as conn:
        conn.execute("delete from raw.crm__customers")
    (check,) = [c for c in build_gx_checks() if RAW_KEY in {s.asset_key for s in c.check_specs}]
    result = check(duckdb=DuckDBResource(database=str(path)))
    assert not result.passed and result.metadata["rows_validated"].value == 0
