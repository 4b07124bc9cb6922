"""The demo generator: deterministic, shaped like the contract, internally consistent and realistic enough."""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from stdnum.at import uid
from stdnum.cz import dic
from stdnum.de import vat as de_vat
from stdnum.eu import vat as eu_vat
from stdnum.hu import anum
from stdnum.pl import nip
from stdnum.ro import cui
from stdnum.sk import dph

from pipelines.demo import write_demo_extracts
from warehouse.contract import COSTS, CUSTOMERS, INTERACTIONS, INVOICE_LINES, RESPONSES

AS_OF = date(2026, 10, 31)
FILES = {
    "crm/customers": CUSTOMERS,
    "crm/interactions": INTERACTIONS,
    "billing/invoice_lines": INVOICE_LINES,
    "billing/costs": COSTS,
    "survey/responses": RESPONSES,
}
UNITS_PER_EUR = {"HUF": 390.0, "RON": 5.0, "PLN": 4.3, "EUR": 1.0}


def _read(root: Path, key: str) -> pl.DataFrame:
    """A demo file with every column as text (empty fields as null), as the raw layer would see it."""
    return pl.read_csv(root / f"{key}.csv", infer_schema=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("demo_small")
    return root, write_demo_extracts(root, clients=200, years=2, seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("demo_default")
    return root, write_demo_extracts(root, as_of=AS_OF)


@pytest.fixture(scope="module")
def frames(small: tuple[Path, dict[str, int]]) -> dict[str, pl.DataFrame]:
    return {key: _read(small[0], key) for key in FILES}


def _month_index(col: str) -> pl.Expr:
    """Months since year 0 of an ISO date (or timestamp) text column."""
    d = pl.col(col).str.slice(0, 10).str.to_date("%Y-%m-%d")
    return d.dt.year() * 12 + d.dt.month() - 1


def test_same_seed_same_bytes_other_seed_differs(small, tmp_path):
    root, _ = small
    again = write_demo_extracts(tmp_path / "again", clients=200, years=2, seed=7, as_of=AS_OF)
    other = write_demo_extracts(tmp_path / "other", clients=200, years=2, seed=8, as_of=AS_OF)
    assert again == small[1]
    for key in FILES:
        assert (tmp_path / "again" / f"{key}.csv").read_bytes() == (root / f"{key}.csv").read_bytes(), key
    assert any(
        (tmp_path / "other" / f"{key}.csv").read_bytes() != (root / f"{key}.csv").read_bytes()
        for key in FILES
    )
    assert other["crm/customers"] == 200


def test_files_and_headers_follow_the_contract(small):
    root, counts = small
    assert sorted(counts) == sorted(FILES)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.csv")) == sorted(
        f"{k}.csv" for k in FILES
    )
    for key, extract in FILES.items():
        raw = (root / f"{key}.csv").read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw
        header = raw.split(b"\n", 1)[0].decode()
        assert header.split(",") == list(extract.column_names), key


def test_returned_counts_are_the_file_rows(small):
    root, counts = small
    for key, rows in counts.items():
        with (root / f"{key}.csv").open(encoding="utf-8", newline="") as fh:
            assert sum(1 for _ in csv.reader(fh)) - 1 == rows, key
        assert rows > 0, key


def test_keys_unique_and_required_values_present(frames):
    for key, extract in FILES.items():
        df = frames[key]
        assert df.select(extract.key).is_duplicated().sum() == 0, key
        for col in extract.required_names:
            assert df[col].null_count() == 0, (key, col)
        for col in extract.columns:
            if col.accepted:
                assert set(df[col.name].drop_nulls().unique()) <= set(col.accepted), (key, col.name)


def test_every_customer_reference_exists(frames):
    ids = set(frames["crm/customers"]["customer_id"])
    assert all(re.fullmatch(r"C\d{6}", i) for i in ids)
    for key in ("crm/interactions", "billing/invoice_lines", "billing/costs", "survey/responses"):
        assert set(frames[key]["customer_id"]) <= ids, key
    referrers = frames["crm/customers"].drop_nulls("referred_by_customer_id")
    assert set(referrers["referred_by_customer_id"]) <= ids
    created = dict(
        zip(frames["crm/customers"]["customer_id"], frames["crm/customers"]["created_date"], strict=True)
    )
    for child, parent in referrers.select("customer_id", "referred_by_customer_id").iter_rows():
        assert created[parent] < created[child]


def test_nothing_happens_after_as_of(frames):
    limit = AS_OF.isoformat()
    checks = {
        "crm/customers": ["created_date"],
        "billing/invoice_lines": ["issue_date"],
        "billing/costs": ["cost_month"],
        "survey/responses": ["submitted_at"],
        "crm/interactions": ["occurred_at"],
    }
    for key, cols in checks.items():
        for col in cols:
            assert frames[key][col].str.slice(0, 10).max() <= limit, (key, col)
    lines = frames["billing/invoice_lines"]
    first = lines["issue_date"].str.to_date().min()
    assert (first.year, first.month) == (2024, 11)  # 2 years x 12 months ending October 2026


def test_formats_dates_timestamps_and_money(frames):
    lines = frames["billing/invoice_lines"]
    for col in ("issue_date", "service_start_date", "service_end_date"):
        assert lines[col].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2}$").all(), col
    for col in ("unit_price", "discount", "net_amount"):
        assert lines[col].str.contains(r"^-?\d+\.\d{2}$").all(), col
    assert (
        frames["survey/responses"]["submitted_at"]
        .str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        .all()
    )
    assert (
        frames["crm/interactions"]["occurred_at"]
        .str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        .all()
    )
    assert frames["billing/costs"]["cost_month"].str.ends_with("-01").all()
    assert lines["invoice_id"].str.contains(r"^(INV|CN)-\d{4}-\d{6}$").all()


