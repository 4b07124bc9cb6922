-- One row per CRM interaction up to the as-of date.
-- customer_id is the client key (marts.client_crosswalk): CRM duplicates count as one client.
with

interactions as (
    select interactions.* replace (coalesce(crosswalk.client_key, interactions.customer_id) as customer_id)
    from staging.stg_crm__interactions as interactions
    left join marts.client_crosswalk as crosswalk on interactions.customer_id = crosswalk.source_customer_id
    where interactions.occurred_at < $as_of_date + interval 1 day
)

select
    interaction_id,
    customer_id,
    interaction_type,
    occurred_at,
    date_trunc('month', occurred_at)::date as interaction_month
from interactions
order by interaction_id
