-- Recognised revenue per client and month in the reporting currency: each line's amount spread
-- equally over its service months, cents kept exact by giving the rounding rest to the last month;
-- credit notes are netted into the months of the period they correct.
with

lines as (
    select * from marts.fct_invoice_lines
    where has_fx_rate
),

spread as (
    select
        customer_id,
        is_recurring,
        amount_reporting,
        service_months,
        service_start_month,
        unnest(range(service_months)) as month_index
    from lines
),

allocated as (
    select
        customer_id,
        is_recurring,
        (service_start_month + to_months(month_index::integer))::date as revenue_month,
        case
            when month_index < service_months - 1
                then round(amount_reporting / service_months, 2)::decimal(18, 2)
            else
                amount_reporting
                - (service_months - 1) * round(amount_reporting / service_months, 2)::decimal(18, 2)
        end as amount
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
