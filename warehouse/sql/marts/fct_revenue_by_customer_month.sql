-- Recognised revenue per client and month in the reporting currency: each line's amount spread
-- equally over its service months in whole cents, the remainder cents going one each to the first
-- months, so the months add up to the line exactly;
-- credit notes are netted into the months of the period they correct.
with

lines as (
    select * from marts.fct_invoice_lines
    where has_fx_rate
),

cents as (
    -- whole cents split into equal monthly shares; the remainder cents go one each to the first
    -- months, so every share is within a cent of the others and they add up to the line exactly
    select
        customer_id,
        is_recurring,
        service_months,
        service_start_month,
        (amount_reporting::decimal(38, 2) * 100)::hugeint as total_cents,
        abs(total_cents) // service_months as base_cents,
        abs(total_cents) - base_cents * service_months as remainder_cents
    from lines
),

spread as (
    select
        *,
        unnest(range(service_months)) as month_index
    from cents
),

allocated as (
    select
        customer_id,
        is_recurring,
        (service_start_month + to_months(month_index::integer))::date as revenue_month,
        (
            sign(total_cents) * (base_cents + case when month_index < remainder_cents then 1 else 0 end)
        )::decimal(38, 0) * 0.01 as amount
    from spread
)

select
    customer_id,
    revenue_month,
    coalesce(sum(amount) filter (where is_recurring), 0)::decimal(18, 2) as recurring_revenue,
    coalesce(sum(amount) filter (where not is_recurring), 0)::decimal(18, 2) as one_off_revenue,
    $reporting_currency as reporting_currency
from allocated
group by customer_id, revenue_month
order by customer_id, revenue_month