def test_tax_ids_are_valid(frames):
    customers = frames["crm/customers"]
    private = customers.filter(pl.col("size_band") == "private")
    companies = customers.filter(pl.col("size_band") != "private")
    assert private["tax_id"].null_count() == private.height
    assert private["birth_year"].null_count() == 0 and set(private["gender"]) <= {"f", "m"}
    assert companies["tax_id"].null_count() == 0
    assert companies["birth_year"].null_count() == companies.height
    validators = {
        "HU": lambda t: re.fullmatch(r"\d{8}-[1-5]-\d{2}", t) and anum.is_valid(t[:8]),
        "RO": cui.is_valid,
        "PL": lambda t: re.fullmatch(r"\d{3}-\d{3}-\d{2}-\d{2}", t) and nip.is_valid(t),
        "DE": lambda t: de_vat.is_valid(t) and eu_vat.is_valid(t),
        "AT": lambda t: uid.is_valid(t) and eu_vat.is_valid(t),
        "CZ": lambda t: dic.is_valid(t) and eu_vat.is_valid(t),
        "SK": lambda t: dph.is_valid(t) and eu_vat.is_valid(t),
    }
    seen = set()
    for country, tax_id in companies.select("country", "tax_id").iter_rows():
        assert validators[country](tax_id), (country, tax_id)
        seen.add(country)
    assert {"HU", "RO", "PL"} <= seen


def test_tax_ids_of_every_country_at_scale(default):
    customers = _read(default[0], "crm/customers").drop_nulls("tax_id")
    validators = {
        "HU": lambda t: anum.is_valid(t[:8]),
        "RO": cui.is_valid,
        "PL": nip.is_valid,
        "DE": lambda t: de_vat.is_valid(t) and eu_vat.is_valid(t),
        "AT": lambda t: uid.is_valid(t) and eu_vat.is_valid(t),
        "CZ": lambda t: dic.is_valid(t) and eu_vat.is_valid(t),
        "SK": lambda t: dph.is_valid(t) and eu_vat.is_valid(t),
    }
    for country, validate in validators.items():
        sample = customers.filter(pl.col("country") == country)["tax_id"].head(40)
        assert sample.len() >= 10, country
        assert all(validate(t) for t in sample), country


def test_net_amount_is_quantity_times_price_minus_discount(frames):
    lines = frames["billing/invoice_lines"]
    for qty, price, disc, net, ccy in lines.select(
        "quantity", "unit_price", "discount", "net_amount", "currency"
    ).iter_rows():
        expected = (Decimal(qty) * Decimal(price) - Decimal(disc)).quantize(Decimal("0.01"))
        assert Decimal(net) == expected, (qty, price, disc, net)
        if ccy == "HUF":
            assert Decimal(net) == Decimal(net).to_integral_value()
    invoices = lines.filter(pl.col("document_type") == "invoice")
    assert (invoices["net_amount"].cast(pl.Float64) > 0).all()
    assert invoices["corrected_invoice_id"].null_count() == invoices.height


