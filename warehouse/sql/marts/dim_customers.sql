-- One row per client known to the CRM on the as-of date, with its first invoice. CRM records
-- that share a valid tax id are one client (marts.client_crosswalk): the earliest created record's
-- attributes, the first invoice of any of its ids. Names and tax ids are in restricted.customer_identifiers.
with

crosswalk as (
    select * from marts.client_crosswalk
),

customers as (
    select * from staging.stg_crm__customers
    where created_date <= $as_of_date
),

invoices as (
    select
        lines.issue_date,
        coalesce(crosswalk.client_key, lines.customer_id) as customer_id
    from staging.stg_billing__invoice_lines as lines
    left join crosswalk on lines.customer_id = crosswalk.source_customer_id
    where lines.issue_date <= $as_of_date
),

merged as (
    select
        client_key,
        any_value(tax_id_normalised) as tax_id_normalised,
        count(*) as source_ids
    from crosswalk
    group by client_key
),

first_invoices as (
    select
        customer_id,
        min(issue_date) as first_invoice_date
    from invoices
    group by customer_id
)

select
    customers.customer_id,
    left(merged.tax_id_normalised, 2) as tax_id_country,
    customers.country,
    customers.city,
    customers.industry,
    customers.size_band,
    customers.employees,
    customers.segment,
    customers.created_date,
    customers.referred_by_customer_id,
    customers.account_owner,
    customers.birth_year,
    customers.gender,
    first_invoices.first_invoice_date,
    first_invoices.customer_id is not null as is_billed,
    merged.source_ids
from customers
inner join merged on customers.customer_id = merged.client_key
left join first_invoices on customers.customer_id = first_invoices.customer_id
order by customers.customer_id
