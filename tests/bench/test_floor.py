"""The performance floor (bench/floor.sql) and its pandas peer compute the pipeline's own numbers.

One real pipeline run on a small demo book is the reference; the floor (whole and core MRR step)
and bench/pandas_mrr.py must reproduce its monthly tables exactly, for the months the pipeline's
partitions hold (CLIENTBOOK_FIRST_MONTH, tests/conftest.py). No mocks: real files, real DuckDB.
"""

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from bench import floor, pandas_mrr
from pipelines.demo import write_demo_extracts
from pipelines.runner import execute
from warehouse.identity import normalise_tax_id

AS_OF = dt.date(2026, 10, 31)
FIRST_MONTH = dt.date(2023, 11, 1)  # CLIENTBOOK_FIRST_MONTH of the test session
MONTHLY = {"mrr_by_month": "revenue_month", "churn_by_month": "revenue_month", "nps_by_month": "response_month"}
LINE_HEADER = ("invoice_id,line_number,customer_id,issue_date,service_start_date,service_end_date,product,quantity,"
               "unit_price,discount,net_amount,currency,billing_interval,document_type,corrected_invoice_id\n")
# a credit note must not carry a positive amount (warehouse/rules.py, credit_note_positive)
POSITIVE_CREDIT_NOTE = ("CN-2026-999999,1,C000001,2026-10-15,2026-10-01,2026-10-31,RETAINER,1,100.00,0.00,100.00,EUR,"
                        "month,credit_note,INV-2024-000001\n")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("floor_demo") / "landing"
    write_demo_extracts(landing, clients=300, years=2, seed=7, as_of=AS_OF)
    return landing


@pytest.fixture(scope="module")
def warehouse(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's build of the demo: its working file, where every table is (ids included)."""
    tmp = tmp_path_factory.mktemp("floor_pipeline")
    (tmp / "dagster_home").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp / "dagster_home")) as instance:
        assert execute(demo, tmp / "w.duckdb", AS_OF, "EUR", instance=instance).success
    return tmp / "w.work.duckdb"


