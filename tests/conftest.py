"""Settings every test shares, set before any clientbook module is imported."""

import os

# The fixtures' history starts in 2022 (the tiny book in 2024): a later first partition than the
# default 2020-01 spares every run ~20 Dagster event records per partitioned table and month.
os.environ.setdefault("CLIENTBOOK_FIRST_MONTH", "2022-01")
