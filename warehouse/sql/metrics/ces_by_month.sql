-- Customer Effort Score per month and scale: the mean answer, with the scale's direction:
-- a 1-7 agreement scale (CES 2.0) is higher-is-better, any other (CES 1.0, 1-5) lower-is-better.
with

responses as (
    select * from marts.fct_survey_responses
    where survey_type = 'ces' and response_month <= $reference_month
)

select
    response_month,
    scale_min,
    scale_max,
    count(*) as responses,
    avg(score) as ces_mean,
    case
        when scale_min = 1 and scale_max = $ces_agreement_scale_max then 'higher_is_better'
        else 'lower_is_better'
    end as scale_direction
from responses
group by response_month, scale_min, scale_max
order by response_month, scale_min, scale_max
