-- One row per CRM interaction up to the as-of date.
with

interactions as (
    select * from staging.stg_crm__interactions
    where occurred_at < $as_of_date + interval 1 day
)

select
    interaction_id,
    customer_id,
    interaction_type,
    occurred_at,
    date_trunc('month', occurred_at)::date as interaction_month
from interactions
order by interaction_id
