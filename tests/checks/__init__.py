"""Test helpers: a tiny raw + staging warehouse built from the contract, with a clean client book."""

import copy
from pathlib import Path

import duckdb

from warehouse.contract import COSTS, CUSTOMERS, EXTRACTS, FX_RATES, INTERACTIONS, INVOICE_LINES, RESPONSES

# Personal data the metadata must never show.
CLIENT_NAME = "Anna Kovács"
CLIENT_TAX_ID = "HU12345678"

_CLEAN = {
    CUSTOMERS.raw_table: [
        dict(
            customer_id="C001",
            name=CLIENT_NAME,
            tax_id=CLIENT_TAX_ID,
            country="HU",
            city="Budapest",
            size_band="private",
            created_date="2023-01-10",
            birth_year="1980",
            gender="f",
        ),
        dict(
            customer_id="C002",
            name="Baltic Widgets SRL",
            tax_id="RO98765432",
            country="RO",
            employees="12",
            size_band="small",
            created_date="2023-02-01",
            referred_by_customer_id="C001",
        ),
    ],
    INTERACTIONS.raw_table: [
        dict(
            interaction_id="I1",
            customer_id="C001",
            interaction_type="meeting",
            occurred_at="2024-01-05 10:00:00",
        ),
    ],
    INVOICE_LINES.raw_table: [
        dict(
            invoice_id="INV-1",
            line_number="1",
            customer_id="C001",
            issue_date="2024-01-31",
            service_start_date="2024-01-01",
            service_end_date="2024-01-31",
            quantity="1",
            unit_price="100",
            discount="0",
            net_amount="100.00",
            currency="HUF",
            billing_interval="month",
            document_type="invoice",
        ),
        dict(
            invoice_id="INV-1",
            line_number="2",
            customer_id="C001",
            issue_date="2024-01-31",
            net_amount="20.00",
            currency="HUF",
            billing_interval="one_off",
            document_type="invoice",
        ),
        dict(
            invoice_id="CN-1",
            line_number="1",
            customer_id="C002",
            issue_date="2024-02-15",
            net_amount="-50.00",
            currency="RON",
            billing_interval="quarter",
            document_type="credit_note",
            corrected_invoice_id="INV-0",
        ),
    ],
    COSTS.raw_table: [dict(customer_id="C001", cost_month="2024-01-01", amount="10.00", currency="EUR")],
    RESPONSES.raw_table: [
        dict(
            response_id="R1",
            customer_id="C001",
            survey_type="nps",
            score="9",
            scale_min="0",
            scale_max="10",
            submitted_at="2024-03-01 08:00:00",
            comment=f"{CLIENT_NAME} was very helpful",
        ),
        dict(
            response_id="R2",
            customer_id="C002",
            survey_type="csat",
            score="4",
            scale_min="1",
            scale_max="5",
            submitted_at="2024-03-02 08:00:00",
        ),
    ],
    FX_RATES.raw_table: [
        dict(rate_date="2024-01-02", currency="HUF", units_per_eur="390.5"),
        dict(rate_date="2024-01-02", currency="EUR", units_per_eur="1"),
        # rates on (or within 7 days before) each invoice's issue date, so no line lacks its rate
        dict(rate_date="2024-01-31", currency="HUF", units_per_eur="391.2"),
        dict(rate_date="2024-02-15", currency="RON", units_per_eur="4.97"),
    ],
}


def clean_rows() -> dict[str, list[dict[str, str | None]]]:
    """A fresh copy of the clean fixture, keyed by raw table, for a test to spoil."""
    return copy.deepcopy(_CLEAN)


def build_warehouse(path: Path, rows: dict[str, list[dict[str, str | None]]]) -> Path:
    """Create raw and staging tables from the contract in a DuckDB file and load `rows` into both layers."""
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists raw; create schema if not exists staging")
        lineage = "_source_file varchar, _line_number bigint"
        for e in EXTRACTS:
            raw_cols = ", ".join(f'"{c}" varchar' for c in e.column_names)
            stg_cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in e.columns)
            conn.execute(f"create table raw.{e.raw_table} ({raw_cols}, {lineage})")
            conn.execute(f"create table staging.{e.staging_table} ({stg_cols}, {lineage})")
            names = [*e.column_names, "_source_file", "_line_number"]
            marks = ", ".join("?" for _ in names)
            values = [
                [*(row.get(c) for c in e.column_names), f"{e.entity}.csv", line]
                for line, row in enumerate(rows.get(e.raw_table, []), start=2)
            ]
            for schema, table in (("raw", e.raw_table), ("staging", e.staging_table)):
                if values:
                    conn.executemany(f"insert into {schema}.{table} values ({marks})", values)
        # the tax ids the fixture holds are all valid (or absent): nothing for the invalid_tax_id rule
        conn.execute("create table staging.fx_policy as select 7 as max_age_days")
        conn.execute("create table staging.tax_id_lookup (tax_id varchar, country varchar, "
                     "tax_id_normalised varchar, problem varchar)")
        conn.execute(
            "create table staging.quarantine (entity varchar, source_file varchar, line_number bigint,"
            " column_name varchar, reason_code varchar, raw_value varchar)"
        )
    return path
