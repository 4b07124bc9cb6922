"""delivered_on_time: a source is late when its latest delivery is older than its allowed lag."""

import datetime as dt

import dagster as dg
import duckdb

from checks.freshness import last_delivery, verdict
from warehouse.manifest import MANIFEST_DDL

AS_OF = dt.date(2024, 6, 30)


def test_a_delivery_within_the_allowed_days_passes():
    # 2024-06-28 23:30 UTC is 2024-06-29 in Budapest (CEST, +2): one day before the as-of date
    assert verdict("crm", dt.datetime(2024, 6, 28, 23, 30), AS_OF, 1).passed


def test_an_older_delivery_fails_naming_the_source_and_its_last_delivery():
    result = verdict("crm", dt.datetime(2024, 6, 28, 21, 0), AS_OF, 1)  # 23:00 Budapest, 06-28
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.description == ("crm has delivered no file since 2024-06-29 (1 day(s) before the as-of date "
                                  "2024-06-30); last delivery 2024-06-28 21:00 UTC")


def test_a_source_that_never_delivered_fails_and_one_not_configured_passes():
    assert not verdict("survey", None, AS_OF, 7).passed
    assert "last delivery never" in verdict("survey", None, AS_OF, 7).description
    assert verdict("fx", None, AS_OF, None).passed


def test_a_later_delivery_counts_so_a_rerun_of_a_past_date_is_not_late():
    assert verdict("billing", dt.datetime(2026, 1, 5, 8, 0), AS_OF, 0).passed


def test_last_delivery_reads_the_manifest_without_rejects_or_the_bundled_rates():
    with duckdb.connect() as conn:
        assert last_delivery(conn, "crm") is None  # no manifest yet
        conn.execute("create schema raw")
        conn.execute(MANIFEST_DDL)
        rows = [("crm", "canonical", "loaded", "2024-06-01 06:00"), ("crm", "canonical", "skipped_duplicate",
                "2024-06-20 06:00"), ("crm", "canonical", "rejected", "2024-06-29 06:00"),
                ("billing", "canonical", "loaded", "2024-06-30 06:00"), ("fx", "bundled", "loaded", "2024-06-30")]
        for source, profile, status, seen in rows:
            conn.execute("insert into raw.file_manifest (file_sha256, file_name, source, profile, status, "
                         "first_seen_at) values ('x', 'f', ?, ?, ?, ?)", [source, profile, status, seen])
        assert last_delivery(conn, "crm") == dt.datetime(2024, 6, 20, 6, 0)
        assert last_delivery(conn, "fx") is None

