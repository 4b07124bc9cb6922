-- CSAT per month and scale: the share of answers in the top box (the top `csat_top_box`
-- scores of the scale, e.g. 4-5 on a 1-5 scale), in percent.
with

responses as (
    select * from marts.fct_survey_responses
    where survey_type = 'csat' and response_month <= $reference_month
)

select
    response_month,
    scale_min,
    scale_max,
    count(*) as responses,
    count(*) filter (where is_csat_top_box) as top_box_responses,
    100 * count(*) filter (where is_csat_top_box) / count(*) as csat_pct
from responses
group by response_month, scale_min, scale_max
order by response_month, scale_min, scale_max
