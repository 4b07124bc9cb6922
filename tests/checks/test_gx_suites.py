"""Each GX rule passes the clean client book and fails its own dirty fixture, on real DuckDB and real GX."""

import itertools

import duckdb
import great_expectations as gx
import pytest

from checks import gx_sql
from checks.gx_runner import _session, run_suite
from checks.gx_suites import SuiteSpec, all_suites, suite_for
from tests.checks import CLIENT_NAME, CLIENT_TAX_ID, build_warehouse, clean_rows
from warehouse.contract import (
    BY_RAW_TABLE,
    COSTS,
    CUSTOMERS,
    FX_RATES,
    INTERACTIONS,
    INVOICE_LINES,
    RESPONSES,
)

CUS, INT, INV, CST, RSP, FX = (
    e.raw_table for e in (CUSTOMERS, INTERACTIONS, INVOICE_LINES, COSTS, RESPONSES, FX_RATES)
)
NOT_NULL, UNIQUE, COMPOUND = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
)
IN_SET = "expect_column_values_to_be_in_set"
_DB_NUMBER = itertools.count()


def run(tmp_path, rows, layer, raw_table, sql=None):
    """Build the warehouse, optionally spoil it with SQL, and run one suite on both engines.

    The SQL engine (the default) must reach exactly GX's own verdicts and counts, every expectation.
    """
    path = build_warehouse(tmp_path / f"wh{next(_DB_NUMBER)}.duckdb", rows)
    with duckdb.connect(str(path)) as conn:
        if sql:
            conn.execute(sql)
        spec = suite_for(layer, BY_RAW_TABLE[raw_table])
        in_sql, in_gx = run_suite(conn, spec), run_suite(conn, spec, engine="pandas")
    assert in_sql == in_gx
    return in_sql


def test_clean_book_passes_every_suite(tmp_path):
    path = build_warehouse(tmp_path / "wh.duckdb", clean_rows())
    with duckdb.connect(str(path)) as conn:
        summaries = [run_suite(conn, spec) for spec in all_suites()]
        assert summaries == [run_suite(conn, spec, engine="pandas") for spec in all_suites()]
        # every suite of the contract runs in DuckDB, its value sets matching its columns' types: none falls
        # back to a pandas copy
        batches = {spec.name: conn.sql(spec.query) for spec in all_suites()}
        types = {name: dict(zip(b.columns, map(str, b.types), strict=True)) for name, b in batches.items()}
    assert [(s.suite_name, s.failed) for s in summaries if not s.success] == []
    assert all(s.row_count > 0 for s in summaries)
    assert [s.name for s in all_suites() if not gx_sql.supported(s.expectations, types[s.name])] == []


@pytest.mark.parametrize(
    ("expectation", "types"),
    [
        (gx.expectations.ExpectColumnValuesToBeInSet(column="c", value_set=[1, 2]), {"c": "VARCHAR"}),
        (gx.expectations.ExpectColumnValuesToBeInSet(column="c", value_set=["1"]), {"c": "BIGINT"}),
        (gx.expectations.ExpectColumnValuesToBeInSet(column="c", value_set=[1, "a"]), {}),
        (gx.expectations.ExpectColumnValuesToBeInSet(column="c", value_set={"$PARAMETER": "codes"}), {}),
        (gx.expectations.ExpectColumnValuesToNotBeNull(column="c", mostly={"$PARAMETER": "share"}), {}),
        (gx.expectations.ExpectTableRowCountToBeBetween(min_value=1, strict_min=True), {}),
        (gx.expectations.ExpectTableRowCountToBeBetween(min_value={"$PARAMETER": "least"}), {}),
        (gx.expectations.ExpectColumnValuesToBeInSet(column="c", value_set=["a"], row_condition='c=="a"',
                                                     condition_parser="pandas"), {}),
    ],
    ids=["int set on text", "text set on int", "mixed set", "suite parameter set", "suite parameter mostly",
         "strict bound", "suite parameter bound", "row condition"],
)
def test_what_the_sql_engine_does_not_evaluate_goes_to_gx(expectation, types):
    assert not gx_sql.supported((expectation,), types)
    assert gx_sql.supported((gx.expectations.ExpectColumnValuesToBeInSet(column="c", value_set=["a"]),),
                            {"c": "VARCHAR"})