def test_recurring_lines_cover_their_billing_period(frames):
    lines = frames["billing/invoice_lines"].filter(
        (pl.col("document_type") == "invoice") & (pl.col("billing_interval") != "one_off")
    )
    assert (lines["service_start_date"] == lines["issue_date"]).all()
    assert lines["issue_date"].str.ends_with("-01").all()
    months = lines.select(
        pl.col("billing_interval"),
        span=_month_index("service_end_date") - _month_index("service_start_date") + 1,
        end_is_month_end=pl.col("service_end_date").str.to_date().dt.month_end()
        == pl.col("service_end_date").str.to_date(),
    )
    assert months["end_is_month_end"].all()
    expected = {"month": 1, "quarter": 3, "year": 12}
    for interval, span in months.select("billing_interval", "span").unique().iter_rows():
        assert expected[interval] == span
    assert lines.group_by("invoice_id").agg(pl.col("customer_id").n_unique())["customer_id"].max() == 1


def test_credit_notes_reverse_an_existing_invoice_line(frames):
    lines = frames["billing/invoice_lines"]
    notes = lines.filter(pl.col("document_type") == "credit_note")
    assert notes.height > 0
    assert notes["invoice_id"].str.starts_with("CN-").all()
    assert (notes["net_amount"].cast(pl.Float64) < 0).all()
    invoices = lines.filter(pl.col("document_type") == "invoice")
    joined = notes.join(
        invoices, left_on="corrected_invoice_id", right_on="invoice_id", how="left", suffix="_inv"
    )
    matched = joined.filter(
        (pl.col("customer_id") == pl.col("customer_id_inv"))
        & (pl.col("billing_interval") == pl.col("billing_interval_inv"))
        & pl.col("service_start_date").eq_missing(pl.col("service_start_date_inv"))
        & pl.col("service_end_date").eq_missing(pl.col("service_end_date_inv"))
        & (pl.col("currency") == pl.col("currency_inv"))
        & (pl.col("issue_date") >= pl.col("issue_date_inv"))
        & (pl.col("net_amount").cast(pl.Float64) + pl.col("net_amount_inv").cast(pl.Float64) >= 0)
    )
    assert set(matched["invoice_id"]) == set(notes["invoice_id"])


def test_costs_follow_revenue(frames):
    lines = frames["billing/invoice_lines"].filter(
        (pl.col("document_type") == "invoice") & (pl.col("billing_interval") == "month")
    )
    monthly = lines.group_by("customer_id", "issue_date").agg(
        revenue=pl.col("net_amount").cast(pl.Float64).sum()
    )
    costs = frames["billing/costs"].with_columns(pl.col("amount").cast(pl.Float64))
    joined = monthly.join(
        costs, left_on=["customer_id", "issue_date"], right_on=["customer_id", "cost_month"]
    )
    assert joined.height == monthly.height  # every paid month has a cost row
    ratio = (joined["amount"] / joined["revenue"]).median()
    assert 0.5 < ratio < 0.8
    assert (costs["amount"] > 0).all()
    currencies = frames["billing/invoice_lines"].group_by("customer_id").agg(pl.col("currency").first())
    assert (
        costs.join(currencies, on="customer_id")
        .filter(pl.col("currency") != pl.col("currency_right"))
        .is_empty()
    )


def test_surveys_use_their_scales(frames):
    responses = frames["survey/responses"].with_columns(
        pl.col("score", "scale_min", "scale_max").cast(pl.Int64)
    )
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    for kind, lo, hi in responses.select("survey_type", "scale_min", "scale_max").unique().iter_rows():
        assert scales[kind] == (lo, hi)
    assert responses.filter(
        (pl.col("score") < pl.col("scale_min")) | (pl.col("score") > pl.col("scale_max"))
    ).is_empty()


def _paid_months(lines: pl.DataFrame) -> pl.DataFrame:
    """(customer_id, month index) for every month a recurring invoice pays for, up to as_of."""
    recurring = lines.filter(
        (pl.col("document_type") == "invoice") & (pl.col("billing_interval") != "one_off")
    )
    spans = recurring.select(
        "customer_id", first=_month_index("service_start_date"), last=_month_index("service_end_date")
    )
    limit = AS_OF.year * 12 + AS_OF.month - 1
    return (
        spans.select("customer_id", month=pl.int_ranges("first", pl.col("last") + 1))
        .explode("month")
        .filter(pl.col("month") <= limit)
        .unique()
    )


