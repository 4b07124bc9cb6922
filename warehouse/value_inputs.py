"""The inputs of the client value models, read from the warehouse as of a month or a date.

Every input is cut at a month or date, so a past month is modelled from the data of that month
only (the as-of history of `book_valuation_by_month` and the churn backtest depend on it).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

# Months as the model time unit: an average Gregorian month in days.
MONTH_DAYS = 365.25 / 12

HISTORY = """
with

months as (
    select customer_id, revenue_month, is_active, movement, mrr
    from metrics.mrr_by_customer_month
    where revenue_month <= $month
),

truncated as (
    -- a client already paying in the first month of data, created in the CRM before it, is taken to
    -- have paid every month since its creation month: those months are `paid_before` its first spell
    select
        customers.customer_id,
        date_diff('month', date_trunc('month', customers.created_date), starts.data_start) as paid_before
    from marts.dim_customers as customers
    cross join (select min(months.revenue_month) as data_start from months) as starts
    inner join months
        on customers.customer_id = months.customer_id and starts.data_start = months.revenue_month
    where months.is_active and date_trunc('month', customers.created_date) < starts.data_start
),

profit as (
    select
        customer_id,
        revenue_month,
        sum(margin) filter (where has_cost and revenue > 0) over last_12 as margin_12,
        sum(revenue) filter (where has_cost and revenue > 0) over last_12 as revenue_12
    from metrics.profit_by_customer_month
    where revenue_month <= $month
    window last_12 as (
        partition by customer_id order by revenue_month range between interval 11 month preceding and current row
    )
)

select
    months.customer_id,
    months.revenue_month,
    months.is_active,
    months.movement,
    months.mrr::double as mrr,
    -- a spell of paying months starts with a new or a reactivated month
    sum(case when months.movement in ('new', 'reactivation') then 1 else 0 end)
        over (partition by months.customer_id order by months.revenue_month)::integer as spell,
    profit.margin_12::double as margin_12,
    profit.revenue_12::double as revenue_12,
    coalesce(truncated.paid_before, 0) as paid_before
from months
left join profit on months.customer_id = profit.customer_id and months.revenue_month = profit.revenue_month
left join truncated on months.customer_id = truncated.customer_id
order by months.customer_id, months.revenue_month
"""

PURCHASES = """
with

purchases as (
    -- a purchase is a day with invoiced (not credited) positive spend
    select
        customer_id,
        issue_date,
        sum(amount_reporting)::double as spend
    from marts.fct_invoice_lines
    where document_type = 'invoice' and has_fx_rate and issue_date <= $holdout_end
    group by customer_id, issue_date
    having sum(amount_reporting) > 0
),

ordered as (
    select
        *,
        row_number() over (partition by customer_id order by issue_date) as purchase_number
    from purchases
)

select
    customer_id,
    count(*) filter (where issue_date <= $cutoff) - 1 as frequency,
    (max(issue_date) filter (where issue_date <= $cutoff) - min(issue_date)) / $month_days as recency,
    ($cutoff - min(issue_date) + 1) / $month_days as age,
    avg(spend) filter (where purchase_number > 1 and issue_date <= $cutoff) as mean_spend,
    count(*) filter (where issue_date > $cutoff) as holdout_purchases
from ordered
group by customer_id
having min(issue_date) <= $cutoff
order by customer_id
"""


def history(conn: duckdb.DuckDBPyConnection, month: dt.date) -> pl.DataFrame:
    """Every client-month up to `month`: activity, movement, MRR, spell number, the trailing 12-month
    margin and revenue over the months with a cost row (null without cost data), and the months the
    client paid before the data began (`paid_before`, for the first spell only)."""
    return conn.execute(HISTORY, {"month": month}).pl()


def spells(history: pl.DataFrame, month: dt.date) -> pl.DataFrame:
    """Each client's spells of paying months as known at `month`: `periods` paid months, `churned`
    when the spell has ended with a churn month, `is_active_now` when it is paying in `month`, and
    `paid_before`: months paid before the data began (left truncation; the first spell only)."""
    return (
        history.filter(pl.col("revenue_month") <= month)
        .group_by("customer_id", "spell")
        .agg(
            pl.col("is_active").sum().alias("periods"),
            (pl.col("movement") == "churn").any().alias("churned"),
            (pl.col("revenue_month").filter(pl.col("is_active")).max() == month).alias("is_active_now"),
            pl.when(pl.col("spell").first() == 1).then(pl.col("paid_before").first()).otherwise(0)
            .alias("paid_before"),
        )
        .sort("customer_id", "spell")
    )


def active_with_margin(history: pl.DataFrame, month: dt.date) -> pl.DataFrame:
    """Clients active in `month` with their MRR and trailing 12-month margin and revenue."""
    return history.filter((pl.col("revenue_month") == month) & pl.col("is_active")).select(
        "customer_id", "mrr", "margin_12", "revenue_12"
    )


def purchases(conn: duckdb.DuckDBPyConnection, cutoff: dt.date, holdout_end: dt.date | None = None) -> pl.DataFrame:
    """Per client first purchased by `cutoff`: repeat purchases, recency and age in months at the end of
    `cutoff`, mean spend of the repeat purchases, and the purchases in (cutoff, holdout_end]."""
    params = {"cutoff": cutoff, "holdout_end": holdout_end or cutoff, "month_days": MONTH_DAYS}
    return conn.execute(PURCHASES, params).pl()


def valuation_months(conn: duckdb.DuckDBPyConnection, reference_month: dt.date, warm_up: int = 12) -> list[dt.date]:
    """Months valued in the as-of history: from the first month with `warm_up` months of data up to
    it, and the reference month always."""
    rows = conn.execute(
        "select distinct revenue_month from metrics.mrr_by_customer_month where revenue_month <= ? order by 1",
        [reference_month],
    ).fetchall()
    months = [r[0] for r in rows[warm_up - 1:]]
    return months if reference_month in months else [*months, reference_month]
