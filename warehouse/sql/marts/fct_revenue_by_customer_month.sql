-- Recognised revenue per client and month in the reporting currency: each line's amount spread
-- equally over its service months (each share rounded half away from zero to the cent), the
-- rounding rest going to the last month so the months add up to the line exactly;
-- credit notes are netted into the months of the period they correct.
with

lines as (
    select * from marts.fct_invoice_lines
    where has_fx_rate
),

cents as (
    -- whole cents, and each month's share rounded half away from zero, in integer arithmetic
    select
        customer_id,
        is_recurring,
        service_months,
        service_start_month,
        (amount_reporting * 100)::hugeint as total_cents,
        sign(total_cents) * ((2 * abs(total_cents) + service_months) // (2 * service_months)) as month_cents
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
        -- the last month takes the rest, so the months add up to the line to the cent
        case
            when month_index < service_months - 1 then month_cents
            else total_cents - (service_months - 1) * month_cents
        end::decimal(38, 0) * 0.01 as amount
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
