-- Every CRM client id mapped to its client key: CRM records that share a valid tax id are one
-- client, keyed by the earliest created of them (ties: the smallest id); the others keep their own id.
with

customers as (
    select * from staging.stg_crm__customers
    where created_date <= $as_of_date
),

identity as (
    select * from staging.customer_identity
),

keyed as (
    select
        customers.customer_id,
        customers.created_date,
        identity.tax_id_normalised,
        identity.name_match_key,
        case
            when identity.tax_id_normalised is null then customers.customer_id
            else first_value(customers.customer_id) over (
                partition by identity.tax_id_normalised
                order by customers.created_date, customers.customer_id
            )
        end as client_key
    from customers
    left join identity on customers.customer_id = identity.customer_id
)

select
    'crm' as source_system,
    customer_id as source_customer_id,
    client_key,
    tax_id_normalised,
    name_match_key,
    case when client_key = customer_id then 'own_id' else 'same_tax_id' end as match_rule,
    created_date as valid_from,
    cast(null as date) as valid_to
from keyed
order by client_key, source_customer_id
