-- MRR per client and month with its movement class (dbt-labs mrr-playbook semantics): a month is
-- active when it has recurring revenue; the first active month is new; a zero month after an
-- active one is churn; a return after zero months is reactivation. Reactivation and churn are
-- tested before expansion and contraction, so 0 → positive is never called expansion.
-- Zero months inside a gap (after the churn month, before a reactivation) have no row: whether a
-- gap month exists would otherwise depend on a later month, and month M must be computable as of M.
with

revenue as (
    select * from marts.fct_revenue_by_customer_month
    where revenue_month <= $reference_month
),

active_months as (
    select
        customer_id,
        revenue_month,
        recurring_revenue as mrr
    from revenue
    where recurring_revenue > 0
),

customer_bounds as (
    select
        customer_id,
        min(revenue_month) as first_active_month,
        max(revenue_month) as last_active_month
    from active_months
    group by customer_id
),

spine as (
    -- every month from the first active one to the month after the last, capped at the reference month
    select
        customer_id,
        first_active_month,
        unnest(generate_series(
            first_active_month,
            least(last_active_month + interval 1 month, $reference_month),
            interval 1 month
        ))::date as revenue_month
    from customer_bounds
),

with_previous as (
    select
        spine.customer_id,
        spine.revenue_month,
        spine.revenue_month = spine.first_active_month as is_first_active_month,
        coalesce(active_months.mrr, 0)::decimal(18, 2) as mrr,
        coalesce(lag(active_months.mrr) over (
            partition by spine.customer_id order by spine.revenue_month
        ), 0)::decimal(18, 2) as previous_mrr
    from spine
    left join active_months
        on spine.customer_id = active_months.customer_id and spine.revenue_month = active_months.revenue_month
)

select
    customer_id,
    revenue_month,
    mrr,
    previous_mrr,
    mrr - previous_mrr as mrr_change,
    case
        when is_first_active_month then 'new'
        when previous_mrr = 0 and mrr > 0 then 'reactivation'
        when previous_mrr > 0 and mrr = 0 then 'churn'
        when mrr > previous_mrr then 'expansion'
        when mrr < previous_mrr then 'contraction'
        else 'retained'
    end as movement,
    mrr > 0 as is_active,
    $reporting_currency as reporting_currency
from with_previous
where mrr > 0 or previous_mrr > 0
order by customer_id, revenue_month
