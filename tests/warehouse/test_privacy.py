"""The analysts' copy: keyed pseudonyms, no identifiers, small cells suppressed, nothing half-written."""

import datetime as dt
import errno
import hashlib
import hmac
import os
import stat
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.privacy import KEY_FILE, ensure_pseudonym_key
from warehouse import publish as publish_module
from warehouse.fingerprint import file_fingerprints
from warehouse.ledger import ErasedSubjects, LedgerEntry, LedgerError
from warehouse.pseudonym import key_id, pseudonym
from warehouse.publish import incoming_path_for, publish

KEY = b"a-test-key-of-enough-length"
SCHEMA = """
create schema raw; create schema staging; create schema marts; create schema valuation; create schema restricted;
create table raw.crm__customers (customer_id varchar, name varchar);
create table restricted.customer_identifiers (source_customer_id varchar, name varchar, tax_id varchar);
create table marts.dim_customers (customer_id varchar, country varchar, birth_year integer,
    referred_by_customer_id varchar, account_owner varchar);
create table marts.client_crosswalk (source_customer_id varchar, client_key varchar, tax_id_normalised varchar,
    name_match_key varchar);
create table staging.quarantine (entity varchar, source_file varchar, file_sha256 varchar, line_number bigint,
    column_name varchar, reason_code varchar, raw_value varchar);
create table staging.tax_id_lookup (tax_id varchar, country varchar, tax_id_normalised varchar, problem varchar);
create table valuation.book_valuation_by_segment (valuation_month date, dimension varchar, segment varchar,
    clients bigint, mrr decimal(18,2), book_value decimal(18,2), share_of_book double);
insert into raw.crm__customers values ('C1', 'Kovács Anna');
insert into restricted.customer_identifiers values ('C1', 'Kovács Anna', '12345676-2-41');
insert into marts.dim_customers values ('C1', 'HU', 1970, null, 'AO-01'), ('C2', 'HU', null, 'C1', 'AO-01');
insert into marts.client_crosswalk values ('C1', 'C1', 'HU12345676', 'kovács anna'), ('C3', 'C1', 'HU12345676',
    'kovacs anna'), ('C2', 'C2', null, 'szabó');
insert into staging.quarantine values
    ('billing__invoice_lines', 'billing/i.csv', 'abc', 23, 'net_amount', 'invalid_decimal', '12,3,4'),
    ('billing__invoice_lines', 'billing/i.csv', 'abc', 24, 'customer_id', 'unknown_customer', 'C404'),
    ('crm__customers', 'crm/c.csv', 'def', 8, 'tax_id', 'invalid_tax_id', '12345677');
insert into staging.tax_id_lookup values ('12345676-2-41', 'HU', 'HU12345676', null);
insert into valuation.book_valuation_by_segment values
    ('2024-06-01', 'industry', 'law', 4, 400.00, 4000.00, 0.4),
    ('2024-06-01', 'industry', 'retail', 5, 600.00, 6000.00, 0.6);
"""


