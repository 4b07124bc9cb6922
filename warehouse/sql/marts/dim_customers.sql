-- One row per client known to the CRM on the as-of date, with its first invoice.
with

customers as (
    select * from staging.stg_crm__customers
    where created_date <= $as_of_date
),

invoices as (
    select * from staging.stg_billing__invoice_lines
    where issue_date <= $as_of_date
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
    customers.name,
    customers.tax_id,
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
    first_invoices.customer_id is not null as is_billed
from customers
left join first_invoices on customers.customer_id = first_invoices.customer_id
order by customers.customer_id