def test_book_shape_at_default_size(default):
    root, counts = default
    customers = _read(root, "crm/customers")
    lines = _read(root, "billing/invoice_lines")
    assert counts["crm/customers"] == 2000
    share = customers["country"].value_counts(normalize=True)
    share = dict(zip(share["country"], share["proportion"], strict=True))
    assert 0.50 < share["HU"] < 0.60 and 0.16 < share["RO"] < 0.24 and 0.12 < share["PL"] < 0.18
    assert 0.07 < customers["referred_by_customer_id"].is_not_null().mean() < 0.13
    billed = set(lines["customer_id"])
    assert 0.02 < 1 - len(billed) / customers.height < 0.06  # prospects
    plans = (
        lines.filter(pl.col("billing_interval") != "one_off")
        .group_by("customer_id")
        .agg(pl.col("billing_interval").first())["billing_interval"]
        .value_counts(normalize=True)
    )
    plans = dict(zip(plans["billing_interval"], plans["proportion"], strict=True))
    assert 0.58 < plans["month"] < 0.72 and 0.14 < plans["quarter"] < 0.26 and 0.10 < plans["year"] < 0.20
    # New clients keep arriving: plenty of first invoices after the first month.
    first = lines.group_by("customer_id").agg(pl.col("issue_date").min())
    assert (first["issue_date"] > "2021-11-30").mean() > 0.3
    # Concentration: one client holds 10-15% of the final month's MRR, the runner-up is another big client
    # (20-80x the generator's median fee; the bound has slack as the median here is the final month's).
    paid = _paid_months(lines)
    recurring = lines.filter(
        (pl.col("document_type") == "invoice") & (pl.col("billing_interval") != "one_off")
    )
    per_month = recurring.select(
        "customer_id",
        mrr=pl.col("net_amount").cast(pl.Float64)
        / pl.col("currency").replace_strict(UNITS_PER_EUR, return_dtype=pl.Float64)
        / pl.col("billing_interval").replace_strict({"month": 1.0, "quarter": 3.0, "year": 12.0}),
        first=_month_index("service_start_date"),
        last=_month_index("service_end_date"),
    )
    final = AS_OF.year * 12 + AS_OF.month - 1
    book = (
        per_month.filter((pl.col("first") <= final) & (pl.col("last") >= final)).group_by("customer_id").sum()
    )
    top = book["mrr"].sort(descending=True)
    assert 0.10 <= top[0] / top.sum() <= 0.15
    assert 20 <= top[1] / book["mrr"].median() <= 100
    # Monthly churn (a paid month not followed by one) stays around 1-2%.
    stops = paid.filter(pl.col("month") < final).join(
        paid.with_columns(pl.col("month") - 1, has=pl.lit(True)), on=["customer_id", "month"], how="left"
    )
    assert 0.01 < stops["has"].is_null().mean() < 0.025


def test_nps_is_lower_before_churn(default):
    root, _ = default
    paid = _paid_months(_read(root, "billing/invoice_lines"))
    final = AS_OF.year * 12 + AS_OF.month - 1
    # A client churns at the first unpaid month after its last paid one (never at the end of the history).
    ends = paid.group_by("customer_id").agg(last=pl.col("month").max()).filter(pl.col("last") < final)
    nps = (
        _read(root, "survey/responses")
        .filter(pl.col("survey_type") == "nps")
        .select("customer_id", score=pl.col("score").cast(pl.Int64), month=_month_index("submitted_at"))
        .join(ends, on="customer_id", how="left")
        .with_columns(
            soon=pl.col("last").is_not_null() & (pl.col("last") + 1 - pl.col("month")).is_between(1, 6)
        )
    )
    leaving = nps.filter(pl.col("soon"))
    staying = nps.filter(~pl.col("soon"))
    assert leaving.height >= 50 and staying.height >= 500
    assert leaving["score"].mean() <= staying["score"].mean() - 1.5
    assert (leaving["score"] <= 6).mean() > 0.6  # mostly detractors
    assert (staying["score"] >= 9).mean() > (leaving["score"] >= 9).mean() + 0.2


def test_names_carry_local_diacritics_and_company_forms(frames):
    customers = frames["crm/customers"]
    companies = customers.filter(pl.col("size_band") != "private")
    forms = r"(Kft\.|Zrt\.|Bt\.|S\.R\.L\.|S\.A\.|Sp\. z o\.o\.|GmbH|AG|s\.r\.o\.|a\.s\.)$"
    assert companies["name"].str.contains(forms).all()
    assert customers["name"].str.contains(r"[áéíóöőúüűăâîșțąćęłńśźżäß]").mean() > 0.3
    private = customers.filter(pl.col("size_band") == "private")
    assert (private["segment"] == "Private").all() and private["employees"].null_count() == private.height
    assert (private["industry"] == "private_household").all()
    assert companies["employees"].null_count() == 0


def test_rejects_nonsense_sizes(tmp_path):
    with pytest.raises(ValueError):
        write_demo_extracts(tmp_path, clients=0)
