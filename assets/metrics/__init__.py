"""Metrics: MRR and its movements, churn and retention, client satisfaction, and client value."""

from assets.metrics.churn import churn_risk_by_customer
from assets.metrics.clv import clv_by_customer
from assets.sql_asset import SqlTable, sql_asset

REVENUE = [("marts", "fct_revenue_by_customer_month")]
CUSTOMER_MRR = [("metrics", "mrr_by_customer_month")]
SURVEYS = [("marts", "fct_survey_responses")]
CUSTOMERS = ("marts", "dim_customers")

METRIC_TABLES = (
    SqlTable(
        "metrics", "mrr_by_customer_month", REVENUE, "revenue",
        "MRR per client and month with its movement: new, expansion, contraction, churn, reactivation.",
        month_column="revenue_month", total_column="mrr",
    ),
    SqlTable(
        "metrics", "mrr_by_month", CUSTOMER_MRR, "revenue",
        "The monthly MRR bridge: starting MRR, each movement, ending MRR.", preview_rows=True,
        month_column="revenue_month", total_column="ending_mrr",
    ),
    SqlTable(
        "metrics", "churn_by_month", [("metrics", "mrr_by_month")], "revenue",
        "Logo churn, gross and net MRR churn, customer, net and gross revenue retention per month.",
        preview_rows=True,
        month_column="revenue_month", total_column="ending_mrr",
    ),
    SqlTable(
        "metrics", "retention_by_cohort", CUSTOMER_MRR, "revenue",
        "Logo and revenue retention of each first-month cohort over time.", preview_rows=True,
        month_column="revenue_month", total_column="mrr",
    ),
    SqlTable(
        "metrics", "nps_by_month", SURVEYS, "satisfaction",
        "Net Promoter Score per month with its 95% margin of error.", preview_rows=True,
        month_column="response_month", total_column="responses",
    ),
    SqlTable(
        "metrics", "csat_by_month", SURVEYS, "satisfaction",
        "Share of top-box CSAT answers per month and scale.", preview_rows=True,
        month_column="response_month", total_column="responses",
    ),
    SqlTable(
        "metrics", "ces_by_month", SURVEYS, "satisfaction",
        "Mean Customer Effort Score per month and scale, with the scale's direction.", preview_rows=True,
        month_column="response_month", total_column="responses",
    ),
    SqlTable(
        "metrics", "profit_by_customer_month", [*REVENUE, ("marts", "fct_costs")], "value",
        "Revenue, cost to serve and margin per client and month; clients costing more than they bring are flagged.",
        month_column="revenue_month", total_column="revenue",
    ),
    SqlTable(
        "metrics", "concentration_by_month", CUSTOMER_MRR, "value",
        "How concentrated MRR is: largest client vs the threshold, CR5, CR10, Pareto share, HHI, Gini.",
        preview_rows=True,
        month_column="revenue_month", total_column="total_mrr",
    ),
    SqlTable(
        "metrics", "lorenz_by_month", CUSTOMER_MRR, "value",
        "Lorenz curve points of MRR per month (clients from smallest to largest).",
        month_column="revenue_month",
    ),
    SqlTable(
        "metrics", "concentration_by_segment_month", [*CUSTOMER_MRR, CUSTOMERS], "value",
        "HHI of MRR across industries, countries and size bands per month, with the largest group.",
        preview_rows=True,
        month_column="revenue_month",
    ),
    SqlTable(
        "metrics", "client_class_by_month",
        [*CUSTOMER_MRR, CUSTOMERS, ("marts", "fct_invoice_lines"), ("marts", "fct_interactions"),
         ("marts", "client_crosswalk")],
        "value", "Each client's class per month (strategic, reference, active, passive, potential), RFM and segments.",
        month_column="class_month", total_column="mrr",
    ),
    SqlTable(
        "metrics", "churn_features_by_customer_month",
        [*CUSTOMER_MRR, CUSTOMERS, ("metrics", "profit_by_customer_month"), ("metrics", "client_class_by_month"),
         ("marts", "fct_interactions"), *SURVEYS],
        "value", "The churn model's panel: what was known about each active client at each month's end.",
    ),
)

metric_assets = [*(sql_asset(t) for t in METRIC_TABLES), clv_by_customer, churn_risk_by_customer]
