"""The month-partition writer on a hand-made table: idempotent, restatements logged, nothing dropped."""

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from warehouse.partitions import LOG, STATE, MonthTable, PartitionError, write_months

JAN, FEB, MAR = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
FIRST = dt.date(2020, 1, 1)
SPEC = MonthTable("metrics", "revenue_by_month", "revenue_month", "revenue")
SQL = "select revenue_month, sum(amount)::decimal(18, 2) as revenue from metrics.source group by all"


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema metrics")
    conn.execute("create table metrics.source (revenue_month date, amount decimal(18, 2))")
    conn.execute("insert into metrics.source values ('2024-01-01', 100), ('2024-02-01', 50), ('2024-02-01', 25), "
                 "('2024-03-01', 10)")
    return conn


def _write(conn: duckdb.DuckDBPyConnection, start: dt.date = JAN, end: dt.date = MAR, run: str = "r1"):
    return write_months(conn, SPEC, SQL, {}, start, end, FIRST, run, dt.date(2024, 3, 31))


def _rows(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute("select * from metrics.revenue_by_month order by 1").fetchall()


def test_writing_the_same_months_twice_leaves_the_same_rows(conn):
    first = _write(conn)
    once = _rows(conn)
    second = _write(conn, run="r2")
    assert once == _rows(conn) == [(JAN, Decimal("100.00"), False), (FEB, Decimal("75.00"), False),
                                   (MAR, Decimal("10.00"), False)]
    assert (first.rows, first.months, first.restated) == (3, 3, [])
    assert second.restated == []
    assert conn.execute(f"select count(*) from {LOG}").fetchone() == (0,)


def test_a_changed_closed_month_is_restated_and_logged_with_its_totals(conn):
    _write(conn)
    # a credit note of −30 lands for February: 50 + 25 − 30 = 45
    conn.execute("insert into metrics.source values ('2024-02-01', -30)")
    written = _write(conn, run="r2")
    assert written.restated == [FEB]
    assert _rows(conn) == [(JAN, Decimal("100.00"), False), (FEB, Decimal("45.00"), True),
                           (MAR, Decimal("10.00"), False)]
    log = conn.execute(f"select table_name, restated_month, rows_before, rows_after, total_before, total_after, "
                       f"run_id from {LOG}").fetchall()
    assert log == [("metrics.revenue_by_month", FEB, 1, 1, Decimal("75"), Decimal("45"), "r2")]
    # the flag stays when the month is written again unchanged
    _write(conn, run="r3")
    assert _rows(conn)[1] == (FEB, Decimal("45.00"), True)


def test_only_the_range_is_replaced(conn):
    _write(conn)
    conn.execute("update metrics.source set amount = amount * 2")
    _write(conn, start=MAR, end=MAR, run="r2")
    # January and February keep their rows; March is 10 × 2 = 20 and restated
    assert _rows(conn) == [(JAN, Decimal("100.00"), False), (FEB, Decimal("75.00"), False),
                           (MAR, Decimal("20.00"), True)]
    assert conn.execute(f"select partition_month, run_id from {STATE} order by 1").fetchall() == [
        (JAN, "r1"), (FEB, "r1"), (MAR, "r2")]


def test_a_row_older_than_the_first_partition_fails_and_writes_nothing(conn):
    conn.execute("insert into metrics.source values ('2019-12-01', 5)")
    with pytest.raises(PartitionError, match="older than the first partition 2020-01; set CLIENTBOOK_FIRST_MONTH"):
        _write(conn)
    assert conn.execute("select count(*) from duckdb_tables() where table_name = 'revenue_by_month'"
                        ).fetchone() == (0,)


def test_a_table_of_another_shape_is_rebuilt_by_a_run_over_every_month_but_not_by_a_backfill(conn):
    # same column names, another type (double, not decimal): still another shape
    conn.execute("create table metrics.revenue_by_month (revenue_month date, revenue double, is_restated boolean)")
    conn.execute("insert into metrics.revenue_by_month values ('2018-01-01', 1, false)")
    with pytest.raises(PartitionError, match="built by another version of clientbook"):
        _write(conn, start=FEB, end=MAR)
    _write(conn, start=FIRST, end=MAR)
    assert len(_rows(conn)) == 3


def test_a_restated_month_stays_marked_when_the_table_is_rebuilt_in_a_new_shape(conn):
    _write(conn)
    conn.execute("insert into metrics.source values ('2024-02-01', -30)")
    _write(conn, run="r2")
    conn.execute("alter table metrics.revenue_by_month alter revenue type double")  # an older shape
    _write(conn, start=FIRST, end=MAR, run="r3")
    assert [row[2] for row in _rows(conn)] == [False, True, False]


def test_rows_without_a_month_fail_and_write_nothing(conn):
    conn.execute("insert into metrics.source values (null, 5)")
    with pytest.raises(PartitionError, match="1 row[(]s[)] without a month"):
        _write(conn)
    assert conn.execute("select count(*) from duckdb_tables() where table_name = 'revenue_by_month'"
                        ).fetchone() == (0,)
