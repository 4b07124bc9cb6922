"""Marts: the client dimension and the facts analysts and metrics read."""

from assets.sql_asset import SqlTable, sql_asset

XWALK = ("marts", "client_crosswalk")

MART_TABLES = (
    SqlTable(
        "marts", "client_crosswalk", [("staging", "stg_crm__customers")],
        "crm", "Every CRM client id mapped to its client key: records sharing a valid tax id are one client.",
    ),
    SqlTable(
        "marts", "dim_customers", [("staging", "stg_crm__customers"), ("staging", "stg_billing__invoice_lines"), XWALK],
        "crm", "Every client known to the CRM on the as-of date (duplicates merged), with its first invoice date.",
    ),
    SqlTable(
        "marts", "fct_interactions", [("staging", "stg_crm__interactions"), XWALK],
        "crm", "Meetings, calls and e-mails with clients up to the as-of date.",
    ),
    SqlTable(
        "marts", "fct_invoice_lines", [("staging", "stg_billing__invoice_lines"), ("staging", "stg_fx__rates"), XWALK],
        "billing", "Invoice and credit-note lines in the reporting currency, with the months they pay for.",
    ),
    SqlTable(
        "marts", "fct_costs", [("staging", "stg_billing__costs"), ("staging", "stg_fx__rates"), XWALK],
        "billing", "Cost to serve per client and month in the reporting currency.",
    ),
    SqlTable(
        "marts", "fct_revenue_by_customer_month", [("marts", "fct_invoice_lines")],
        "revenue", "Recognised recurring and one-off revenue per client and month in the reporting currency.",
    ),
    SqlTable(
        "marts", "fct_survey_responses", [("staging", "stg_survey__responses"), XWALK],
        "survey", "Survey answers up to the as-of date, classified for NPS and CSAT.",
    ),
)

mart_assets = [sql_asset(t) for t in MART_TABLES]
