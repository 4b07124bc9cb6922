"""Erasure end to end: a planted canary client, erased through the CLI and rebuilt from scratch, is nowhere.

The canary is two CRM records sharing one valid tax id (one client, C900 and C901), a client it
referred (C902), invoices (one with an amount that is quarantined), an interaction, a cost, an NPS
answer whose comment names it and a quarantined answer (score 11 on 0..10) that names it too.
"""

import logging
import shutil
from pathlib import Path

import dagster as dg
import duckdb
from dagster._serdes import serialize_value

from pipelines.cli import main
from pipelines.runner import execute
from tests.e2e.conftest import AS_OF, FIXTURES
from warehouse.ledger import ledger_path_for, read_ledger
from warehouse.publish import previous_path_for, work_path_for

NAME = "Kanári Canary Zrt."
CUSTOMERS = (
    "customer_id,name,tax_id,country,city,industry,size_band,employees,segment,created_date,"
    "referred_by_customer_id,account_owner,birth_year,gender\n"
    f"C900,{NAME},12892312-2-41,HU,Pécs,legal,small,9,SME,2024-01-15,,AO-09,,\n"
    f"C901,{NAME},HU12892312,HU,Pécs,legal,small,9,SME,2024-02-01,,AO-09,,\n"
    "C902,Referált Bt.,,HU,Győr,retail,micro,2,SME,2024-03-01,C900,AO-01,,\n"
)
INVOICES = (
    "invoice_id,line_number,customer_id,issue_date,service_start_date,service_end_date,product,quantity,"
    "unit_price,discount,net_amount,currency,billing_interval,document_type,corrected_invoice_id\n"
    "INV-900,1,C900,2024-02-01,2024-02-01,2024-02-29,RETAINER,1,70,0,70.00,EUR,month,invoice,\n"
    "INV-901,1,C901,2024-03-01,2024-03-01,2024-03-31,RETAINER,1,70,0,70.00,EUR,month,invoice,\n"
    "INV-902,1,C900,2024-06-01,2024-06-01,2024-06-30,RETAINER,1,70,0,seventy,EUR,month,invoice,\n"
)
ANSWERS = (
    f"R900,C900,nps,9,0,10,2024-06-05T10:00:00Z,{NAME} is happy\n"
    f"R901,C901,nps,11,0,10,2024-06-06T10:00:00Z,{NAME} again\n"
)
# what must not be found anywhere once the canary is erased and the warehouse rebuilt
CANARY = ["Kanári", "Canary", "Kanari", "12892312", "C900", "C901"]


def plant(landing: Path) -> None:
    shutil.copytree(FIXTURES / "tiny", landing)
    (landing / "crm" / "customers_2024-06-15.csv").write_text(CUSTOMERS, encoding="utf-8")
    (landing / "billing" / "invoice_lines_2024-06-15.csv").write_text(INVOICES, encoding="utf-8")
    with (landing / "survey" / "responses.csv").open("a", encoding="utf-8") as f:
        f.write(ANSWERS)
    with (landing / "crm" / "interactions.csv").open("a", encoding="utf-8") as f:
        f.write("I900,C900,call,2024-05-20T09:00:00Z\n")
    with (landing / "billing" / "costs.csv").open("a", encoding="utf-8") as f:
        f.write("C901,2024-05-01,20.00,EUR\n")


def run(landing: Path, warehouse: Path, home: Path) -> str:
    """One nightly run; returns every event of it in the instance's event log, serialised."""
    home.mkdir(exist_ok=True)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        result = execute(landing, warehouse, AS_OF, "EUR", instance=instance)
        assert result.success
        return "\n".join(serialize_value(e) for e in instance.all_logs(result.run_id))


def found_in_tables(path: Path) -> list[str]:
    """`schema.table.column` of every text column holding a canary value (substring, case-insensitive)."""
    hits = []
    with duckdb.connect(str(path), read_only=True) as conn:
        columns = conn.execute(
            "select schema_name, table_name, column_name from duckdb_columns() where database_name = "
            "current_database() and not internal and data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            rows = conn.execute(
                f'select count(*) from "{schema}"."{table}" where '
                + " or ".join(f'contains(lower("{column}"), ?)' for _ in CANARY),
                [c.lower() for c in CANARY]).fetchone()
            if rows and rows[0]:
                hits.append(f"{schema}.{table}.{column}")
    return hits


