-- Every client's class in every month from its creation (or the first month of data) to the
-- reference month (docs/metrics.md, "Client classes"), its RFM scores and segment, and the
-- attributes segments are cut by. Rules (settings in brackets):
--   active     recurring revenue (MRR > 0) this month;
--   passive    invoiced once, not active now, but an invoice or a CRM interaction within the
--              last [passive_window_months] months, this month included;
--   potential  in the CRM and never invoiced up to this month;
--   reference  referred at least one client who had become active by this month;
--   strategic  active and one of: among the top [strategic_top_share] of active clients by MRR,
--              tenure of at least [strategic_min_tenure_months] months, CRM segment
--              [strategic_segment_label];
--   former     none of the above (billed once, nothing within the window).
-- client_class is the first that applies of strategic, reference (while active or passive),
-- active, passive, potential, former; each is also a flag of its own.
with

customers as (
    select * from marts.dim_customers
),

customer_months as (
    select * from metrics.mrr_by_customer_month
),

invoice_months as (
    select
        customer_id,
        date_trunc('month', issue_date)::date as invoice_month,
        sum(amount_reporting) filter (where has_fx_rate) as invoiced,
        count(*) filter (where document_type = 'invoice') as invoice_lines
    from marts.fct_invoice_lines
    where issue_date < $reference_month + interval 1 month
    group by all
),

interaction_months as (
    select distinct
        customer_id,
        interaction_month
    from marts.fct_interactions
    where interaction_month <= $reference_month
),

active_starts as (
    select
        customer_id,
        min(revenue_month) as first_active_month
    from customer_months
    where is_active
    group by customer_id
),

