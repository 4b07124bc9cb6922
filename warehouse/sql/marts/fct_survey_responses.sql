-- One row per survey answer submitted up to the as-of date, classified for NPS and CSAT.
-- The free-text comment stays in staging: it may hold personal data.
-- customer_id is the client key (marts.client_crosswalk): CRM duplicates count as one client.
with

responses as (
    select responses.* replace (coalesce(crosswalk.client_key, responses.customer_id) as customer_id)
    from staging.stg_survey__responses as responses
    left join marts.client_crosswalk as crosswalk on responses.customer_id = crosswalk.source_customer_id
    where responses.submitted_at < $as_of_date + interval 1 day
)

select
    response_id,
    customer_id,
    survey_type,
    score,
    scale_min,
    scale_max,
    submitted_at,
    date_trunc('month', submitted_at)::date as response_month,
    case
        when survey_type != 'nps' then null
        when score >= 9 then 'promoter'
        when score >= 7 then 'passive'
        else 'detractor'
    end as nps_class,
    case when survey_type = 'csat' then score > scale_max - $csat_top_box end as is_csat_top_box,
    comment is not null as has_comment
from responses
order by response_id