def test_an_integer_set_on_a_text_column_gets_gx_own_verdict(tmp_path):
    # DuckDB would compare '1' with 1 after a cast; GX's pandas engine does not: the suite falls back to GX
    spec = SuiteSpec(name="t", query="select * from (values ('1'), ('2'), ('x')) as v(c)",
                     expectations=(gx.expectations.ExpectColumnValuesToBeInSet(column="c", value_set=[1, 2]),))
    with duckdb.connect() as conn:
        in_sql, in_gx = run_suite(conn, spec), run_suite(conn, spec, engine="pandas")
    assert in_sql == in_gx and not in_sql.success and in_sql.outcomes[0].unexpected_count == 3


def _set(raw_table, index, **values):
    """A spoiler that overwrites fields of one clean row."""
    return lambda rows: rows[raw_table][index].update(values)


def _dup(raw_table, index):
    """A spoiler that repeats one clean row, so its key is no longer unique."""
    return lambda rows: rows[raw_table].append(dict(rows[raw_table][index]))


ORPHAN = {(IN_SET, "_unknown_customer__customer_id")}

DIRTY = {
    "null key": ("staging", INV, _set(INV, 0, invoice_id=None), {(NOT_NULL, "invoice_id")}),
    "blank raw key": ("raw", CUS, _set(CUS, 1, customer_id="  "), {(NOT_NULL, "customer_id")}),
    "duplicate key": ("staging", CUS, _dup(CUS, 1), {(UNIQUE, "customer_id")}),
    "duplicate compound key": ("staging", INV, _dup(INV, 1), {(COMPOUND, "invoice_id,line_number")}),
    "unknown document type": (
        "staging",
        INV,
        _set(INV, 1, document_type="proforma"),
        {(IN_SET, "document_type")},
    ),
    "unknown survey type": ("staging", RSP, _set(RSP, 1, survey_type="nps2"), {(IN_SET, "survey_type")}),
    "unknown gender": ("staging", CUS, _set(CUS, 0, gender="female"), {(IN_SET, "gender")}),
    "score out of scale": ("staging", RSP, _set(RSP, 1, score="6"), {(IN_SET, "_score_out_of_scale__score")}),
    "nps on 1..10": ("staging", RSP, _set(RSP, 0, scale_min="1"), {(IN_SET, "_nps_scale__scale_max")}),
    "orphan invoice line": ("staging", INV, _set(INV, 2, customer_id="C999"), ORPHAN),
    "orphan interaction": ("staging", INT, _set(INT, 0, customer_id="C999"), ORPHAN),
    "orphan cost": ("staging", CST, _set(CST, 0, customer_id="C999"), ORPHAN),
    "orphan response": ("staging", RSP, _set(RSP, 0, customer_id="C999"), ORPHAN),
    "positive credit note": (
        "staging",
        INV,
        _set(INV, 2, net_amount="50.00"),
        {(IN_SET, "_credit_note_positive__net_amount")},
    ),
    "line number 0": ("staging", INV, _set(INV, 1, line_number="0"), {(IN_SET, "_out_of_range__line_number")}),
    "service period reversed": (
        "staging",
        INV,
        _set(INV, 0, service_end_date="2023-12-31"),
        {(IN_SET, "_period_reversed__service_end_date")},
    ),
    "bad currency code": ("staging", INV, _set(INV, 0, currency="Huf"), {(IN_SET, "_invalid_currency__currency")}),
    "bad fx currency": ("staging", FX, _set(FX, 0, currency="HUFF"), {(IN_SET, "_invalid_currency__currency")}),
    "bad country code": ("staging", CUS, _set(CUS, 0, country="hu"), {(IN_SET, "_invalid_country__country")}),
    "zero fx rate": ("staging", FX, _set(FX, 0, units_per_eur="0"), {(IN_SET, "_invalid_rate__units_per_eur")}),
    "eur rate not one": (
        "staging", FX, _set(FX, 1, units_per_eur="1.1"), {(IN_SET, "_eur_rate_not_one__units_per_eur")}
    ),
    "negative cost": ("staging", CST, _set(CST, 0, amount="-1.00"), {(IN_SET, "_out_of_range__amount")}),
    "cost month mid-month": (
        "staging",
        CST,
        _set(CST, 0, cost_month="2024-01-15"),
        {(IN_SET, "_not_month_start__cost_month")},
    ),
    "birth year in future": (
        "staging",
        CUS,
        _set(CUS, 0, birth_year="2999"),
        {(IN_SET, "_out_of_range__birth_year")},
    ),
    "negative employees": ("staging", CUS, _set(CUS, 1, employees="-3"), {(IN_SET, "_out_of_range__employees")}),
}


