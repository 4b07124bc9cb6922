"""The analysts' DuckDB shell: the published warehouse, read-only, with no access to any other file.

The shell is the DuckDB CLI from PyPI (`duckdb-cli`, pinned to the same version as `duckdb` so it
opens the file). Before any user input it attaches the previous published build read-only as
`previous` (when there is one), then closes the file system: no directory is allowed, no spill
directory, no extension loaded or installed, external access off, and safe mode on, which also
locks the configuration so no later `SET` can undo any of it.

Why no directory, not the warehouse folder: a read-only database still lets `COPY ... TO` write
any allowed path, and in the folder that would overwrite `clientbook.previous.duckdb` or the
published file itself; and the folder also holds files no analyst may read (the pseudonym key
file, the erasure ledger). The two builds an analyst needs are opened before the lock instead.
"""

from __future__ import annotations

from pathlib import Path

import duckdb_cli

from warehouse.publish import previous_path_for

# Order matters: `allowed_directories` and `temp_directory` can only be set while external
# access is on, and `.safe_mode` turns it off and sets `lock_configuration = true` (DuckDB 1.5).
SANDBOX: tuple[str, ...] = (
    "SET allowed_directories = []",
    "SET temp_directory = ''",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET enable_external_access = false",
    ".safe_mode",
)


class QueryError(Exception):
    """The published warehouse cannot be opened."""


def cli_binary() -> Path:
    """The DuckDB executable that the `duckdb-cli` wheel ships inside its package."""
    return Path(duckdb_cli.__file__).with_name("duckdb")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def query_command(published: Path, sql: str | None = None) -> list[str]:
    """The argv of the sandboxed shell on `published`; with `sql`, it runs that and exits."""
    if not published.is_file():
        raise QueryError(f"no published warehouse at {published}: run `make run` first")
    published = published.resolve()
    setup: list[str] = []
    previous = previous_path_for(published)
    if previous.is_file():
        setup.append(f"ATTACH {_sql_string(str(previous))} AS previous (READ_ONLY)")
    setup.extend(SANDBOX)
    # -init /dev/null: ~/.duckdbrc would otherwise run before the sandbox.
    argv = [str(cli_binary()), "-readonly", "-init", "/dev/null"]
    for command in setup:
        argv += ["-cmd", command]
    if sql is not None:
        argv += ["-c", sql]
    argv.append(str(published))
    return argv
