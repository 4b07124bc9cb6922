-- Lorenz curve points of recurring revenue per month: clients sorted from smallest to largest MRR,
-- the cumulative share of revenue held by the smallest m clients, at m = floor(k·n/100) for
-- k = 0..100 (every client when there are 100 or fewer). client_share = m / n exactly.
with

active as (
    select
        revenue_month,
        (mrr * 100)::hugeint as cents,
        row_number() over (partition by revenue_month order by mrr, customer_id) as rank_asc,
        count(*) over (partition by revenue_month) as clients
    from metrics.mrr_by_customer_month
    where is_active
),

cumulative as (
    select
        revenue_month,
        rank_asc,
        clients,
        sum(cents) over (partition by revenue_month order by rank_asc) as cumulative_cents,
        sum(cents) over (partition by revenue_month) as total_cents
    from active
),

months as (
    select distinct
        revenue_month,
        clients,
        total_cents
    from cumulative
),

points as (
    select distinct
        months.revenue_month,
        months.clients,
        months.total_cents,
        (percentile.k * months.clients) // 100 as point
    from months
    cross join range(0, 101) as percentile (k)
)

select
    points.revenue_month,
    points.point as clients_counted,
    round(points.point / points.clients, 6) as client_share,
    round(coalesce(cumulative.cumulative_cents, 0) / points.total_cents, 6) as revenue_share
from points
left join cumulative
    on points.revenue_month = cumulative.revenue_month and points.point = cumulative.rank_asc
where points.total_cents > 0
order by points.revenue_month, points.point
