-- Margin per client and month: recognised revenue (recurring and one-off) less the cost to serve
-- from the cost extract, both in the reporting currency. A month with revenue but no cost row has
-- has_cost = false and a cost of 0 (its margin is an upper bound); a month with a cost but no
-- revenue is kept, with a negative margin. Clients whose cost exceeds their revenue are flagged.
with

revenue as (
    select
        customer_id,
        revenue_month,
        recurring_revenue,
        recurring_revenue + one_off_revenue as revenue
    from marts.fct_revenue_by_customer_month
    where revenue_month <= $reference_month
),

costs as (
    select
        customer_id,
        cost_month as revenue_month,
        sum(cost_reporting) as cost
    from marts.fct_costs
    where has_fx_rate and cost_month <= $reference_month
    group by customer_id, cost_month
),

joined as (
    select
        coalesce(revenue.customer_id, costs.customer_id) as customer_id,
        coalesce(revenue.revenue_month, costs.revenue_month) as revenue_month,
        coalesce(revenue.revenue, 0)::decimal(18, 2) as revenue,
        coalesce(revenue.recurring_revenue, 0)::decimal(18, 2) as recurring_revenue,
        coalesce(costs.cost, 0)::decimal(18, 2) as cost,
        costs.customer_id is not null as has_cost
    from revenue
    full join costs
        on revenue.customer_id = costs.customer_id and revenue.revenue_month = costs.revenue_month
)

select
    customer_id,
    revenue_month,
    revenue,
    recurring_revenue,
    cost,
    revenue - cost as margin,
    case when revenue > 0 then round((revenue - cost) / revenue, 6) end as margin_rate,
    has_cost,
    has_cost and cost > revenue as is_cost_over_revenue,
    $reporting_currency as reporting_currency
from joined
order by customer_id, revenue_month
