"""Restricted: the erasure ledger and the clients' direct identifiers, kept out of the analysts' copy."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.privacy import PrivacyResource
from assets.settings import ClientbookSettings
from assets.sql_asset import SqlTable, sql_asset
from warehouse.errors import redacted_errors
from warehouse.ledger import ErasedSubjects, LedgerError, ledger_path_for, sync

LEDGER_KEY = dg.AssetKey(["restricted", "erasure_ledger"])


@dg.asset(
    key=LEDGER_KEY,
    group_name="crm",
    description="Clients erased on request (keyed pseudonyms only): their rows never enter the warehouse again.",
    kinds={"duckdb"},
)
def erasure_ledger(settings: ClientbookSettings, privacy: PrivacyResource, duckdb: DuckDBResource
                   ) -> dg.MaterializeResult:
    """Load the ledger file beside the published warehouse into the working file, before any extract."""
    path = ledger_path_for(Path(settings.warehouse_file))
    with duckdb.get_connection() as conn, redacted_errors("restricted.erasure_ledger"):
        entries = sync(conn, path)
    try:
        erased = ErasedSubjects.from_ledger(privacy.key(), entries)
    except LedgerError as exc:
        raise dg.Failure(description=str(exc)) from None
    return dg.MaterializeResult(
        metadata={"dagster/row_count": len(erased.pseudonyms), "requests": len(entries), "path": str(path)}
    )


customer_identifiers = sql_asset(SqlTable(
    "restricted", "customer_identifiers",
    [("staging", "stg_crm__customers"), ("marts", "client_crosswalk")],
    "crm", "Direct identifiers (names, tax ids, name keys, birth years) of every CRM record; never published.",
))

restricted_assets = [erasure_ledger, customer_identifiers]
