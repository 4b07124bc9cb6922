"""Freshness: has each source delivered a file recently enough, relative to the run's as-of date?

Dagster's own freshness checks (`build_last_update_freshness_checks`, freshness policies) judge
an asset by its last materialisation against the wall clock. Neither fits: the raw assets
materialise every night whether or not a file came, so their last update is not the source's
last delivery, and a rerun of a past as-of date would be judged by today's clock. So the rule
reads the file manifest and the as-of date:

    a source is on time when the latest file version it delivered (any manifest status but
    `rejected`; the bundled ECB rates do not count) was first met on or after
    as-of date − `delivery_max_age_days[source]`, in Europe/Budapest.

Only a lower bound: a file met after the as-of date still counts, so rerunning a past date never
turns a delivered source late. A source absent from the setting is not checked.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from assets.settings import FIRM_TZ, ClientbookSettings
from warehouse.contract import EXTRACTS, Extract
from warehouse.errors import redacted_errors

CHECK_NAME = "delivered_on_time"
LAST_DELIVERY_SQL = (
    "select max(first_seen_at) from raw.file_manifest where source = ? and status <> 'rejected' "
    "and profile <> 'bundled'"
)


def last_delivery(conn: duckdb.DuckDBPyConnection, source: str) -> dt.datetime | None:
    """When the warehouse first met the source's latest delivered file (UTC), or None."""
    try:
        row = conn.execute(LAST_DELIVERY_SQL, [source]).fetchone()
    except duckdb.CatalogException:  # no manifest yet
        return None
    return row[0] if row else None


def verdict(source: str, last: dt.datetime | None, as_of: dt.date, max_age_days: int | None) -> dg.AssetCheckResult:
    """Pass when `last` (UTC) falls on or after as_of − max_age_days in Budapest; WARN severity."""
    seen = "never" if last is None else f"{last:%Y-%m-%d %H:%M} UTC"
    if max_age_days is None:
        return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"last_delivery": seen, "due_since": "not checked"})
    due = as_of - dt.timedelta(days=max_age_days)
    delivered = last is not None and last.replace(tzinfo=dt.UTC).astimezone(FIRM_TZ).date() >= due
    return dg.AssetCheckResult(
        passed=delivered,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if delivered else (
            f"{source} has delivered no file since {due} ({max_age_days} day(s) before the as-of date "
            f"{as_of}); last delivery {seen}"
        ),
        metadata={"last_delivery": seen, "due_since": due.isoformat()},
    )


def _binding(extract: Extract) -> dg.AssetChecksDefinition:
    # after every raw asset of the source, so tonight's files of its other extracts count too
    siblings = [dg.AssetKey(["raw", e.raw_table]) for e in EXTRACTS if e.source == extract.source and e != extract]

    @dg.asset_check(
        asset=dg.AssetKey(["raw", extract.raw_table]),
        name=CHECK_NAME,
        description=f"The {extract.source} source delivered a file within delivery_max_age_days of the as-of date.",
        blocking=False,
        additional_deps=siblings,
    )
    def _check(settings: ClientbookSettings, duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as conn, redacted_errors(f"check {CHECK_NAME} on raw.{extract.raw_table}"):
            last = last_delivery(conn, extract.source)
        return verdict(extract.source, last, settings.as_of_date(),
                       settings.delivery_max_age_days.get(extract.source))

    return _check


def build_freshness_checks() -> list[dg.AssetChecksDefinition]:
    """One `delivered_on_time` check per raw asset, judging its source."""
    return [_binding(e) for e in EXTRACTS]
