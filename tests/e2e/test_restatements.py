"""Late data: a credit note for a closed month restates that month and the months that depend on it."""

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.runner import execute
from tests.e2e.conftest import FIXTURES
from warehouse.fingerprint import differing_tables, file_fingerprints
from warehouse.publish import work_path_for

CORRECTION = "billing/invoice_lines_2024-07-01.csv"
# C3's April invoice INV-32 was 60.00 EUR; on 1 July a credit note takes 20.00 off it
CREDIT_NOTE = (
    "invoice_id,line_number,customer_id,issue_date,service_start_date,service_end_date,product,quantity,"
    "unit_price,discount,net_amount,currency,billing_interval,document_type,corrected_invoice_id\n"
    "CN-2,1,C3,2024-07-01,,,PAYROLL,1,-20,0,-20.00,EUR,month,credit_note,INV-32\n"
)


def _run(landing: Path, warehouse: Path, home: Path, as_of: dt.date) -> dg.ExecuteInProcessResult:
    home.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        result = execute(landing, warehouse, as_of, "EUR", instance=instance)
    assert result.success
    return result


@pytest.fixture(scope="module")
def restated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, int]], str]:
    """The tiny book built on 30 June, then again on 1 July after the credit note landed."""
    tmp = tmp_path_factory.mktemp("restate")
    landing, warehouse = tmp / "landing", tmp / "clientbook.duckdb"
    shutil.copytree(FIXTURES / "tiny", landing)
    _run(landing, warehouse, tmp / "home", dt.date(2024, 6, 30))
    before = file_fingerprints(warehouse)
    (landing / CORRECTION).write_text(CREDIT_NOTE, encoding="utf-8")
    result = _run(landing, warehouse, tmp / "home", dt.date(2024, 7, 1))
    return warehouse, before, result.run_id


def _log(warehouse: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select restated_month, rows_before, rows_after, total_before, total_after, files "
            "from metrics.restatement_log where table_name = ? order by restated_month", [table]
        ).fetchall()


def test_the_credit_note_restates_april_and_may_of_the_mrr_tables(restated: tuple[Path, dict, str]) -> None:
    warehouse, _, _ = restated
    april, may = dt.date(2024, 4, 1), dt.date(2024, 5, 1)
    log = _log(warehouse, "metrics.mrr_by_customer_month")
    # April: C3's MRR 60.00 → 40.00, so the month's total MRR drops by exactly 20.00.
    # May: C3 is back to 60.00: MRR unchanged, but its previous month fell, so retained becomes an
    # expansion of +20.00; the May rows change while May's total does not. June: previous (60) unchanged.
    assert [row[0] for row in log] == [april, may]
    assert log[0][3] - log[0][4] == Decimal("20.00")
    assert log[1][3] == log[1][4]
    assert all(row[5] == CORRECTION for row in log)  # why: the one file loaded since
    # the bridge: April's ending MRR (−20) and May's starting MRR (−20); June starts from May (unchanged)
    assert [row[0] for row in _log(warehouse, "metrics.mrr_by_month")] == [april, may]
    assert [row[0] for row in _log(warehouse, "metrics.churn_by_month")] == [april, may]
    # revenue, profit and concentration are per month: April alone
    for table in ("metrics.profit_by_customer_month", "metrics.concentration_by_month",
                  "metrics.retention_by_cohort"):
        assert [row[0] for row in _log(warehouse, table)] == [april], table
    # no survey changed: the satisfaction months stand
    assert _log(warehouse, "metrics.nps_by_month") == []


def test_restated_rows_say_so_and_the_others_do_not(restated: tuple[Path, dict, str]) -> None:
    warehouse, _, _ = restated
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        flagged = conn.execute(
            "select revenue_month, bool_and(is_restated), count(*) from metrics.mrr_by_month group by all "
            "having bool_or(is_restated) order by 1"
        ).fetchall()
    # client ids are pseudonyms in the published copy: client-level rows are read from the working file
    with duckdb.connect(str(work_path_for(warehouse)), read_only=True) as conn:
        c3 = conn.execute(
            "select revenue_month, mrr, movement from metrics.mrr_by_customer_month "
            "where customer_id = 'C3' and revenue_month between '2024-04-01' and '2024-05-01' order by 1"
        ).fetchall()
    assert flagged == [(dt.date(2024, 4, 1), True, 1), (dt.date(2024, 5, 1), True, 1)]
    assert c3 == [(dt.date(2024, 4, 1), Decimal("40.00"), "reactivation"),
                  (dt.date(2024, 5, 1), Decimal("60.00"), "expansion")]


def test_the_run_summary_lists_the_restated_months(restated: tuple[Path, dict, str]) -> None:
    warehouse, before, run_id = restated
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        runs = conn.execute("select distinct run_id from metrics.restatement_log").fetchall()
    assert runs == [(run_id,)]
    changed = differing_tables(before, file_fingerprints(warehouse))
    assert "metrics.nps_by_month" not in changed and "metrics.mrr_by_month" in changed


def test_a_resent_file_changes_nothing(restated: tuple[Path, dict, str], tmp_path: Path) -> None:
    warehouse, _, _ = restated
    copy = tmp_path / "clientbook.duckdb"
    for path in warehouse.parent.glob("clientbook*.duckdb"):
        shutil.copyfile(path, tmp_path / path.name)
    landing = warehouse.parent / "landing"
    published, work = file_fingerprints(copy), file_fingerprints(work_path_for(copy))
    shutil.copyfile(landing / CORRECTION, landing / "billing/invoice_lines_2024-07-01_resent.csv")
    try:
        _run(landing, copy, tmp_path / "home", dt.date(2024, 7, 1))
    finally:
        (landing / "billing/invoice_lines_2024-07-01_resent.csv").unlink()
    # the working file's manifest notes the re-sent file as a skipped duplicate; no other table
    # changes, and the analysts' copy (which has no raw layer) is the same
    assert differing_tables(work, file_fingerprints(work_path_for(copy))) == ["raw.file_manifest"]
    assert differing_tables(published, file_fingerprints(copy)) == []
    with duckdb.connect(str(work_path_for(copy)), read_only=True) as conn:
        assert conn.execute("select status from raw.file_manifest where file_name like '%_resent.csv'"
                            ).fetchall() == [("skipped_duplicate",)]
