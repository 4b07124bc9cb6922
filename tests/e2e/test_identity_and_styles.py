"""One client identity across CRM duplicates, and the same warehouse from HU, RO and PL style exports."""

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.demo import write_demo_extracts
from pipelines.runner import execute
from tests.e2e.conftest import query, run_pipeline
from warehouse.fingerprint import file_fingerprints

CUSTOMER_HEADER = ("customer_id,name,tax_id,country,city,industry,size_band,employees,segment,created_date,"
                   "referred_by_customer_id,account_owner,birth_year,gender\n")
LINE_HEADER = ("invoice_id,line_number,customer_id,issue_date,service_start_date,service_end_date,net_amount,"
               "currency,billing_interval,document_type\n")


def test_crm_duplicates_sharing_a_valid_tax_id_are_one_client(dirty_landing, tmp_path):
    # C8 is C1 again, entered a second time with its EU VAT form of the same tax id (HU12345676 =
    # törzsszám of 12345676-2-41); C9 carries a tax id whose check digit is wrong (12345677)
    (dirty_landing / "crm" / "customers_2024-06-15.csv").write_text(
        CUSTOMER_HEADER
        + "C8,KOVÁCS ÉS TÁRSA KFT,HU 12345676,HU,Szeged,it_services,small,14,SME,2024-03-01,,AO-01,,\n"
        + "C9,Hibás Adószám Bt.,12345677-2-41,HU,Pécs,retail,micro,2,SME,2024-03-01,,AO-01,,\n",
        encoding="utf-8")
    # C8 is billed 40 EUR for June: it counts as the client C1
    (dirty_landing / "billing" / "invoice_lines_2024-06-15.csv").write_text(
        LINE_HEADER + "INV-C8,1,C8,2024-06-02,2024-06-01,2024-06-30,40.00,EUR,month,invoice\n", encoding="utf-8")
    assert run_pipeline(dirty_landing, tmp_path / "w.duckdb", tmp_path).success
    warehouse = tmp_path / "w.work.duckdb"  # ids, tax ids and name keys: the analysts' copy hides them
    assert query(warehouse, "select source_customer_id, client_key, tax_id_normalised, match_rule, valid_from "
                            "from marts.client_crosswalk where client_key = 'C1' order by 1") == [
        ("C1", "C1", "HU12345676", "own_id", dt.date(2023, 12, 1)),  # the earliest created record keys the client
        ("C8", "C1", "HU12345676", "same_tax_id", dt.date(2024, 3, 1)),
    ]
    # both name spellings give one match key: case, the Kft. suffix and the dot do not matter
    assert query(warehouse, "select distinct name_match_key from marts.client_crosswalk "
                            "where client_key = 'C1'") == [("kovács és társa",)]
    assert query(warehouse, "select source_ids from marts.dim_customers where customer_id = 'C1'") == [(2,)]
    assert query(warehouse, "select count(*) from marts.dim_customers where customer_id = 'C8'") == [(0,)]
    # C9's invalid tax id is quarantined as such, never repaired
    assert query(warehouse, "select line_number, column_name, reason_code, raw_value from staging.quarantine "
                            "where source_file = 'crm/customers_2024-06-15.csv'") == [
        (3, "tax_id", "invalid_tax_id", "12345677-2-41")]
    # June MRR was 390 (tests/e2e/test_tiny_extracts.py); C8's 40 EUR lands on C1: 430
    assert query(warehouse, "select ending_mrr::double from metrics.mrr_by_month "
                            "where revenue_month = date '2024-06-01'") == [(430.0,)]
    assert query(warehouse, "select mrr::double from metrics.mrr_by_customer_month "
                            "where customer_id = 'C1' and revenue_month = date '2024-06-01'") == [(190.0,)]


def _fingerprints(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Every metrics and valuation table (bookkeeping columns left out: warehouse/fingerprint.py)."""
    return file_fingerprints(warehouse, skip_schemas=frozenset({"raw", "staging", "marts", "restricted"}))


@pytest.fixture(scope="module")
def canonical(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    return _build("canonical", tmp_path_factory.mktemp("canonical"))


def _build(style: str, tmp: Path) -> dict[str, tuple]:
    landing = tmp / "landing"
    as_of = dt.date(2026, 10, 31)  # within the tests' partitions (tests/conftest.py)
    write_demo_extracts(landing, clients=80, years=2, seed=7, as_of=as_of, style=style)
    for f in landing.rglob("*"):  # landed long ago: no wait for the files to settle
        os.utime(f, (0, 0))
    home = tmp / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        result = execute(landing, tmp / "w.duckdb", as_of, "EUR", instance=instance)
    assert result.success
    return _fingerprints(tmp / "w.duckdb")


@pytest.mark.parametrize("style", ["hu", "ro", "pl"])
def test_each_local_style_gives_the_canonical_warehouse(style, canonical, tmp_path):
    # the same demo book written as a Hungarian, Romanian or Polish export (encodings, separators,
    # local dates and times, currency aliases, an Excel survey) must give every metric and value
    # exactly as the canonical CSVs do
    assert _build(style, tmp_path) == canonical
