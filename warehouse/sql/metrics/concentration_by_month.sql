-- How concentrated the recurring revenue is, per month, over the clients active that month
-- (docs/metrics.md, "Concentration"): the largest client's share against the threshold, CR5 and
-- CR10, the share of the top `pareto_client_share` of clients, the Herfindahl-Hirschman index on
-- shares (0..1) and its effective number of clients, and the Gini coefficient. Sums run over
-- whole cents in integer arithmetic so the result does not depend on the order of summation.
with

active as (
    select
        revenue_month,
        customer_id,
        (mrr * 100)::hugeint as cents
    from metrics.mrr_by_customer_month
    where is_active
),

ranked as (
    select
        *,
        row_number() over (partition by revenue_month order by cents desc, customer_id asc) as rank_desc,
        count(*) over (partition by revenue_month) as clients
    from active
),

totals as (
    select
        revenue_month,
        any_value(clients) as clients,
        sum(cents) as total_cents,
        max(cents) as largest_cents,
        sum(cents) filter (where rank_desc <= 5) as top5_cents,
        sum(cents) filter (where rank_desc <= 10) as top10_cents,
        sum(cents) filter (where rank_desc <= ceil($pareto_client_share * clients)) as pareto_cents,
        sum(cents * cents) as squared_cents,
        -- Σ i·x_i with i the ascending rank (1 = smallest)
        sum((clients - rank_desc + 1) * cents) as rank_weighted_cents
    from ranked
    group by revenue_month
)

select
    revenue_month,
    clients as active_clients,
    (total_cents / 100)::decimal(18, 2) as total_mrr,
    round(largest_cents / total_cents, 6) as largest_client_share,
    $concentration_threshold::double as concentration_threshold,
    largest_cents / total_cents > $concentration_threshold as is_largest_over_threshold,
    round(top5_cents / total_cents, 6) as cr5,
    round(top10_cents / total_cents, 6) as cr10,
    $pareto_client_share::double as pareto_client_share,
    round(pareto_cents / total_cents, 6) as pareto_revenue_share,
    round(squared_cents::double / (total_cents::double * total_cents::double), 6) as hhi,
    round((total_cents::double * total_cents::double) / squared_cents::double, 4) as effective_clients,
    -- G = 2 Σ i·x_i / (n Σ x) − (n + 1) / n
    round(2 * rank_weighted_cents::double / (clients * total_cents::double) - (clients + 1) / clients, 6) as gini,
    $reporting_currency as reporting_currency
from totals
where total_cents > 0
order by revenue_month
