-- The churn model's panel: one row per client and month the client is active, with what was
-- known at the end of that month, and the label: did the client churn (MRR to 0) within the next
-- $churn_horizon_months months? The label is null while those months are not all observed.
-- Every feature uses only data up to feature_month (the backtest depends on it).
with

customer_months as (
    select * from metrics.mrr_by_customer_month
),

customers as (
    select * from marts.dim_customers
),

revenue as (
    select * from metrics.profit_by_customer_month
),

interactions as (
    select
        customer_id,
        interaction_month,
        count(*) as interactions
    from marts.fct_interactions
    group by all
),

responses as (
    select * from marts.fct_survey_responses
),

classes as (
    -- tenure as the client classes count it (from the CRM creation month for clients already paying
    -- when the data begin)
    select
        customer_id,
        class_month,
        tenure_months
    from metrics.client_class_by_month
),

history as (
    select
        customer_months.customer_id,
        customer_months.revenue_month as feature_month,
        customer_months.is_active,
        customer_months.mrr,
        classes.tenure_months,
        -- MRR 3 calendar months before (a range frame: a client has no row in the zero months of a gap)
        (customer_months.mrr - first_value(customer_months.mrr) over three_months_ago)
        / nullif(first_value(customer_months.mrr) over three_months_ago, 0) as mrr_change_3m_rate,
        count(*) filter (where customer_months.movement = 'contraction') over last_6 as contractions_6m,
        count(*) filter (where customer_months.movement = 'expansion') over last_6 as expansions_6m,
        count(*) filter (where customer_months.movement = 'reactivation') over up_to as reactivations
    from customer_months
    left join classes
        on customer_months.customer_id = classes.customer_id and customer_months.revenue_month = classes.class_month
    window
        three_months_ago as (
            partition by customer_months.customer_id order by customer_months.revenue_month
            range between interval 3 month preceding and interval 3 month preceding
        ),
        last_6 as (
            partition by customer_months.customer_id order by customer_months.revenue_month
            range between interval 5 month preceding and current row
        ),
        up_to as (partition by customer_months.customer_id order by customer_months.revenue_month)
),

churns as (
    select
        customer_id,
        revenue_month as churn_month
    from customer_months
    where movement = 'churn'
),

active_months as (
    select
        *,
        feature_month + to_months($churn_horizon_months) as horizon_end_month
    from history
    where is_active
),

churns_ahead as (
    select
        active_months.customer_id,
        active_months.feature_month,
        count(churns.churn_month) as churns
    from active_months
    left join churns
        on
            active_months.customer_id = churns.customer_id
            and active_months.feature_month < churns.churn_month
            and active_months.horizon_end_month >= churns.churn_month
    group by active_months.customer_id, active_months.feature_month
),

panel as (
    -- the label: a churn movement in one of the next horizon months, known once they all are
    select
        active_months.*,
        case when active_months.horizon_end_month <= $reference_month then churns_ahead.churns > 0 end
            as churned_next_3m
    from active_months
    inner join churns_ahead
        on active_months.customer_id = churns_ahead.customer_id and active_months.feature_month = churns_ahead.feature_month
),

revenue_12 as (
    select
        panel.customer_id,
        panel.feature_month,
        sum(revenue.revenue - revenue.recurring_revenue) as one_off_revenue_12m,
        -- over the months with a cost row only, as the valuation's margin rate
        sum(revenue.cost) filter (where revenue.has_cost)
        / nullif(sum(revenue.revenue) filter (where revenue.has_cost), 0) as cost_to_revenue_12m
    from panel
    inner join revenue
        on
            panel.customer_id = revenue.customer_id
            and revenue.revenue_month > panel.feature_month - interval 12 month
            and panel.feature_month >= revenue.revenue_month
    group by panel.customer_id, panel.feature_month
),

touches as (
    select
        panel.customer_id,
        panel.feature_month,
        sum(interactions.interactions) filter (
            where interactions.interaction_month > panel.feature_month - interval 3 month
        ) as interactions_3m,
        sum(interactions.interactions) filter (
            where interactions.interaction_month > panel.feature_month - interval 12 month
        ) as interactions_12m,
        date_diff('month', max(interactions.interaction_month), panel.feature_month) as months_since_interaction
    from panel
    inner join interactions
        on panel.customer_id = interactions.customer_id and panel.feature_month >= interactions.interaction_month
    group by panel.customer_id, panel.feature_month
),

answers as (
    select
        panel.customer_id,
        panel.feature_month,
        arg_max(responses.score, responses.submitted_at) filter (where responses.survey_type = 'nps')
            as last_nps_score,
        arg_max(responses.nps_class, responses.submitted_at) filter (where responses.survey_type = 'nps')
            as last_nps_class,
        count(*) filter (where responses.response_month > panel.feature_month - interval 12 month)
            as responses_12m,
        avg(responses.is_csat_top_box::integer) filter (
            where responses.survey_type = 'csat' and responses.response_month > panel.feature_month - interval 12 month
        ) as csat_top_box_rate_12m
    from panel
    inner join responses
        on panel.customer_id = responses.customer_id and panel.feature_month >= responses.response_month
    group by panel.customer_id, panel.feature_month
)

select
    panel.customer_id,
    panel.feature_month,
    panel.churned_next_3m,
    panel.tenure_months,
    panel.mrr::double as mrr,
    round(panel.mrr_change_3m_rate, 6) as mrr_change_3m_rate,
    panel.contractions_6m,
    panel.expansions_6m,
    panel.reactivations,
    coalesce(revenue_12.one_off_revenue_12m, 0)::double as one_off_revenue_12m,
    round(revenue_12.cost_to_revenue_12m, 6) as cost_to_revenue_12m,
    coalesce(touches.interactions_3m, 0)::bigint as interactions_3m,
    coalesce(touches.interactions_12m, 0)::bigint as interactions_12m,
    touches.months_since_interaction,
    answers.last_nps_score,
    coalesce(answers.last_nps_class, 'none') as last_nps_class,
    coalesce(answers.responses_12m, 0) as responses_12m,
    round(answers.csat_top_box_rate_12m, 6) as csat_top_box_rate_12m,
    coalesce(customers.size_band, 'unknown') as size_band,
    coalesce(customers.industry, 'unknown') as industry,
    coalesce(customers.country, 'unknown') as country
from panel
left join revenue_12 on panel.customer_id = revenue_12.customer_id and panel.feature_month = revenue_12.feature_month
left join touches on panel.customer_id = touches.customer_id and panel.feature_month = touches.feature_month
left join answers on panel.customer_id = answers.customer_id and panel.feature_month = answers.feature_month
left join customers on panel.customer_id = customers.customer_id
order by panel.customer_id, panel.feature_month