@pytest.mark.parametrize("case", DIRTY, ids=list(DIRTY))
def test_dirty_fixture_fails_only_its_rule(tmp_path, case):
    layer, raw_table, spoil, expected = DIRTY[case]
    rows = clean_rows()
    spoil(rows)
    summary = run(tmp_path, rows, layer, raw_table)
    assert not summary.success
    assert {(o.expectation_type, ",".join(o.columns)) for o in summary.failed} == expected
    # Exactly the spoiled row; GX counts both copies of a duplicated key.
    assert [o.unexpected_count for o in summary.failed] == [2 if case.startswith("duplicate") else 1]
    assert CLIENT_NAME not in str(summary) and CLIENT_TAX_ID not in str(summary)


def test_raw_tolerates_a_few_rows_staging_must_quarantine(tmp_path):
    rows = clean_rows()
    rows[INV] += [dict(rows[INV][1], invoice_id=f"INV-{n}") for n in range(2, 10)]
    rows[INV][-1]["currency"] = None  # 1 of 11 rows: under the 10% a raw extract may lack
    raw = run(tmp_path, rows, "raw", INV)
    (currency,) = [o for o in raw.outcomes if o.columns == ("currency",)]
    assert raw.success and currency.success and currency.unexpected_count == 1
    staging = run(tmp_path, rows, "staging", INV)
    assert {(o.expectation_type, o.columns) for o in staging.failed} == {(NOT_NULL, ("currency",))}


def test_raw_missing_contract_column_fails(tmp_path):
    summary = run(tmp_path, clean_rows(), "raw", CUS, "alter table raw.crm__customers drop column country")
    failed = {(o.expectation_type, o.columns) for o in summary.failed}
    # The column set check fails, and so does not-null on the missing required column (GX raises).
    assert failed == {("expect_table_columns_to_match_set", ()), (NOT_NULL, ("country",))}
    assert all(o.raised_exception for o in summary.failed if o.columns)


def test_mandatory_extract_must_have_rows_optional_may_be_empty(tmp_path):
    rows = clean_rows()
    rows[INV], rows[CST] = [], []
    assert run(tmp_path, rows, "raw", CST).success and run(tmp_path, rows, "staging", CST).success
    for layer in ("raw", "staging"):
        summary = run(tmp_path, rows, layer, INV)
        assert [o.expectation_type for o in summary.failed] == ["expect_table_row_count_to_be_between"]


def test_repeated_runs_reuse_registration_and_changed_suite_is_not_confused(tmp_path, capfd):
    path = build_warehouse(tmp_path / "wh.duckdb", clean_rows())
    spec = suite_for("staging", FX_RATES)
    stricter = SuiteSpec(
        spec.name, spec.query, (*spec.expectations, *suite_for("raw", CUSTOMERS).expectations[:1])
    )
    with duckdb.connect(str(path)) as conn:
        conn.execute("delete from staging.stg_fx__rates")
        first = run_suite(conn, spec)
        gx.get_context(mode="ephemeral")  # other code in the process making its own context must not matter
        again = run_suite(conn, suite_for("staging", FX_RATES))
        changed = run_suite(conn, stricter)
    assert first == again and first.success
    assert _session().validation_for(spec) is _session().validation_for(suite_for("staging", FX_RATES))
    assert "Calculating Metrics" not in capfd.readouterr().err  # GX progress bars are off
    # Same name, one more expectation (at least one row): registered apart, so it has its own verdict.
    assert not changed.success and len(changed.outcomes) == len(first.outcomes) + 1
