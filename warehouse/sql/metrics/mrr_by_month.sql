-- The MRR bridge per month: starting MRR + new + expansion + contraction + churn + reactivation
-- = ending MRR (contraction and churn are negative). A blocking check proves it every month.
with

customer_months as (
    select * from metrics.mrr_by_customer_month
),

months as (
    select unnest(generate_series(
        (select min(revenue_month) from customer_months), $reference_month, interval 1 month
    ))::date as revenue_month
),

totals as (
    select
        revenue_month,
        sum(mrr) as mrr,
        count(*) filter (where is_active) as active_customers,
        sum(mrr_change) filter (where movement = 'new') as new_mrr,
        sum(mrr_change) filter (where movement = 'expansion') as expansion_mrr,
        sum(mrr_change) filter (where movement = 'contraction') as contraction_mrr,
        sum(mrr_change) filter (where movement = 'churn') as churned_mrr,
        sum(mrr_change) filter (where movement = 'reactivation') as reactivation_mrr,
        count(*) filter (where movement = 'new') as new_customers,
        count(*) filter (where movement = 'churn') as churned_customers,
        count(*) filter (where movement = 'reactivation') as reactivated_customers
    from customer_months
    group by revenue_month
),

filled as (
    select
        months.revenue_month,
        coalesce(totals.mrr, 0)::decimal(18, 2) as ending_mrr,
        coalesce(totals.active_customers, 0) as ending_customers,
        coalesce(totals.new_mrr, 0)::decimal(18, 2) as new_mrr,
        coalesce(totals.expansion_mrr, 0)::decimal(18, 2) as expansion_mrr,
        coalesce(totals.contraction_mrr, 0)::decimal(18, 2) as contraction_mrr,
        coalesce(totals.churned_mrr, 0)::decimal(18, 2) as churned_mrr,
        coalesce(totals.reactivation_mrr, 0)::decimal(18, 2) as reactivation_mrr,
        coalesce(totals.new_customers, 0) as new_customers,
        coalesce(totals.churned_customers, 0) as churned_customers,
        coalesce(totals.reactivated_customers, 0) as reactivated_customers
    from months
    left join totals on months.revenue_month = totals.revenue_month
)

select
    revenue_month,
    coalesce(lag(ending_mrr) over (order by revenue_month), 0)::decimal(18, 2) as starting_mrr,
    new_mrr,
    expansion_mrr,
    contraction_mrr,
    churned_mrr,
    reactivation_mrr,
    ending_mrr,
    coalesce(lag(ending_customers) over (order by revenue_month), 0) as starting_customers,
    new_customers,
    reactivated_customers,
    churned_customers,
    ending_customers,
    $reporting_currency as reporting_currency
from filled
order by revenue_month