@pytest.fixture
def built(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    conn = duckdb.connect(str(tmp_path / "w.work.duckdb"))
    conn.execute(SCHEMA)
    yield conn, tmp_path / "w.duckdb"
    conn.close()


def _rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_pseudonyms_are_truncated_hmacs_stable_across_tables(built):
    conn, published = built
    publish(conn, published, KEY, 5)
    by_hand = hmac.new(KEY, b"C1", hashlib.sha256).hexdigest()[:16]
    assert pseudonym(KEY, "C1") == by_hand
    assert _rows(published, "select customer_id from marts.dim_customers where country = 'HU' and "
                            "referred_by_customer_id is null") == [(by_hand,)]
    # the referrer, the crosswalk's client key and source id all carry the same pseudonym: joins still work
    assert _rows(published, "select referred_by_customer_id from marts.dim_customers where "
                            "referred_by_customer_id is not null") == [(by_hand,)]
    assert _rows(published, "select count(*) from marts.client_crosswalk as x join marts.dim_customers as d "
                            "on d.customer_id = x.client_key") == [(3,)]
    # account owners are pseudonymised too (staff names), with the same function
    assert _rows(published, "select distinct account_owner from marts.dim_customers") == [(pseudonym(KEY, "AO-01"),)]


def test_no_identifier_column_nor_restricted_schema_is_published(built):
    conn, published = built
    publish(conn, published, KEY, 5)
    schemas = {s for (s,) in _rows(published, "select distinct schema_name from duckdb_tables()")}
    assert schemas == {"staging", "marts", "valuation"}
    columns = {c for (c,) in _rows(published, "select column_name from duckdb_columns() where not internal")}
    assert not columns & {"name", "tax_id", "tax_id_normalised", "name_match_key", "birth_year", "comment"}
    assert not _rows(published, "select * from duckdb_tables() where table_name = 'tax_id_lookup'")
    # the tax id is masked to its country prefix
    assert _rows(published, "select distinct tax_id_country from marts.client_crosswalk order by 1") == [("HU",),
                                                                                                         (None,)]
    # quarantined raw values of identifier columns go; others stay for fixing the extract
    assert _rows(published, "select line_number, raw_value from staging.quarantine order by 1") == [
        (8, None), (23, "12,3,4"), (24, None)]
    text = published.read_bytes()
    for value in (b"Kov\xc3\xa1cs", b"12345676", b"HU12345676", b"C404", b"AO-01"):
        assert value not in text


def test_segments_below_the_minimum_cell_size_are_suppressed(built):
    conn, published = built
    publish(conn, published, KEY, 5)
    # law has 4 clients < 5: its measures are nulled and flagged; retail's 5 clients are shown
    assert _rows(published, "select segment, clients, mrr::double, book_value::double, share_of_book, is_suppressed "
                            "from valuation.book_valuation_by_segment order by segment") == [
        ("law", None, None, None, None, True), ("retail", 5, 600.0, 6000.0, 0.6, False)]
    publish(conn, published, KEY, 4)  # with a minimum of 4, law's row is shown
    assert _rows(published, "select count(*) from valuation.book_valuation_by_segment where is_suppressed") == [(0,)]


def test_a_full_disk_leaves_no_partial_file_and_the_published_file_untouched(built, monkeypatch):
    conn, published = built
    publish(conn, published, KEY, 5)
    before = file_fingerprints(published)

    def full(_: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish_module, "_fsync", full)
    conn.execute("insert into marts.dim_customers values ('C9', 'RO', null, null, null)")
    with pytest.raises(OSError):
        publish(conn, published, KEY, 5)
    assert [p.name for p in published.parent.iterdir() if p.name.startswith(".")] == []  # no .incoming(.wal)
    assert not incoming_path_for(published).exists()
    assert file_fingerprints(published) == before


def test_the_ledger_drops_erased_clients_and_blanks_references():
    erased = ErasedSubjects(KEY, frozenset({pseudonym(KEY, "C1")}))
    frame = pl.DataFrame({"customer_id": [" C1", "C2", None], "referred_by_customer_id": [None, "C1", "C2"]})
    kept, dropped = erased.drop(frame)
    assert dropped == 1  # " C1" trims to C1, as staging would read it
    assert kept.to_dicts() == [{"customer_id": "C2", "referred_by_customer_id": None},
                               {"customer_id": None, "referred_by_customer_id": "C2"}]


def test_a_ledger_made_under_another_key_is_refused():
    entry = LedgerEntry("r1", dt.datetime(2024, 7, 1), "ticket 1", key_id(b"another-key-of-length"),
                        ("0123456789abcdef",))
    with pytest.raises(LedgerError, match="another pseudonym key"):
        ErasedSubjects.from_ledger(KEY, [entry])


def test_the_cli_creates_an_owner_only_key_once(tmp_path, monkeypatch):
    monkeypatch.delenv("CLIENTBOOK_PSEUDONYM_KEY", raising=False)
    note = ensure_pseudonym_key(tmp_path / "w.duckdb")
    assert note and "created a random pseudonym key" in note
    key = os.environ["CLIENTBOOK_PSEUDONYM_KEY"]
    assert len(key) == 64 and stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    monkeypatch.delenv("CLIENTBOOK_PSEUDONYM_KEY")
    assert "using the pseudonym key" in (ensure_pseudonym_key(tmp_path / "w.duckdb") or "")
    assert os.environ["CLIENTBOOK_PSEUDONYM_KEY"] == key
    monkeypatch.setenv("CLIENTBOOK_PSEUDONYM_KEY", "from-the-secret-store")
    assert ensure_pseudonym_key(tmp_path / "w.duckdb") is None