@pytest.fixture(scope="module")
def floor_run(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    db = tmp_path_factory.mktemp("floor") / "floor.duckdb"
    return floor.run(demo, db, AS_OF), db


def rows(db: Path, table: str, month: str, pipeline: bool = False) -> list[tuple]:
    """The table's rows from the first partition month on, in month order (the pipeline's flag column left out)."""
    extra = " exclude (is_restated)" if pipeline else ""
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(f"select *{extra} from metrics.{table} where {month} >= ? order by {month}",
                            [FIRST_MONTH]).fetchall()


def test_floor_computes_the_pipelines_monthly_metrics(floor_run, warehouse):
    report, db = floor_run
    for table, month in MONTHLY.items():
        expected = rows(warehouse, table, month, pipeline=True)
        assert len(expected) == 24, table  # 2024-11 .. 2026-10: the demo's two years
        assert rows(db, table, month) == expected, table
    # and the client-month MRR under the bridge, movement by movement (the work file keeps the ids)
    customer_months = rows(warehouse, "mrr_by_customer_month", "revenue_month", pipeline=True)
    assert sorted(rows(db, "mrr_by_customer_month", "revenue_month")) == sorted(customer_months)
    assert set(report["stages"]) >= {"load.invoice_lines", "type.invoice_lines", "metrics.mrr_by_month",
                                     "validate.staging"}
    assert report["total_seconds"] > 0


def test_floor_stages_every_row_as_the_pipeline_does(floor_run, warehouse):
    report, db = floor_run
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        fates = conn.execute("select entity, rows_read, rows_loaded, rows_deduplicated, rows_quarantined "
                             "from staging.load_reconciliation").fetchall()
    assert {e: dict(zip(("read", "loaded", "deduplicated", "quarantined"), n, strict=True)) for e, *n in fates} \
        == report["rows"]["extracts"]
    assert report["rows"]["staging.quarantine"] == 0
    # the staged tables hold the pipeline's columns, types and rows (the FX file's lineage differs: bundled)
    with duckdb.connect(str(db), read_only=True) as conn:
        conn.execute(f"attach '{str(warehouse).replace(chr(39), chr(39) * 2)}' as pipeline (read_only)")  # no params
        for table in ("stg_crm__customers", "stg_crm__interactions", "stg_billing__invoice_lines",
                      "stg_billing__costs", "stg_survey__responses", "stg_fx__rates"):
            ours, theirs = f"staging.{table}", f"pipeline.staging.{table}"
            assert conn.execute(f"describe {ours}").fetchall() == conn.execute(f"describe {theirs}").fetchall()
            lineage = " exclude (_source_file, _line_number)" if table == "stg_fx__rates" else ""
            for a, b in ((ours, theirs), (theirs, ours)):
                assert conn.execute(f"select count(*) from (select *{lineage} from {a} "
                                    f"except all select *{lineage} from {b})").fetchone() == (0,), table
    # the crosswalk's SQL tax-id form is python-stdnum's (warehouse/identity.py) for every demo client
    with duckdb.connect(str(db), read_only=True) as conn:
        ids = conn.execute("select c.tax_id, c.country, x.tax_id_normalised from staging.stg_crm__customers as c "
                           "join marts.client_crosswalk as x on x.source_customer_id = c.customer_id").fetchall()
    assert len(ids) == 300
    assert [normalise_tax_id(t, c)[0] for t, c, _ in ids] == [n for *_, n in ids]


def test_core_mrr_step_and_pandas_peer_give_the_pipelines_bridge(demo, floor_run, warehouse, tmp_path):
    # the demo has no CRM duplicates at this size, so the crosswalk the core step skips changes nothing
    expected = [r[:-1] for r in rows(warehouse, "mrr_by_month", "revenue_month", pipeline=True)]  # no currency
    report = floor.run(demo, tmp_path / "mrr.duckdb", AS_OF, only="mrr", fx_file=floor.fx_path_for(floor_run[1]))
    assert set(report["stages"]) == {"setup.settings", "setup.macros", "mrr.read_fx_rates", "mrr.read_invoice_lines",
                                     "marts.fct_invoice_lines", "marts.fct_revenue_by_customer_month",
                                     "metrics.mrr_by_customer_month", "metrics.mrr_by_month", "mrr.write_bridge"}
    assert [r[:-1] for r in rows(tmp_path / "mrr.duckdb", "mrr_by_month", "revenue_month")] == expected
    bridge, seconds = pandas_mrr.run(demo, AS_OF, floor.fx_path_for(floor_run[1]))
    assert pandas_mrr.as_decimal_rows(bridge) == expected
    assert set(seconds) == {"read", "lines_in_eur", "revenue", "customer_mrr", "bridge"}


def test_validation_passes_the_demo_and_counts_a_broken_row(floor_run, demo, tmp_path, warehouse):
    report, _ = floor_run
    assert len(report["violations"]) > 50 and not any(report["violations"].values())

    # a later extract re-sends ten lines unchanged (deduplicated) and one positive credit note (quarantined);
    # one bad row in eleven stays under the 10% share that would hold the whole file back
    landing = tmp_path / "landing"
    shutil.copytree(demo, landing)
    lines = (demo / "billing" / "invoice_lines.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (landing / "billing" / "invoice_lines_2026-11-01.csv").write_text(
        LINE_HEADER + "".join(lines[1:11]) + POSITIVE_CREDIT_NOTE, encoding="utf-8")
    dirty = floor.run(landing, tmp_path / "dirty.duckdb", AS_OF, keep_open=True)
    conn = dirty.pop("connection")
    try:
        assert dirty["rows"]["extracts"]["billing__invoice_lines"] == {
            "read": len(lines) - 1 + 11, "loaded": len(lines) - 1, "deduplicated": 10, "quarantined": 1}
        assert conn.execute("select entity, source_file, line_number, column_name, reason_code "
                            "from staging.quarantine").fetchall() == [
            ("billing__invoice_lines", "billing/invoice_lines_2026-11-01.csv", 12, "net_amount",
             "credit_note_positive")]
        # the re-sent lines come from the later file; the numbers do not change
        assert conn.execute("select count(*) from staging.stg_billing__invoice_lines "
                            "where _source_file = 'billing/invoice_lines_2026-11-01.csv'").fetchone() == (10,)
        assert not any(dirty["violations"].values())
        assert conn.execute("select * from metrics.mrr_by_month order by 1").fetchall() == [
            (*r[:-1], "EUR") for r in rows(warehouse, "mrr_by_month", "revenue_month", pipeline=True)]

        # the same row forced into the staged table: the validation pass counts it, and only it
        conn.execute("insert into staging.stg_billing__invoice_lines by name select "
                     "'CN-2026-999999' as invoice_id, 1 as line_number, 'C000001' as customer_id, "
                     "date '2026-10-15' as issue_date, 100.00 as net_amount, 'EUR' as currency, "
                     "'month' as billing_interval, 'credit_note' as document_type")
        broken = floor.violations(conn)
        assert {rule: n for rule, n in broken.items() if n} == {
            "stg_billing__invoice_lines.credit_note_positive__net_amount": 1}
    finally:
        conn.close()


def test_floor_help_and_stage_tags():
    stages = floor.read_stages()
    assert len({s.name for s in stages if s.runs_in("csv", "full")}) == len([s for s in stages
                                                                           if s.runs_in("csv", "full")])
    assert [s.name for s in stages if s.runs_in("parquet", "full") and s.name.startswith("load.")] == [
        "load.fx_rates", "load.customers", "load.interactions", "load.invoice_lines", "load.costs",
        "load.responses"]
    with pytest.raises(SystemExit) as exit_info:
        floor.main(["--help"])
    assert exit_info.value.code == 0
