-- Net Promoter Score per month: % promoters (9-10) − % detractors (0-6) on the 0-10 scale,
-- with its 95% margin of error 1.96 × sqrt((p + d − (p − d)²) / n), in NPS points.
with

responses as (
    select * from marts.fct_survey_responses
    where survey_type = 'nps' and response_month <= $reference_month
),

counts as (
    select
        response_month,
        count(*) as responses,
        count(*) filter (where nps_class = 'promoter') as promoters,
        count(*) filter (where nps_class = 'passive') as passives,
        count(*) filter (where nps_class = 'detractor') as detractors
    from responses
    group by response_month
),

shares as (
    select
        *,
        promoters / responses as promoter_share,
        detractors / responses as detractor_share
    from counts
)

select
    response_month,
    responses,
    promoters,
    passives,
    detractors,
    100 * (promoter_share - detractor_share) as nps,
    100 * 1.96 * sqrt(
        (promoter_share + detractor_share - power(promoter_share - detractor_share, 2)) / responses
    ) as nps_margin_of_error_95
from shares
order by response_month
