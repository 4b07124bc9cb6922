"""Resources: the run settings and the one DuckDB warehouse file, from arguments or environment."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from assets.settings import ClientbookSettings
from warehouse.errors import WarehouseError, is_transient, redact
from warehouse.lock import acquire, release
from warehouse.publish import work_path_for

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse/clientbook.duckdb"
# Bounded, so a 30-million-line night stays within a 4 GB machine budget with Python beside it (docs/operations.md).
DEFAULT_MEMORY_LIMIT = "2GB"


def published_from_env() -> Path:
    """The published warehouse file: CLIENTBOOK_WAREHOUSE, else the default."""
    return Path(os.environ.get("CLIENTBOOK_WAREHOUSE", DEFAULT_WAREHOUSE))


def settings_from_env() -> ClientbookSettings:
    """Settings for the UI and the schedule: CLIENTBOOK_LANDING and friends, else the defaults."""
    return ClientbookSettings(
        landing_dir=os.environ.get("CLIENTBOOK_LANDING", DEFAULT_LANDING),
        warehouse_file=str(published_from_env()),
        reporting_currency=os.environ.get("CLIENTBOOK_CURRENCY", "EUR"),
        **({"max_runtime_seconds": int(os.environ["CLIENTBOOK_MAX_RUNTIME"])}
           if os.environ.get("CLIENTBOOK_MAX_RUNTIME") else {}),
    )


class WarehouseResource(DuckDBResource):
    """The DuckDB resource, making the warehouse folder when a run starts (never at import time).

    Every asset and check opens the warehouse through `get_connection`, so this is the one place
    that turns a transient error into a retry of the step (docs/operations.md).
    """

    transient_retries: int = Field(
        default=3, description="How often a step is tried again after a locked file or an I/O error."
    )
    transient_retry_wait_seconds: float = Field(
        default=60, description="Seconds to wait before trying such a step again."
    )

    lock_wait_seconds: float = Field(
        default=60, description="How long a run waits for another run or erasure to release the warehouse."
    )
    memory_limit: str = Field(
        default=DEFAULT_MEMORY_LIMIT,
        description="DuckDB's memory limit per database instance (e.g. 3GB); above it, joins and sorts spill to disk.",
    )
    temp_directory: str = Field(
        default="", description="Folder DuckDB spills to; empty: `<working file>.tmp` beside the warehouse."
    )
    threads: int = Field(default=0, description="DuckDB worker threads; 0: one per core.")
    _lock: int | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # the run holds the warehouse from its first step to its last (warehouse/lock.py); files it
        # creates (the working file with the clients' identifiers) are owner-only
        os.umask(0o077)
        self._lock = acquire(Path(self.database), self.lock_wait_seconds)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            release(self._lock)
            self._lock = None

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, closed afterwards; a transient error asks Dagster to retry the step.

        DuckDBResource retries a locked file for about 100 s inside the step (10 backoffs); here
        the connection is tried once, so the retry count and wait above alone govern.
        """
        try:
            conn = duckdb.connect(self.database, read_only=False, config=self._config())
            try:
                yield conn
            finally:
                conn.close()
        except (dg.RetryRequested, dg.Failure):
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            # the cause shown in the event log and by `clientbook run`: redacted, like every DuckDB error
            cause = exc if isinstance(exc, WarehouseError | OSError) else WarehouseError(
                f"warehouse: {type(exc).__name__}: {redact(str(exc))}")
            raise dg.RetryRequested(
                max_retries=self.transient_retries, seconds_to_wait=self.transient_retry_wait_seconds
            ) from cause


    def _config(self) -> dict[str, str | int]:
        """Connection settings: the memory limit, the spill folder and the threads (values, never SQL text)."""
        config: dict[str, str | int] = {"custom_user_agent": "dagster", "memory_limit": self.memory_limit}
        if self.temp_directory:
            config["temp_directory"] = self.temp_directory
        if self.threads:
            config["threads"] = self.threads
        return config | self.connection_config


def duckdb_resource(published: Path) -> DuckDBResource:
    """The working file every asset writes, beside the published one, with DuckDB's limits from the environment."""
    return WarehouseResource(
        database=str(work_path_for(published)),
        memory_limit=os.environ.get("CLIENTBOOK_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
        temp_directory=os.environ.get("CLIENTBOOK_DUCKDB_TEMP_DIR", ""),
        threads=threads_from_env(),
    )


def threads_from_env() -> int:
    """CLIENTBOOK_DUCKDB_THREADS as a whole number of threads, 0 (or unset) for one per core."""
    text = os.environ.get("CLIENTBOOK_DUCKDB_THREADS", "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise ValueError(f"CLIENTBOOK_DUCKDB_THREADS must be a whole number of threads (0: one per core), got {text!r}")
    return int(text)
