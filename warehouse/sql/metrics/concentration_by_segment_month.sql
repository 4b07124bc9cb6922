-- Concentration of recurring revenue across the groups of one client attribute per month:
-- industry, country and size band (a missing value is the group 'unknown'). HHI on the groups'
-- shares (0..1), its effective number of groups, and the largest group with its share.
with

active as (
    select
        revenue_month,
        customer_id,
        (mrr * 100)::hugeint as cents
    from metrics.mrr_by_customer_month
    where is_active
),

customers as (
    select * from marts.dim_customers
),

attributes as (
    unpivot (
        select
            customer_id,
            coalesce(industry, 'unknown') as industry,
            coalesce(country, 'unknown') as country,
            coalesce(size_band, 'unknown') as size_band
        from customers
    ) on industry, country, size_band into name dimension value segment
),

groups as (
    select
        active.revenue_month,
        dimensions.dimension,
        coalesce(attributes.segment, 'unknown') as segment,
        sum(active.cents) as cents
    from active
    cross join (values ('industry'), ('country'), ('size_band')) as dimensions (dimension)
    left join attributes
        on active.customer_id = attributes.customer_id and dimensions.dimension = attributes.dimension
    group by all
),

shares as (
    select
        *,
        cents / sum(cents) over (partition by revenue_month, dimension) as share,
        row_number() over (partition by revenue_month, dimension order by cents desc, segment asc) as rank_desc
    from groups
)

select
    revenue_month,
    dimension,
    count(*) as segment_groups,
    round(sum(share * share), 6) as hhi,
    round(1 / sum(share * share), 4) as effective_groups,
    any_value(segment) filter (where rank_desc = 1) as largest_group,
    round(max(share), 6) as largest_group_share
from shares
group by revenue_month, dimension
order by revenue_month, dimension
