-- Weighted client score (0-100) for clients active in the reference month:
-- ARR 40%, retention 25%, growth potential 20%, relationship depth 15% (weights are settings).
-- Each component is normalised to 0..1 as documented in docs/metrics.md.
with

customer_months as (
    select * from metrics.mrr_by_customer_month
),

interactions as (
    select * from marts.fct_interactions
),

responses as (
    select * from marts.fct_survey_responses
),

current_clients as (
    select
        customer_id,
        mrr
    from customer_months
    where revenue_month = $reference_month and is_active
),

last_12_months as (
    select
        customer_id,
        -- active months among the 12 ending with the reference month
        count(*) filter (where is_active and revenue_month > $reference_month - interval 12 month)
            as active_months_12,
        sum(mrr) filter (where revenue_month = $reference_month - interval 12 month) as mrr_12_months_ago
    from customer_months
    where revenue_month >= $reference_month - interval 12 month
    group by customer_id
),

touches as (
    select
        customer_id,
        count(*) as touches_12
    from (
        select
            customer_id,
            interaction_month as touch_month
        from interactions
        union all
        select
            customer_id,
            response_month
        from responses
    ) as all_touches
    where touch_month > $reference_month - interval 12 month and touch_month <= $reference_month
    group by customer_id
),

components as (
    select
        current_clients.customer_id,
        current_clients.mrr,
        12 * current_clients.mrr as arr,
        coalesce(last_12_months.active_months_12, 0) / 12 as retention_score,
        (current_clients.mrr - last_12_months.mrr_12_months_ago) / nullif(last_12_months.mrr_12_months_ago, 0)
            as mrr_growth_12,
        coalesce(touches.touches_12, 0) as touches_12
    from current_clients
    left join last_12_months on current_clients.customer_id = last_12_months.customer_id
    left join touches on current_clients.customer_id = touches.customer_id
),

scored as (
    select
        *,
        cume_dist() over (order by arr) as arr_score,
        -- no revenue 12 months ago: growth unknown, scored neutral (0.5)
        case
            when mrr_growth_12 is null then 0.5
            else cume_dist() over (partition by mrr_growth_12 is null order by mrr_growth_12)
        end as growth_score,
        cume_dist() over (order by touches_12) as depth_score
    from components
)

select
    customer_id,
    mrr,
    arr,
    mrr_growth_12,
    touches_12,
    round(arr_score, 4) as arr_score,
    round(retention_score, 4) as retention_score,
    round(growth_score, 4) as growth_score,
    round(depth_score, 4) as depth_score,
    round(100 * (
        $weight_arr * arr_score + $weight_retention * retention_score
        + $weight_growth * growth_score + $weight_depth * depth_score
    ), 2) as valuation_score,
    $reporting_currency as reporting_currency
from scored
order by customer_id
