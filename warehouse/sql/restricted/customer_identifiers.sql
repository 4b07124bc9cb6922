-- The direct identifiers of every staged CRM record, apart from everything analysts see: names,
-- tax ids (as sent and normalised), name match keys and birth years, by CRM id and client key.
with

customers as (
    select * from staging.stg_crm__customers
),

identity as (
    select * from staging.customer_identity
),

crosswalk as (
    select * from marts.client_crosswalk
)

select
    customers.customer_id as source_customer_id,
    crosswalk.client_key,
    customers.name,
    customers.tax_id,
    identity.tax_id_normalised,
    identity.name_match_key,
    customers.country,
    customers.birth_year,
    customers._source_file,
    customers._line_number
from customers
left join identity on customers.customer_id = identity.customer_id
left join crosswalk on customers.customer_id = crosswalk.source_customer_id
order by customers.customer_id
