"""Row rules: conditions every staged row meets. Staging quarantines the rows that break one;
the Great Expectations staging suites then prove that no staged row breaks any.

`violated_when` is SQL over one typed row (contract column names, unqualified); it is true when
the row breaks the rule and null when an input is missing (the not-null rules report that).
Every identifier comes from code; no input value ever reaches these strings.
"""

from dataclasses import dataclass

from warehouse.contract import COSTS, CUSTOMERS, FX_RATES, INTERACTIONS, INVOICE_LINES, RESPONSES


@dataclass(frozen=True)
class RowRule:
    """A named condition on one row; `column` is the column reported in the quarantine."""

    reason_code: str
    column: str
    violated_when: str
    description: str


UNKNOWN_CUSTOMER = RowRule(
    "unknown_customer",
    "customer_id",
    f"customer_id not in (select customer_id from staging.{CUSTOMERS.staging_table})",
    "customer_id refers to a client in the CRM customers extract.",
)


# The FX rule (docs/extracts.md): a line in another currency than EUR needs a rate of its currency
# published on its date (an invoice's issue date, a cost's month) or within `fx_max_age_days` before
# it (staging.fx_policy holds the setting of the build); otherwise the row is quarantined, never
# converted at 0 or 1. A currency the rates do not know at all is quarantined the same way. `t` is
# the row being checked.
def _no_fx_rate(date_column: str) -> RowRule:
    return RowRule(
        "no_fx_rate",
        "currency",
        "t.currency != 'EUR' and regexp_full_match(t.currency, '[A-Z]{3}') and not exists ("
        "select 1 from staging.stg_fx__rates as r, staging.fx_policy as p "
        f"where r.currency = t.currency and r.rate_date <= t.{date_column} "
        f"and r.rate_date >= t.{date_column} - p.max_age_days)",
        f"a rate of the row's currency was published on its {date_column} or at most fx_max_age_days before.",
    )


NO_FX_RATE = _no_fx_rate("issue_date")
NO_COST_FX_RATE = _no_fx_rate("cost_month")
FX_RULES = (NO_FX_RATE, NO_COST_FX_RATE)


def _code(column: str, letters: int) -> RowRule:
    return RowRule(
        f"invalid_{column}",
        column,
        f"not regexp_full_match({column}, '[A-Z]{{{letters}}}')",
        f"{column} is a {letters}-letter upper-case ISO code.",
    )


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    CUSTOMERS.entity: (
        _code("country", 2),
        RowRule(
            "invalid_tax_id",
            "tax_id",
            "(tax_id, country) in (select (tax_id, country) from staging.tax_id_lookup where problem is not null)",
            "tax_id is a valid tax or VAT id of the client's country (python-stdnum; never repaired or guessed).",
        ),
        RowRule("out_of_range", "employees", "employees < 0", "employees is not negative."),
        RowRule(
            "out_of_range",
            "birth_year",
            "birth_year < 1900 or birth_year > year(created_date)",
            "birth_year lies between 1900 and the year the client was created.",
        ),
    ),
    INTERACTIONS.entity: (UNKNOWN_CUSTOMER,),
    INVOICE_LINES.entity: (
        UNKNOWN_CUSTOMER,
        _code("currency", 3),
        NO_FX_RATE,
        RowRule(
            "credit_note_positive",
            "net_amount",
            "document_type = 'credit_note' and net_amount > 0",
            "credit-note lines carry a net_amount of zero or less.",
        ),
        RowRule(
            "period_reversed",
            "service_end_date",
            "service_end_date < service_start_date",
            "the service period ends on or after it starts.",
        ),
        RowRule("out_of_range", "line_number", "line_number < 1", "line_number starts at 1."),
    ),
    COSTS.entity: (
        UNKNOWN_CUSTOMER,
        _code("currency", 3),
        NO_COST_FX_RATE,
        RowRule("out_of_range", "amount", "amount < 0", "a cost is not negative."),
        RowRule("not_month_start", "cost_month", "day(cost_month) != 1", "cost_month is the first day of a month."),
    ),
    RESPONSES.entity: (
        UNKNOWN_CUSTOMER,
        RowRule("invalid_scale", "scale_max", "scale_max <= scale_min", "scale_min lies below scale_max."),
        RowRule(
            "nps_scale",
            "scale_max",
            "survey_type = 'nps' and (scale_min != 0 or scale_max != 10)",
            "NPS answers use the 0..10 scale.",
        ),
        RowRule(
            "score_out_of_scale",
            "score",
            "score < scale_min or score > scale_max",
            "score lies within scale_min..scale_max.",
        ),
    ),
    FX_RATES.entity: (
        _code("currency", 3),
        RowRule("invalid_rate", "units_per_eur", "units_per_eur <= 0", "a rate is positive."),
        RowRule(
            "eur_rate_not_one",
            "units_per_eur",
            "currency = 'EUR' and units_per_eur != 1",
            "the EUR rate, if given, is 1.",
        ),
    ),
}
