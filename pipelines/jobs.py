"""Jobs: the nightly build of every asset, in one process because DuckDB has a single writer."""

import dagster as dg

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.all(),
    description="Materialise every asset and run every check, from the landed extracts to the valuation.",
    executor_def=dg.in_process_executor,
)
