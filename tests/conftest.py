"""Settings every test shares, set before any clientbook module is imported."""

import os

# The fixtures' history starts in 2023-11 (the tiny book in 2024-01; the demo books end in 2026-10):
# a later first partition than the default 2020-01 spares every run ~20 Dagster event records per
# partitioned table and month (measured: 1,401 events and +35 s on the tiny book from 2015-01).
os.environ.setdefault("CLIENTBOOK_FIRST_MONTH", "2023-11")
# Runs need a pseudonym key (docs/operations.md, Privacy): a fixed one keeps pseudonyms stable across
# tests, and every test directory gets it, not only those loaded after tests/e2e/conftest.py.
os.environ.setdefault("CLIENTBOOK_PSEUDONYM_KEY", "clientbook-tests-pseudonym-key")
