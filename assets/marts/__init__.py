"""Marts: the client dimension and the facts analysts and metrics read."""

from assets.sql_asset import SqlTable, sql_asset

MART_TABLES = (
    SqlTable(
        "marts", "dim_customers", [("staging", "stg_crm__customers"), ("staging", "stg_billing__invoice_lines")],
        "crm", "Every client known to the CRM on the as-of date, with its first invoice date.",
    ),
    SqlTable(
        "marts", "fct_interactions", [("staging", "stg_crm__interactions")],
        "crm", "Meetings, calls and e-mails with clients up to the as-of date.",
    ),
    SqlTable(
        "marts", "fct_invoice_lines", [("staging", "stg_billing__invoice_lines"), ("staging", "stg_fx__rates")],
        "billing", "Invoice and credit-note lines in the reporting currency, with the months they pay for.",
    ),
    SqlTable(
        "marts", "fct_revenue_by_customer_month", [("marts", "fct_invoice_lines")],
        "revenue", "Recognised recurring and one-off revenue per client and month in the reporting currency.",
    ),
    SqlTable(
        "marts", "fct_survey_responses", [("staging", "stg_survey__responses")],
        "survey", "Survey answers up to the as-of date, classified for NPS and CSAT.",
    ),
)

mart_assets = [sql_asset(t) for t in MART_TABLES]
