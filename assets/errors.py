"""Warehouse errors without client data: DuckDB quotes the offending values in its messages."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

# DuckDB quotes values in single quotes (identifiers in double) and prints numbers it cannot cast bare
QUOTED = re.compile(r"'[^']*'")
NUMBER = re.compile(r"\d[\d.,]{3,}")


def redact(message: str) -> str:
    """The message's first line with every quoted literal and every longer number replaced by '…'."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return NUMBER.sub("…", QUOTED.sub("'…'", first))


@contextmanager
def redacted_errors(step: str) -> Iterator[None]:
    """Turn a DuckDB error into a Failure whose message (and event log entry) quotes no values."""
    try:
        yield
    except duckdb.Error as exc:
        raise dg.Failure(description=f"{step}: {type(exc).__name__}: {redact(str(exc))}") from None
