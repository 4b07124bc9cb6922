-- Logo and revenue retention of each cohort (clients whose first active month is the cohort
-- month), for every month from the cohort month to the reference month.
with

customer_months as (
    select * from metrics.mrr_by_customer_month
),

cohorts as (
    select
        customer_id,
        min(revenue_month) as cohort_month
    from customer_months
    where is_active
    group by customer_id
),

cohort_sizes as (
    select
        cohorts.cohort_month,
        count(*) as cohort_customers,
        sum(customer_months.mrr) as cohort_starting_mrr
    from cohorts
    inner join customer_months
        on
            cohorts.customer_id = customer_months.customer_id
            and cohorts.cohort_month = customer_months.revenue_month
    group by cohorts.cohort_month
),

cohort_months as (
    select
        cohort_month,
        unnest(generate_series(cohort_month, $reference_month, interval 1 month))::date as revenue_month
    from cohort_sizes
),

activity as (
    select
        cohorts.cohort_month,
        customer_months.revenue_month,
        count(*) filter (where customer_months.is_active) as active_customers,
        sum(customer_months.mrr) as mrr
    from cohorts
    inner join customer_months on cohorts.customer_id = customer_months.customer_id
    group by cohorts.cohort_month, customer_months.revenue_month
)

select
    cohort_months.cohort_month,
    cohort_months.revenue_month,
    datediff('month', cohort_months.cohort_month, cohort_months.revenue_month) as months_since_start,
    cohort_sizes.cohort_customers,
    coalesce(activity.active_customers, 0) as active_customers,
    coalesce(activity.mrr, 0)::decimal(18, 2) as mrr,
    coalesce(activity.active_customers, 0) / cohort_sizes.cohort_customers as logo_retention,
    coalesce(activity.mrr, 0) / nullif(cohort_sizes.cohort_starting_mrr, 0) as revenue_retention,
    $reporting_currency as reporting_currency
from cohort_months
inner join cohort_sizes on cohort_months.cohort_month = cohort_sizes.cohort_month
left join activity
    on cohort_months.cohort_month = activity.cohort_month and cohort_months.revenue_month = activity.revenue_month
order by cohort_months.cohort_month, cohort_months.revenue_month
