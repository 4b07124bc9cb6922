"""Each active client's expected future margin as of one month, from data of that month only.

The inputs (spells of paying months, MRR, trailing margins) come from `warehouse.value_inputs`; the
retention model is the sBG fitted on the spells; the arithmetic is `assets.valuation.book`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from assets.metrics import sbg
from assets.metrics.model_fit import ModelFitError
from assets.valuation.book import Assumptions, residual_value_factor, retention_12m
from warehouse import value_inputs

HOMOGENEOUS_K = 1e6
LR_CRITICAL = 2.71  # 5% level of the 50:50 mixture of chi-square(0) and chi-square(1)


@dataclass(frozen=True)
class MonthValue:
    """The clients of one month with their value, and what the value assumed."""

    month: dt.date
    clients: pl.DataFrame  # customer_id, mrr, renewals, margin_rate, margin_basis, monthly_margin, value
    assumptions: Assumptions
    retention: sbg.SbgParams
    retention_model: str  # 'sBG', or 'geometric' when the sBG ran to its homogeneous limit
    book_margin_rate: float
    retention_12m: float

    @property
    def total(self) -> float:
        return float(self.clients["value"].sum())

    def revalued(self, **changes: float) -> tuple[float, float]:
        """Book value and 12-month retention under other assumptions (the sensitivity grid)."""
        a = replace(self.assumptions, **changes)
        renewals = self.clients["renewals"].to_numpy()
        value = float(np.dot(residual_value_factor(a, renewals), self.clients["monthly_margin"].to_numpy()))
        return value, retention_12m(a, renewals, self.clients["mrr"].to_numpy())


def client_margins(history: pl.DataFrame, month: dt.date) -> tuple[pl.DataFrame, float, str]:
    """Clients active in `month` with MRR, margin rate, its basis and monthly margin; the book's rate
    and basis, which clients without cost data take.

    A client's rate is its trailing 12-month margin / revenue (months with a cost row); without cost
    data in the whole book the rate is 1: the value is then of revenue, not margin, and the basis
    ('client', 'book' or 'revenue') says so.
    """
    active = value_inputs.active_with_margin(history, month)
    with_cost = active.filter(pl.col("revenue_12") > 0)
    book_rate = float(with_cost["margin_12"].sum() / with_cost["revenue_12"].sum()) if with_cost.height else 1.0
    book_basis = "book" if with_cost.height else "revenue"
    own = pl.col("revenue_12") > 0
    rated = active.with_columns(
        pl.when(own).then(pl.col("margin_12") / pl.col("revenue_12")).otherwise(book_rate).alias("margin_rate"),
        pl.when(own).then(pl.lit("client")).otherwise(pl.lit(book_basis)).alias("margin_basis"),
    )
    return rated.with_columns((pl.col("mrr") * pl.col("margin_rate")).alias("monthly_margin")), book_rate, book_basis


def geometric(spells: pl.DataFrame) -> tuple[float, float]:
    """The constant-churn model: p = churns / renewal decisions seen, and its log-likelihood.

    A churned spell of k months made k renewal decisions (the last one failed), a running one k − 1;
    months paid before the data began do not matter, a constant churn has no memory.
    """
    periods, churned = spells["periods"].to_numpy(), spells["churned"].to_numpy()
    decisions, churns = float(periods.sum() - (~churned).sum()), float(churned.sum())
    if churns == 0:
        raise ModelFitError("geometric retention", "no spell has ended in a churn yet", "Wait for more history.")
    p = churns / decisions
    return p, churns * math.log(p) + (decisions - churns) * (math.log1p(-p) if p < 1 else 0.0)


def fit_retention(spells: pl.DataFrame) -> tuple[sbg.SbgParams, str]:
    """The sBG on the spells when the data support heterogeneity, else its limit: a constant churn rate.

    The geometric model (every client churns at the same monthly rate p) is the sBG's limit as gamma
    and delta grow together. Along that ridge the sBG likelihood is flat and a fit may stop anywhere
    or run off, so the sBG is used only when it beats the geometric by a likelihood-ratio test at 5%:
    2 (LL_sBG − LL_geometric) ≥ 2.71, the boundary-corrected critical value (a 50:50 mixture of χ²₀ and
    χ²₁, as heterogeneity cannot be negative). Otherwise, or when the sBG cannot be fitted at all, the
    geometric model is used, recorded as gamma = p·K, delta = (1 − p)·K with K = 1e6, whose retention
    r_t = 1 − p to six decimals.
    """
    p, geometric_ll = geometric(spells)
    # identical spells weigh in once with their count: the same likelihood, a fraction of the work
    distinct = spells.group_by("periods", "churned", "paid_before").len().sort("periods", "churned", "paid_before")
    try:
        params = sbg.fit(distinct["periods"].to_numpy(), distinct["churned"].to_numpy(),
                         weights=distinct["len"].to_numpy(), paid_before=distinct["paid_before"].to_numpy())
    except ModelFitError:
        params = None
    if params is not None and 2 * (params.log_likelihood - geometric_ll) >= LR_CRITICAL:
        return replace(params, customers=spells.height), "sBG"
    return sbg.SbgParams(p * HOMOGENEOUS_K, (1 - p) * HOMOGENEOUS_K, geometric_ll, spells.height), "geometric"


def value_month(
    history: pl.DataFrame, month: dt.date, annual_discount: float, annual_growth: float, horizon_months: int
) -> MonthValue:
    """Fit the retention model on the spells up to `month` and value every client active in it.

    `history` is `warehouse.value_inputs.history`. Raises `ModelFitError` when no retention model
    can be fitted (for example when no spell has ended yet).
    """
    spells = value_inputs.spells(history, month)
    params, model = fit_retention(spells)
    current = spells.filter(pl.col("is_active_now")).select(
        "customer_id", (pl.col("paid_before") + pl.col("periods") - 1).alias("renewals"))
    active, book_rate, _ = client_margins(history, month)
    clients = active.join(current, on="customer_id", how="left").with_columns(pl.col("renewals").fill_null(0))
    a = Assumptions(params.gamma, params.delta, annual_discount, annual_growth, horizon_months)
    renewals = clients["renewals"].to_numpy()
    clients = clients.with_columns(
        pl.Series("value", residual_value_factor(a, renewals) * clients["monthly_margin"].to_numpy())
    )
    retention = retention_12m(a, renewals, clients["mrr"].to_numpy())
    return MonthValue(month, clients, a, params, model, book_rate, retention)
