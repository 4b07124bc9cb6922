"""Keyed pseudonyms: HMAC-SHA256 of an id under a secret key, so a client can be followed but not named.

The key comes from the environment (CLIENTBOOK_PSEUDONYM_KEY), never from the repository. Without
the key a pseudonym cannot be linked back to an id, not even by trying every id; with it, one id
always gives the same pseudonym, in every table and every build. A new key gives new pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import duckdb
import polars as pl

PSEUDONYM_HEX = 16  # 64 bits: collisions need billions of clients
KEY_ID_LABEL = b"clientbook key id"
MIN_KEY_LENGTH = 16


class PseudonymKeyError(ValueError):
    """The pseudonym key is missing or too short; the message never quotes the key."""


def check_key(key: str) -> bytes:
    """The key as bytes; refuses a key too short to resist guessing."""
    raw = key.strip().encode("utf-8")
    if len(raw) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(f"the pseudonym key must have at least {MIN_KEY_LENGTH} characters")
    return raw


def pseudonym(key: bytes, value: str) -> str:
    """HMAC-SHA256(key, value) as the first PSEUDONYM_HEX hex digits."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (an HMAC of a fixed label): tells keys apart without revealing them."""
    return pseudonym(key, KEY_ID_LABEL.decode())[:8]


def mapping(key: bytes, ids: Iterable[str | None]) -> pl.DataFrame:
    """Id → pseudonym for every distinct non-null id."""
    distinct = sorted({i for i in ids if i is not None})
    return pl.DataFrame(
        {"id": distinct, "pseudonym": [pseudonym(key, i) for i in distinct]},
        schema={"id": pl.String, "pseudonym": pl.String},
    )


def register_mapping(conn: duckdb.DuckDBPyConnection, name: str, key: bytes, ids: Iterable[str | None]) -> int:
    """Register the id → pseudonym mapping as a view named `name` (a code identifier); returns its size."""
    frame = mapping(key, ids)
    conn.register(name, frame.to_arrow())
    return frame.height
