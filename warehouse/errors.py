"""Warehouse errors without client data: DuckDB quotes the offending values in its messages."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

# DuckDB quotes values in single quotes (identifiers in double) and prints numbers it cannot cast bare
QUOTED = re.compile(r"'[^']*'")
NUMBER = re.compile(r"\d[\d.,]{3,}")


class WarehouseError(Exception):
    """A DuckDB failure whose message names the step and quotes no value from the extracts."""


def redact(message: str) -> str:
    """The message's first line with every quoted literal and every longer number replaced by '…'."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return NUMBER.sub("…", QUOTED.sub("'…'", first))


@contextmanager
def redacted_errors(step: str) -> Iterator[None]:
    """Re-raise a DuckDB error as a WarehouseError with a redacted message and no chained original."""
    try:
        yield
    except duckdb.Error as exc:
        raise WarehouseError(f"{step}: {type(exc).__name__}: {redact(str(exc))}") from None
