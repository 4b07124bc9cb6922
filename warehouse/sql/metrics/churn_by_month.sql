-- Monthly churn and retention rates from the MRR bridge (definitions in docs/metrics.md).
-- A rate is null when its denominator (start of month) is zero.
with

bridge as (
    select * from metrics.mrr_by_month
)

select
    revenue_month,
    starting_customers,
    churned_customers,
    new_customers + reactivated_customers as acquired_customers,
    ending_customers,
    starting_mrr,
    ending_mrr,
    churned_customers / nullif(starting_customers, 0) as logo_churn_rate,
    -(churned_mrr + contraction_mrr) / nullif(starting_mrr, 0) as gross_mrr_churn_rate,
    -(churned_mrr + contraction_mrr + expansion_mrr + reactivation_mrr) / nullif(starting_mrr, 0)
        as net_mrr_churn_rate,
    (ending_customers - new_customers - reactivated_customers) / nullif(starting_customers, 0)
        as customer_retention_rate,
    (starting_mrr + expansion_mrr + contraction_mrr + churned_mrr) / nullif(starting_mrr, 0)
        as net_revenue_retention,
    (starting_mrr + contraction_mrr + churned_mrr) / nullif(starting_mrr, 0) as gross_revenue_retention,
    reporting_currency
from bridge
order by revenue_month
