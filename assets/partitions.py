"""Monthly partitions of the month-grain metrics: one partition per calendar month of history.

The first month is fixed when the definitions load (Dagster needs a static start): the
`CLIENTBOOK_FIRST_MONTH` environment variable (YYYY-MM), 2020-01 by default. A row older than
that is never dropped: the partition writer fails the run and names the setting.
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

DEFAULT_FIRST_MONTH = "2020-01"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def first_month() -> dt.date:
    """The first partition's month: CLIENTBOOK_FIRST_MONTH, else 2020-01."""
    text = os.environ.get("CLIENTBOOK_FIRST_MONTH", DEFAULT_FIRST_MONTH)
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"CLIENTBOOK_FIRST_MONTH must be YYYY-MM, not {text!r}") from None


# months end at midnight in the firm's time zone, as the as-of date does (assets/settings.py): just
# after midnight on the 1st in Budapest, the month before is already complete
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=first_month().isoformat(), end_offset=0, timezone="Europe/Budapest"
)


def partition_key(month: dt.date) -> str:
    """The partition key of a month: its first day, as Dagster writes it."""
    return month.replace(day=1).isoformat()


def month_of(key: str) -> dt.date:
    """The month a partition key stands for."""
    return dt.date.fromisoformat(key)


def range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """Run tags asking for one run over the months start..end: what a single-run UI backfill sets."""
    return {RANGE_START_TAG: partition_key(start), RANGE_END_TAG: partition_key(end)}
