-- One row per invoice or credit-note line issued up to the as-of date, converted to the
-- reporting currency at the latest rate on or before its FX date (the issue date; for a credit
-- note, the issue date of the invoice it corrects, so a full credit cancels to the cent), with
-- the service months the line pays for (docs/metrics.md, "Recognised revenue").
-- customer_id is the client key (marts.client_crosswalk): CRM duplicates count as one client.
with

lines as (
    select lines.* replace (coalesce(crosswalk.client_key, lines.customer_id) as customer_id)
    from staging.stg_billing__invoice_lines as lines
    left join marts.client_crosswalk as crosswalk on lines.customer_id = crosswalk.source_customer_id
    where lines.issue_date <= $as_of_date
),

rates as (
    select * from staging.stg_fx__rates
),

reporting_rates as (
    select * from rates
    where currency = $reporting_currency
),

own_periods as (
    -- the period each line pays for by its own dates: no start → the issue date;
    -- no end → the start plus the billing interval, less a day (a one-off line: its start)
    select
        *,
        coalesce(service_start_date, issue_date) as own_start_date,
        coalesce(
            service_end_date,
            case billing_interval
                when 'month' then coalesce(service_start_date, issue_date) + interval 1 month - interval 1 day
                when 'quarter' then coalesce(service_start_date, issue_date) + interval 3 month - interval 1 day
                when 'year' then coalesce(service_start_date, issue_date) + interval 12 month - interval 1 day
                else coalesce(service_start_date, issue_date)
            end
        )::date as own_end_date
    from lines
),

corrected_periods as (
    select
        invoice_id,
        min(own_start_date) as start_date,
        max(own_end_date) as end_date,
        min(issue_date) as issue_date
    from own_periods
    group by invoice_id
),

periods as (
    -- a credit note without a service start of its own takes the period of the invoice it corrects
    select
        own_periods.*,
        case
            when own_periods.service_start_date is null and corrected_periods.invoice_id is not null
                then corrected_periods.start_date
            else own_periods.own_start_date
        end as period_start_date,
        case
            when own_periods.service_start_date is null and corrected_periods.invoice_id is not null
                then corrected_periods.end_date
            else own_periods.own_end_date
        end as period_end_date,
        coalesce(corrected_periods.issue_date, own_periods.issue_date) as fx_date
    from own_periods
    left join corrected_periods on own_periods.corrected_invoice_id = corrected_periods.invoice_id
),

with_line_rate as (
    select
        periods.*,
        line_rate.rate_date as line_rate_date,
        line_rate.units_per_eur as line_units_per_eur
    from periods
    asof left join rates as line_rate
        on periods.currency = line_rate.currency and periods.fx_date >= line_rate.rate_date
),

with_rates as (
    select
        with_line_rate.*,
        reporting_rate.rate_date as reporting_rate_date,
        reporting_rate.units_per_eur as reporting_units_per_eur
    from with_line_rate
    asof left join reporting_rates as reporting_rate
        on with_line_rate.fx_date >= reporting_rate.rate_date
),

usable as (
    select
        *,
        billing_interval != 'one_off' as is_recurring,
        -- EUR is the rates' base: it needs no rate of its own
        (
            (currency = 'EUR' or line_rate_date >= fx_date - $fx_max_age_days::integer)
            and ($reporting_currency = 'EUR' or reporting_rate_date >= fx_date - $fx_max_age_days::integer)
        ) as has_fx_rate
    from with_rates
)

select
    invoice_id,
    line_number,
    customer_id,
    issue_date,
    document_type,
    corrected_invoice_id,
    billing_interval,
    is_recurring,
    product,
    currency,
    net_amount,
    $reporting_currency as reporting_currency,
    fx_date,
    case when has_fx_rate and currency != 'EUR' then line_rate_date end as fx_rate_date,
    has_fx_rate,
    -- cents × reporting rate / line rate, rounded half away from zero in integer arithmetic (warehouse/db.py)
    case
        when has_fx_rate
            then fx_convert(net_amount, currency, line_units_per_eur, $reporting_currency, reporting_units_per_eur)
    end as amount_reporting,
    period_start_date,
    period_end_date,
    date_trunc('month', period_start_date)::date as service_start_month,
    -- months paid for: the period's days over an average month, rounded, at least one;
    -- a one-off line is recognised in its start month only
    case
        when is_recurring
            then greatest(1, round((period_end_date - period_start_date + 1) / 30.4375))::integer
        else 1
    end as service_months
from usable
order by invoice_id, line_number
