"""Run settings every asset reads: the as-of date and the business rules, with their defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

FIRM_TZ = ZoneInfo("Europe/Budapest")


def today_in_firm_tz() -> dt.date:
    """The calendar day in the firm's time zone; used only when no as-of date is given."""
    return dt.datetime.now(FIRM_TZ).date()


def reference_month(as_of: dt.date) -> dt.date:
    """The last complete month on `as_of`: its own month if `as_of` is that month's last day."""
    if (as_of + dt.timedelta(days=1)).month != as_of.month:
        return as_of.replace(day=1)
    return (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class ClientbookSettings(dg.ConfigurableResource):
    """Where the extracts are, the as-of date, and every business rule's setting (docs/metrics.md)."""

    landing_dir: str = Field(description="Folder holding <source>/<entity>*.csv|parquet extracts.")
    warehouse_file: str = Field(
        description="The published warehouse analysts open; runs build `<name>.work.duckdb` beside it."
    )
    as_of: str = Field(
        default="",
        description="As-of date YYYY-MM-DD replacing 'today' everywhere; empty = today in Europe/Budapest.",
    )
    reporting_currency: str = Field(default="EUR", description="ISO code all money is converted to.")
    fx_max_age_days: int = Field(
        default=7, description="Oldest FX rate (days before the invoice date) that may be used."
    )
    csat_top_box: int = Field(default=2, description="How many top answers of a CSAT scale count as satisfied.")
    ces_agreement_scale_max: int = Field(
        default=7, description="Max of the 1..N agreement scale read as CES 2.0 (higher is better)."
    )
    weight_arr: float = Field(default=0.40, description="Weight of ARR in the client valuation score.")
    weight_retention: float = Field(default=0.25, description="Weight of retention in the valuation score.")
    weight_growth: float = Field(default=0.20, description="Weight of growth potential in the valuation score.")
    weight_depth: float = Field(default=0.15, description="Weight of relationship depth in the valuation score.")
    discount_rate: float = Field(default=0.12, description="Annual discount rate of the book valuation DCF.")
    growth_rate: float = Field(default=0.02, description="Annual growth of retained revenue in the DCF.")
    horizon_years: int = Field(default=10, description="Years of future revenue the DCF and CLV count.")
    concentration_threshold: float = Field(
        default=0.20, description="Share of MRR above which one client is flagged as a concentration risk."
    )
    concentration_haircut: float = Field(
        default=0.50,
        description="Share of the book value held above the threshold by single clients that the valuation deducts.",
    )
    pareto_client_share: float = Field(
        default=0.20, description="The top share of clients whose share of MRR is reported (Pareto)."
    )
    passive_window_months: int = Field(
        default=12, description="A client with no MRR is passive if invoiced or contacted within this many months."
    )
    strategic_top_share: float = Field(
        default=0.10, description="Active clients in this top share by MRR are strategic."
    )
    strategic_min_tenure_months: int = Field(
        default=120, description="Active clients with at least this many months of tenure are strategic."
    )
    strategic_segment_label: str = Field(
        default="strategic", description="CRM segment label (case-insensitive) that marks a client strategic."
    )
    churn_horizon_months: int = Field(
        default=3, description="Churn prediction window: churn within this many months after the scored month."
    )
    churn_backtest_months: int = Field(
        default=12, description="How many past months the churn model is backtested on."
    )
    churn_max_training_clients: int = Field(
        default=20_000, ge=1,
        description="Most clients whose history trains the churn model; above it, a fixed sample of that many"
        " clients (smallest hash of customer_id) is drawn. Scoring still covers every client.",
    )
    min_cell_size: int = Field(
        default=5, description="Segment rows of fewer clients or answers are suppressed in the analysts' copy."
    )
    delivery_max_age_days: dict[str, int] = Field(
        default={"crm": 1, "billing": 1, "survey": 7},
        description="Per source, how many days before the as-of date its latest delivery may be (docs/operations.md);"
        " a source left out is not checked.",
    )
    max_runtime_seconds: int = Field(
        default=4 * 3600, description="A run still going after this many seconds is stopped (docs/operations.md)."
    )

    def as_of_date(self) -> dt.date:
        """The run's as-of date as a date."""
        return dt.date.fromisoformat(self.as_of) if self.as_of else today_in_firm_tz()

    def sql_params(self) -> dict[str, Any]:
        """Named `$parameters` the SQL files may use; values reach SQL only this way."""
        as_of = self.as_of_date()
        return {
            "as_of_date": as_of,
            "reference_month": reference_month(as_of),
            "reporting_currency": self.reporting_currency.upper(),
            "fx_max_age_days": self.fx_max_age_days,
            "csat_top_box": self.csat_top_box,
            "ces_agreement_scale_max": self.ces_agreement_scale_max,
            "weight_arr": self.weight_arr,
            "weight_retention": self.weight_retention,
            "weight_growth": self.weight_growth,
            "weight_depth": self.weight_depth,
            "concentration_threshold": self.concentration_threshold,
            "pareto_client_share": self.pareto_client_share,
            "passive_window_months": self.passive_window_months,
            "strategic_top_share": self.strategic_top_share,
            "strategic_min_tenure_months": self.strategic_min_tenure_months,
            "strategic_segment_label": self.strategic_segment_label,
            "churn_horizon_months": self.churn_horizon_months,
        }