first_active as (
    -- tenure counts from the first active month; a client already paying in the first month of
    -- data and created in the CRM before it is taken to have paid since its creation month (the
    -- valuation's left-truncation rule)
    select
        active_starts.customer_id,
        active_starts.first_active_month,
        case
            when
                active_starts.first_active_month = (select min(starts.first_active_month) from active_starts as starts)
                and date_trunc('month', customers.created_date) < active_starts.first_active_month
                then date_trunc('month', customers.created_date)::date
            else active_starts.first_active_month
        end as tenure_start_month
    from active_starts
    left join customers on active_starts.customer_id = customers.customer_id
),

referrals as (
    -- referrer (as a client key) and the month the referred client first became active
    select
        coalesce(crosswalk.client_key, customers.referred_by_customer_id) as referrer_id,
        min(first_active.first_active_month) as first_referral_active_month
    from customers
    inner join first_active on customers.customer_id = first_active.customer_id
    left join marts.client_crosswalk as crosswalk
        on customers.referred_by_customer_id = crosswalk.source_customer_id
    where customers.referred_by_customer_id is not null
    group by all
),

spine as (
    select
        customers.customer_id,
        unnest(generate_series(
            greatest(
                date_trunc('month', customers.created_date),
                (select min(invoice_months.invoice_month) from invoice_months)
            ),
            $reference_month::date,
            interval 1 month
        ))::date as class_month
    from customers
),

history as (
    select
        spine.customer_id,
        spine.class_month,
        coalesce(customer_months.mrr, 0)::decimal(18, 2) as mrr,
        first_active.first_active_month,
        first_active.tenure_start_month,
        -- a purchase is a month with an invoice (a month with only a credit note is not one)
        max(invoice_months.invoice_month) filter (where invoice_months.invoice_lines > 0) over cumulative
            as last_invoice_month,
        max(interaction_months.interaction_month) over cumulative as last_interaction_month,
        count(invoice_months.invoice_month) filter (where invoice_months.invoice_lines > 0) over last_12
            as invoice_months_12,
        coalesce(sum(invoice_months.invoiced) over last_12, 0) as invoiced_12
    from spine
    left join customer_months
        on spine.customer_id = customer_months.customer_id and spine.class_month = customer_months.revenue_month
    left join first_active on spine.customer_id = first_active.customer_id
    left join invoice_months
        on spine.customer_id = invoice_months.customer_id and spine.class_month = invoice_months.invoice_month
    left join interaction_months
        on
            spine.customer_id = interaction_months.customer_id
            and spine.class_month = interaction_months.interaction_month
    window
        cumulative as (partition by spine.customer_id order by spine.class_month),
        last_12 as (partition by spine.customer_id order by spine.class_month rows between 11 preceding and current row)
),

flags as (
    select
        history.*,
        history.mrr > 0 as is_active,
        case
            when history.first_active_month <= history.class_month
                then date_diff('month', history.tenure_start_month, history.class_month) + 1
            else 0
        end as tenure_months,
        date_diff('month', history.last_invoice_month, history.class_month) as months_since_invoice,
        date_diff('month', history.last_interaction_month, history.class_month) as months_since_interaction,
        coalesce(referrals.first_referral_active_month <= history.class_month, false) as is_reference,
        customers.segment,
        customers.industry,
        customers.country,
        customers.size_band,
        customers.birth_year,
        customers.gender
    from history
    inner join customers on history.customer_id = customers.customer_id
    left join referrals on history.customer_id = referrals.referrer_id
),

ranked as (
    select
        *,
        case
            when is_active
                then row_number() over (partition by class_month, is_active order by mrr desc, customer_id asc)
        end as mrr_rank,
        -- a sum, not count(*) filter (...) over: DuckDB 1.5 took 30 s instead of 1 s on 1.5M rows for the filter
        sum(is_active::integer) over (partition by class_month) as active_clients,
        -- RFM among clients invoiced in the last 12 months; ties share a score (cume_dist)
        case
            when invoice_months_12 > 0
                then ceil(5 * cume_dist() over (
                    partition by class_month, invoice_months_12 > 0 order by months_since_invoice desc
                ))
        end as rfm_recency,
        case
            when invoice_months_12 > 0
                then ceil(5 * cume_dist() over (
                    partition by class_month, invoice_months_12 > 0 order by invoice_months_12
                ))
        end as rfm_frequency,
        case
            when invoice_months_12 > 0
                then ceil(5 * cume_dist() over (partition by class_month, invoice_months_12 > 0 order by invoiced_12))
        end as rfm_monetary
    from flags
),

classified as (
    select
        *,
        not is_active and last_invoice_month is not null and (
            coalesce(months_since_invoice < $passive_window_months, false)
            or coalesce(months_since_interaction < $passive_window_months, false)
        ) as is_passive,
        not is_active and last_invoice_month is null as is_potential,
        is_active and (
            mrr_rank <= ceil($strategic_top_share * active_clients)
            or tenure_months >= $strategic_min_tenure_months
            or lower(coalesce(segment, '')) = lower($strategic_segment_label)
        ) as is_strategic
    from ranked
)

select
    customer_id,
    class_month,
    case
        when is_strategic then 'strategic'
        when is_reference and (is_active or is_passive) then 'reference'
        when is_active then 'active'
        when is_passive then 'passive'
        when is_potential then 'potential'
        else 'former'
    end as client_class,
    is_active,
    is_passive,
    is_potential,
    is_reference,
    is_strategic,
    mrr,
    tenure_months::integer as tenure_months,
    rfm_recency::integer as rfm_recency,
    rfm_frequency::integer as rfm_frequency,
    rfm_monetary::integer as rfm_monetary,
    case
        when rfm_recency is null then 'no_purchase_12m'
        when rfm_recency >= 4 and rfm_frequency >= 4 and rfm_monetary >= 4 then 'champions'
        when rfm_recency >= 3 and rfm_frequency >= 4 then 'loyal'
        when rfm_recency >= 4 and rfm_frequency <= 1 then 'new'
        when rfm_recency >= 4 then 'potential_loyalist'
        when rfm_recency <= 2 and rfm_frequency >= 3 then 'at_risk'
        when rfm_recency <= 2 then 'hibernating'
        else 'needs_attention'
    end as rfm_segment,
    industry,
    country,
    size_band,
    case
        when tenure_months = 0 then 'none'
        when tenure_months <= 12 then '0-1y'
        when tenure_months <= 36 then '1-3y'
        when tenure_months <= 60 then '3-5y'
        else '5y+'
    end as tenure_band,
    case
        when birth_year is null then null
        when year(class_month) - birth_year < 30 then '<30'
        when year(class_month) - birth_year < 45 then '30-44'
        when year(class_month) - birth_year < 60 then '45-59'
        else '60+'
    end as age_band,
    gender
from classified
order by customer_id, class_month
