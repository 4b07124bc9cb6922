"""What users see when input is bad, and that a rerun on the same input changes nothing."""

import subprocess
import sys

from pipelines.runner import failures, warnings
from tests.e2e.conftest import AS_OF, FIXTURES, query, run_pipeline
from warehouse.fingerprint import differing_tables, file_fingerprints


def _materialised(result) -> set[str]:
    return {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
            for m in [m.event_specific_data.materialization]}


def test_failing_blocking_check_stops_the_downstream_assets(dirty_landing, tmp_path):
    # a broken export: 4 of 28 invoice lines (14%) lack their currency, above the raw suite's 10%
    lines = dirty_landing / "billing" / "invoice_lines_2024-06-30.csv"
    with lines.open("a", encoding="utf-8") as f:
        for n in range(1, 4):
            f.write(f"INV-9{n},1,C1,2024-06-01,2024-06-01,2024-06-30,RETAINER,1,10,0,10.00,,month,invoice,\n")
    result = run_pipeline(dirty_landing, tmp_path / "w.duckdb", tmp_path)
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    checks = [(e.asset_key.to_user_string(), e.check_name) for e in failed]
    assert checks == [("raw/billing__invoice_lines", "gx_suite")]
    done = _materialised(result)
    assert "raw/billing__invoice_lines" in done
    # everything downstream of the failed check is skipped
    for blocked in ("staging/stg_billing__invoice_lines", "marts/fct_invoice_lines", "metrics/mrr_by_month"):
        assert blocked not in done
    # and what does not depend on it still ran, into the working file only: nothing was published
    assert "metrics/nps_by_month" in done
    assert "publish/warehouse_file" not in done
    assert not (tmp_path / "w.duckdb").exists()


def test_a_failed_run_leaves_the_published_warehouse_as_it_was(dirty_landing, tmp_path):
    published = tmp_path / "w.duckdb"
    assert run_pipeline(dirty_landing, published, tmp_path).success
    before = file_fingerprints(published)
    # a broken export: 4 new invoice lines without a currency, 4 of 28 (14%) above the raw suite's
    # 10%: the blocking raw check fails, so nothing is published
    (dirty_landing / "billing" / "invoice_lines_2024-07-01.csv").write_text(
        "invoice_id,line_number,customer_id,issue_date,net_amount,currency,billing_interval,document_type\n"
        + "".join(f"INV-X{n},1,C1,2024-06-15,10.00,,one_off,invoice\n" for n in range(4)))
    assert not run_pipeline(dirty_landing, published, tmp_path).success
    assert file_fingerprints(published) == before


def test_missing_mandatory_extract_is_a_clear_error_without_a_traceback(dirty_landing, tmp_path):
    for f in (dirty_landing / "billing").glob("invoice_lines*"):
        f.unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--landing", str(dirty_landing),
         "--warehouse", str(tmp_path / "w.duckdb"), "--as-of", AS_OF.isoformat()],
        capture_output=True, text=True, env={"DAGSTER_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert proc.returncode == 1
    assert "no rows of billing/invoice_lines" in proc.stderr and "the extract is required" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_wrong_header_rejects_the_file_names_it_and_moves_it_aside(dirty_landing, tmp_path):
    path = dirty_landing / "crm" / "interactions.csv"
    path.write_text("interaction_id,client,interaction_type,occurred_at\nI1,C1,call,2024-01-01T00:00:00Z\n")
    result = run_pipeline(dirty_landing, tmp_path / "w.duckdb", tmp_path)
    # a rejected file is a warning, not a failed night: the other extracts load and publish
    assert result.success
    [warning] = warnings(result)
    assert warning.startswith("raw/crm__interactions:no_rejected_files")
    assert "crm/interactions.csv (missing_columns)" in warning
    assert not path.exists()
    moved = dirty_landing / "_rejected" / "crm" / "interactions.csv"
    reason = moved.with_name("interactions.csv.reason.txt").read_text(encoding="utf-8")
    assert moved.exists() and reason.startswith("missing_columns: crm/interactions.csv: missing required column(s)")
    # `client` is neither expected nor snake_case, so it is not quoted: it could be client data
    assert "['customer_id']" in reason
    assert "found ['interaction_id', 'interaction_type', 'occurred_at'] and 1 other name(s) not quoted" in reason
    # the manifest is in the raw layer, which only the working file holds
    assert query(tmp_path / "w.work.duckdb", "select status, reason_code from raw.file_manifest "
                                             "where file_name = 'crm/interactions.csv'") == [("rejected",
                                                                                             "missing_columns")]


def test_second_run_on_the_same_input_gives_identical_tables(tiny_run, tmp_path):
    _, first = tiny_run
    result = run_pipeline(FIXTURES / "tiny", first.parent / "again.duckdb", tmp_path)
    assert result.success
    # same warehouse rebuilt in place as well: replace-table semantics, no appended duplicates
    rerun = run_pipeline(FIXTURES / "tiny", first.parent / "again.duckdb", tmp_path)
    assert rerun.success
    # every table, bookkeeping columns (which run, when) left out: warehouse/fingerprint.py
    assert differing_tables(file_fingerprints(first), file_fingerprints(first.parent / "again.duckdb")) == []


def test_a_warning_check_reports_but_neither_blocks_nor_fails(dirty_landing, tmp_path):
    # C2 names a referrer the CRM does not know: the client is kept, a warning check fails
    path = dirty_landing / "crm" / "customers_2024-06-30.csv"
    path.write_text(path.read_text(encoding="utf-8")
                    + "C2,Popescu Construct S.R.L.,RO18547290,RO,Cluj-Napoca,construction,medium,80,SME,"
                      "2023-12-15,C404,AO-02,,\n", encoding="utf-8")
    result = run_pipeline(dirty_landing, tmp_path / "w.duckdb", tmp_path)
    steps, failed, _ = failures(result)
    assert result.success and not steps and not failed
    assert [w.split(": ")[0] for w in warnings(result)] == ["staging/stg_crm__customers:referrer_known"]
    assert (tmp_path / "w.duckdb").exists()
