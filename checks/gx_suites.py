"""Great Expectations suites as code: derived from the input contract plus hand-written business rules.

Each suite validates the result of one SQL query over one table. Staging queries add computed boolean
`_`-prefixed columns, one per business rule, that must be true on every row. Every identifier in the
SQL comes from `warehouse.contract`; no value from the input ever reaches a query.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations.expectations as gxe

from warehouse.contract import (
    COSTS,
    CUSTOMERS,
    EXTRACTS,
    FX_RATES,
    INTERACTIONS,
    INVOICE_LINES,
    RESPONSES,
    Extract,
)

LAYERS = ("raw", "staging")
LINEAGE_COLUMNS = ("_source_file", "_line_number")
_REGEX_BY_COLUMN = {"country": r"^[A-Z]{2}$", "currency": r"^[A-Z]{3}$"}
# Raw holds rows exactly as read; staging quarantines the few that lack a required value. So the blocking
# raw check stops the run only when a required column is blank on more than 10% of rows: a broken export.
RAW_REQUIRED_MOSTLY = 0.9


@dataclass(frozen=True)
class SuiteSpec:
    """A named list of expectations and the SQL query whose result is the batch they validate."""

    name: str
    query: str
    expectations: tuple[gxe.Expectation, ...]


@dataclass(frozen=True)
class Rule:
    """A business rule: a boolean SQL expression over the table aliased `t`, true on every row."""

    column: str
    sql: str
    description: str


def _customer_exists(column: str = "customer_id") -> Rule:
    """Rule: the row's client id is a customer in staging (a missing id is the not-null rule's job)."""
    return Rule(
        f"_{column.removesuffix('_id')}_exists",
        f"t.{column} is null or exists (select 1 from staging.{CUSTOMERS.staging_table} as c"
        f" where c.customer_id = t.{column})",
        f"{column} refers to a customer in staging.{CUSTOMERS.staging_table}.",
    )


RULES: dict[str, tuple[Rule, ...]] = {
    CUSTOMERS.raw_table: (
        _customer_exists("referred_by_customer_id"),
        Rule(
            "_birth_year_plausible",
            "t.birth_year between 1900 and year(current_date)",
            "birth_year is between 1900 and the current year.",
        ),
    ),
    INTERACTIONS.raw_table: (_customer_exists(),),
    INVOICE_LINES.raw_table: (
        _customer_exists(),
        Rule(
            "_net_sign_matches_document_type",
            "case t.document_type when 'credit_note' then t.net_amount <= 0"
            " when 'invoice' then t.net_amount >= 0 end",
            "Credit-note lines have net_amount <= 0 and invoice lines net_amount >= 0.",
        ),
        Rule(
            "_invoice_amounts_non_negative",
            "t.document_type <> 'invoice' or (coalesce(t.quantity, 0) >= 0"
            " and coalesce(t.unit_price, 0) >= 0 and coalesce(t.discount, 0) >= 0)",
            "Invoice lines have no negative quantity, unit_price or discount.",
        ),
        Rule(
            "_service_period_ordered",
            "t.service_end_date >= t.service_start_date",
            "service_end_date is on or after service_start_date when both are present.",
        ),
    ),
    COSTS.raw_table: (
        _customer_exists(),
        Rule(
            "_cost_month_is_month_start", "day(t.cost_month) = 1", "cost_month is the first day of a month."
        ),
    ),
    RESPONSES.raw_table: (
        _customer_exists(),
        Rule("_scale_ordered", "t.scale_min < t.scale_max", "scale_min is below scale_max."),
        Rule(
            "_score_in_scale",
            "t.score between t.scale_min and t.scale_max",
            "score is between scale_min and scale_max.",
        ),
        Rule(
            "_nps_scale_0_to_10",
            "t.survey_type <> 'nps' or (t.scale_min = 0 and t.scale_max = 10)",
            "NPS answers use the 0..10 scale.",
        ),
    ),
    FX_RATES.raw_table: (
        Rule("_eur_rate_is_one", "t.currency <> 'EUR' or t.units_per_eur = 1", "EUR has units_per_eur = 1."),
    ),
}


def _ranges(e: Extract) -> list[gxe.Expectation]:
    """Hand-written per-column bounds, built fresh per call because GX mutates expectations it registers."""
    between = gxe.ExpectColumnValuesToBeBetween
    by_table: dict[str, list[gxe.Expectation]] = {
        CUSTOMERS.raw_table: [between(column="employees", min_value=0)],
        INVOICE_LINES.raw_table: [between(column="line_number", min_value=1)],
        COSTS.raw_table: [between(column="amount", min_value=0)],
        FX_RATES.raw_table: [between(column="units_per_eur", min_value=0, strict_min=True)],
    }
    return by_table.get(e.raw_table, [])


def _q(name: str) -> str:
    """Quote a contract identifier for DuckDB."""
    return f'"{name}"'


def _not_null(e: Extract, mostly: float = 1.0) -> list[gxe.Expectation]:
    """Every required contract column has a value on (at least a `mostly` share of) the rows."""
    return [gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=mostly) for name in e.required_names]


def raw_suite(e: Extract) -> SuiteSpec:
    """Suite for raw.<table>: enough rows, every contract column present, required text mostly present."""
    # A CSV field that is empty or only spaces is as missing as NULL; `columns('^[^_]')` picks every
    # contract column and leaves the lineage columns alone, without failing when a column is missing.
    query = f"select nullif(trim(columns('^[^_]')), ''), columns('^_') from raw.{e.raw_table}"
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1 if e.mandatory else 0),
        gxe.ExpectTableColumnsToMatchSet(column_set=[*e.column_names, *LINEAGE_COLUMNS], exact_match=False),
        *_not_null(e, mostly=RAW_REQUIRED_MOSTLY),
    ]
    return SuiteSpec(f"raw.{e.raw_table}", query, tuple(expectations))


def staging_suite(e: Extract) -> SuiteSpec:
    """Suite for staging.<table>: required values, unique key, accepted values, formats and business rules."""
    rules = RULES.get(e.raw_table, ())
    # A rule with a missing input is not applicable (the not-null rules report missing values),
    # so a NULL outcome counts as true and the computed columns are never NULL.
    computed = [f"coalesce(({r.sql}), true) as {_q(r.column)}" for r in rules]
    select = ", ".join([*(f"t.{_q(c)}" for c in e.column_names), *computed])
    query = f"select {select} from staging.{e.staging_table} as t"
    if len(e.key) == 1:
        key: gxe.Expectation = gxe.ExpectColumnValuesToBeUnique(column=e.key[0])
    else:
        key = gxe.ExpectCompoundColumnsToBeUnique(column_list=list(e.key))
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1 if e.mandatory else 0),
        *_not_null(e),
        key,
        *(
            gxe.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.accepted))
            for c in e.columns
            if c.accepted
        ),
        *(
            gxe.ExpectColumnValuesToMatchRegex(column=c, regex=_REGEX_BY_COLUMN[c])
            for c in e.column_names
            if c in _REGEX_BY_COLUMN
        ),
        *_ranges(e),
        *(
            gxe.ExpectColumnValuesToBeInSet(column=r.column, value_set=[True], description=r.description)
            for r in rules
        ),
    ]
    return SuiteSpec(f"staging.{e.staging_table}", query, tuple(expectations))


def suite_for(layer: str, e: Extract) -> SuiteSpec:
    """The suite that guards `layer.<table>` for extract `e`."""
    return {"raw": raw_suite, "staging": staging_suite}[layer](e)


def all_suites() -> list[SuiteSpec]:
    """Every suite, one per layer and extract, in contract order."""
    return [suite_for(layer, e) for layer in LAYERS for e in EXTRACTS]
