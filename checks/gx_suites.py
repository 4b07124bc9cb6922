"""Great Expectations suites as code: derived from the input contract plus hand-written business rules.

Each suite validates the result of one SQL query over one table. Staging queries add computed boolean
`_`-prefixed columns, one per business rule, that must be true on every row. Every identifier in the
SQL comes from `warehouse.contract`; no value from the input ever reaches a query.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations.expectations as gxe

from warehouse.contract import EXTRACTS, Extract
from warehouse.rules import ROW_RULES

LAYERS = ("raw", "staging")
LINEAGE_COLUMNS = ("_source_file", "_line_number")
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
    """A business rule: a boolean SQL expression over one staged row, true on every row."""

    column: str
    sql: str
    description: str


def _rules(e: Extract) -> tuple[Rule, ...]:
    """The staging row rules of `warehouse.rules`, as columns that must be true on every staged row."""
    return tuple(
        Rule(f"_{r.reason_code}__{r.column}", f"not ({r.violated_when})", r.description)
        for r in ROW_RULES.get(e.entity, ())
    )


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
    rules = _rules(e)
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
