-- Cost to serve per client and month up to the as-of date, in the reporting currency at the latest
-- rate on or before the cost month's first day (staging quarantined costs without such a rate:
-- `no_fx_rate`), with the fx_convert macro of invoice lines (warehouse/db.py); a cost whose reporting-currency rate is missing keeps a null cost_reporting and
-- fails the blocking check cost_fx_rate_found. customer_id is the client key
-- (marts.client_crosswalk); source_customer_id the CRM record the cost was booked on.
with

costs as (
    select
        costs.cost_month,
        costs.amount,
        costs.currency,
        costs.customer_id as source_customer_id,
        coalesce(crosswalk.client_key, costs.customer_id) as customer_id
    from staging.stg_billing__costs as costs
    left join marts.client_crosswalk as crosswalk on costs.customer_id = crosswalk.source_customer_id
    where costs.cost_month <= $as_of_date
),

rates as (
    select * from staging.stg_fx__rates
),

reporting_rates as (
    select * from rates
    where currency = $reporting_currency
),

with_rates as (
    select
        costs.*,
        line_rate.rate_date as line_rate_date,
        line_rate.units_per_eur as line_units_per_eur
    from costs
    asof left join rates as line_rate
        on costs.currency = line_rate.currency and costs.cost_month >= line_rate.rate_date
),

with_both_rates as (
    select
        with_rates.*,
        reporting_rate.rate_date as reporting_rate_date,
        reporting_rate.units_per_eur as reporting_units_per_eur
    from with_rates
    asof left join reporting_rates as reporting_rate
        on with_rates.cost_month >= reporting_rate.rate_date
),

usable as (
    select
        *,
        (
            (currency = 'EUR' or line_rate_date >= cost_month - $fx_max_age_days::integer)
            and ($reporting_currency = 'EUR' or reporting_rate_date >= cost_month - $fx_max_age_days::integer)
        ) as has_fx_rate
    from with_both_rates
)

select
    customer_id,
    source_customer_id,
    cost_month,
    currency,
    amount,
    $reporting_currency as reporting_currency,
    has_fx_rate,
    case
        when has_fx_rate
            then fx_convert(amount, currency, line_units_per_eur, $reporting_currency, reporting_units_per_eur)
    end as cost_reporting
from usable
order by customer_id, cost_month, source_customer_id
