"""Each active client's expected future margin as of one month, from data of that month only.

The inputs (spells of paying months, MRR, trailing margins) come from `warehouse.value_inputs`; the
retention model is the sBG fitted on the spells; the arithmetic is `assets.valuation.book`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from assets.metrics import sbg
from assets.valuation.book import Assumptions, residual_value_factor, retention_12m
from warehouse import value_inputs


@dataclass(frozen=True)
class MonthValue:
    """The clients of one month with their value, and what the value assumed."""

    month: dt.date
    clients: pl.DataFrame  # customer_id, mrr, renewals, margin_rate, margin_basis, monthly_margin, value
    assumptions: Assumptions
    retention: sbg.SbgParams
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


def margin_rates(active: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """Each client's trailing 12-month margin rate; the book's rate for clients without cost data.

    With no cost data in the book at all, the rate is 1: the value is then of revenue, not margin,
    and `margin_basis` says so ('client', 'book' or 'revenue').
    """
    with_cost = active.filter(pl.col("revenue_12") > 0)
    book_rate = float(with_cost["margin_12"].sum() / with_cost["revenue_12"].sum()) if with_cost.height else 1.0
    basis_default = "book" if with_cost.height else "revenue"
    rated = active.with_columns(
        pl.when(pl.col("revenue_12") > 0).then(pl.col("margin_12") / pl.col("revenue_12"))
        .otherwise(book_rate).alias("margin_rate"),
        pl.when(pl.col("revenue_12") > 0).then(pl.lit("client")).otherwise(pl.lit(basis_default)).alias("margin_basis"),
    )
    return rated, book_rate


def value_month(
    history: pl.DataFrame, month: dt.date, annual_discount: float, annual_growth: float, horizon_months: int
) -> MonthValue:
    """Fit the sBG on the spells up to `month` and value every client active in it.

    `history` is `warehouse.value_inputs.history`. Raises `ModelFitError` when the sBG cannot be
    fitted (for example when no spell has ended yet).
    """
    spells = value_inputs.spells(history, month)
    params = sbg.fit(spells["periods"].to_numpy(), spells["churned"].to_numpy())
    current = spells.filter(pl.col("is_active_now")).select("customer_id", (pl.col("periods") - 1).alias("renewals"))
    active, book_rate = margin_rates(value_inputs.active_with_margin(history, month))
    clients = active.join(current, on="customer_id", how="left").with_columns(pl.col("renewals").fill_null(0))
    a = Assumptions(params.gamma, params.delta, annual_discount, annual_growth, horizon_months)
    renewals = clients["renewals"].to_numpy()
    clients = clients.with_columns((pl.col("mrr") * pl.col("margin_rate")).alias("monthly_margin"))
    clients = clients.with_columns(
        pl.Series("value", residual_value_factor(a, renewals) * clients["monthly_margin"].to_numpy())
    )
    return MonthValue(month, clients, a, params, book_rate, retention_12m(a, renewals, clients["mrr"].to_numpy()))