def found_in_bytes(path: Path, values: list[str] | tuple[str, ...] = tuple(CANARY)) -> list[str]:
    data = path.read_bytes()
    return [c for c in values if c.encode("utf-8") in data]


def test_an_erased_canary_is_in_no_table_file_log_or_event(tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    plant(landing)
    first = run(landing, warehouse, tmp_path / "home1")
    work = work_path_for(warehouse)
    assert found_in_tables(work)  # planted: the canary is in the working file (raw, restricted, quarantine)
    assert found_in_tables(warehouse) == [] and found_in_bytes(warehouse) == []  # never published in clear
    quarantined = duckdb.connect(str(work), read_only=True).execute(
        "select count(*) from staging.quarantine where (entity, line_number) in "
        "(('billing__invoice_lines', 4), ('survey__responses', 22))").fetchone()
    assert quarantined == (2,)  # INV-902 (line 4 of its file) and R901 (line 22: 19 answers, then R900)
    run(landing, warehouse, tmp_path / "home_again")  # a second run keeps a previous copy to erase as well
    assert previous_path_for(warehouse).exists()

    # erased by its second CRM id: the crosswalk takes the whole client (both ids)
    assert main(["erase", "--customer", "C901", "--warehouse", str(warehouse), "--reason", "ticket 42"]) == 0
    for path in (work, warehouse, previous_path_for(warehouse)):
        assert found_in_tables(path) == [], path
    for path in (warehouse, previous_path_for(warehouse)):
        assert found_in_bytes(path) == [], path
    [entry] = read_ledger(ledger_path_for(warehouse))
    assert len(entry.pseudonyms) == 2 and entry.reason == "ticket 42"
    for path in (warehouse, previous_path_for(warehouse)):  # the analysts' copies held its pseudonyms
        assert found_in_bytes(path, entry.pseudonyms) == [], path
    assert found_in_bytes(ledger_path_for(warehouse)) == []
    # an unknown client: exit 2, and the id is not echoed back
    assert main(["erase", "--customer", "C77777", "--warehouse", str(warehouse)]) == 2

    # rebuild from scratch on the same landing folder: the ledger keeps the canary out
    for path in (warehouse, work, previous_path_for(warehouse)):
        path.unlink()
    second = run(landing, warehouse, tmp_path / "home2")
    for path in (work, warehouse):
        assert found_in_tables(path) == [], path
        assert found_in_bytes(path) == [], path
    with duckdb.connect(str(work), read_only=True) as conn:
        # the quarantine holds only the fixture's own rows; the canary's lines are not quarantined
        assert conn.execute("select entity, line_number, reason_code from staging.quarantine order by all"
                            ).fetchall() == [("billing__invoice_lines", 23, "invalid_decimal"),
                                             ("billing__invoice_lines", 24, "missing_required"),
                                             ("crm__customers", 8, "invalid_date"),
                                             ("survey__responses", 20, "score_out_of_scale")]
        # rows of erased clients never reach raw (so staging reconciles as before); the manifest counts
        # them in rows_read: costs 2 + C901's, invoice lines INV-900..902, C900 and C901, I900, R900 and R901
        assert conn.execute("select file_name, rows_read, message from raw.file_manifest where "
                            "reason_code = 'erased_subject' order by 1").fetchall() == [
            ("billing/costs.csv", 3, "1 row(s) of erased clients left out"),
            ("billing/invoice_lines_2024-06-15.csv", 3, "3 row(s) of erased clients left out"),
            ("crm/customers_2024-06-15.csv", 3, "2 row(s) of erased clients left out"),
            ("crm/interactions.csv", 5, "1 row(s) of erased clients left out"),
            ("survey/responses.csv", 21, "2 row(s) of erased clients left out"),
        ]
        # C902, which the canary referred, stays, without its referrer
        assert conn.execute("select referred_by_customer_id from marts.dim_customers where customer_id = 'C902'"
                            ).fetchall() == [(None,)]

    out = capsys.readouterr()
    logs = "\n".join(r.getMessage() for r in caplog.records)
    events = first + second
    assert "dim_customers" in events  # the event logs were read
    for text in (out.out, out.err, logs, events):
        assert [c for c in CANARY if c in text] == []
    for path in [*(tmp_path / "home1").rglob("*"), *(tmp_path / "home2").rglob("*")]:
        if path.is_file():
            assert found_in_bytes(path) == [], path
