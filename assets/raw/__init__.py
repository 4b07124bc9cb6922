"""Raw: every landed extract file, read as its source profile says, stored as text with its file and line."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.privacy import PrivacyResource
from assets.raw.ingest import IngestReport, ingest
from assets.settings import ClientbookSettings
from warehouse.contract import EXTRACTS, Extract
from warehouse.db import markdown_table, qualified
from warehouse.errors import redacted_errors
from warehouse.ledger import ErasedSubjects, LedgerError, purge, stored
from warehouse.profiles import ProfileError, load_profile

GROUP_BY_SOURCE = {"crm": "crm", "billing": "billing", "survey": "survey", "fx": "billing"}
NO_REJECTS = "no_rejected_files"


def report_markdown(report: IngestReport) -> str:
    """The night's files of one extract as a table: loaded, skipped, rejected, waiting."""
    rows = [(name, "loaded", "", rows) for name, rows in report.loaded]
    rows += [(name, "skipped_duplicate", "same bytes as a loaded file", 0) for name in report.skipped]
    rows += [(name, "rejected", reason, 0) for name, reason, _ in report.rejected]
    rows += [(name, "waiting", "still being written", 0) for name in report.waiting]
    table = markdown_table(("file", "status", "reason", "rows"), rows) if rows else "no new files"
    return table + f"\n\n{report.unchanged} file(s) unchanged since an earlier night."


def raw_asset(extract: Extract) -> dg.AssetsDefinition:
    """Build the asset loading every new `<landing>/<source>/` file of `extract` (docs/extracts.md)."""

    @dg.asset(
        key=["raw", extract.raw_table],
        group_name=GROUP_BY_SOURCE[extract.source],
        description=f"Raw {extract.source} {extract.entity} as landed: {extract.doc}",
        kinds={"duckdb", "polars"},
        deps=[dg.AssetKey(["restricted", "erasure_ledger"])],
        check_specs=[dg.AssetCheckSpec(NO_REJECTS, asset=["raw", extract.raw_table],
                                       description="No file of this extract was rejected tonight.")],
    )
    def _asset(context: dg.AssetExecutionContext, settings: ClientbookSettings, privacy: PrivacyResource,
               duckdb: DuckDBResource) -> dg.MaterializeResult:
        landing = Path(settings.landing_dir)
        try:
            profile = load_profile(landing, extract.source)
        except ProfileError as exc:
            raise dg.Failure(description=str(exc)) from None
        with duckdb.get_connection() as conn, redacted_errors(f"raw.{extract.raw_table}"):
            try:
                erased = ErasedSubjects.from_ledger(privacy.key(), stored(conn))
            except LedgerError as exc:
                raise dg.Failure(description=str(exc)) from None
            report = ingest(conn, landing, extract, profile, context.run_id, erased)
            # rows an earlier night loaded before their client was erased (erase itself removes them too)
            report.erased += purge(conn, extract.raw_table, extract.column_names, erased)
            rows = conn.execute(f"select count(*) from {qualified('raw', extract.raw_table)}").fetchone()[0]
        for name, reason, message in report.rejected:
            context.log.warning(f"rejected {name} ({reason}): {message}")
        for warning in report.warnings:
            context.log.warning(warning)
        if report.waiting:
            context.log.warning(f"{len(report.waiting)} file(s) still being written, left for the next run")
        if rows == 0 and extract.mandatory:
            raise dg.Failure(
                description=f"no rows of {extract.source}/{extract.entity} in {landing}: the extract is required; "
                f"profile {profile.name} looks for {list(profile.files_for(extract).patterns)} (docs/extracts.md)"
            )
        rejected = ", ".join(f"{n} ({r})" for n, r, _ in report.rejected)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "profile": f"{profile.name} ({profile.path})",
                "files_loaded": len(report.loaded),
                "files_skipped": len(report.skipped),
                "files_rejected": len(report.rejected),
                "files_waiting": len(report.waiting),
                "rows_loaded_tonight": sum(n for _, n in report.loaded),
                "ingest": dg.MetadataValue.md(report_markdown(report)),
                "warnings": len(report.warnings),
                "rows_of_erased_clients": report.erased,
            },
            check_results=[dg.AssetCheckResult(
                check_name=NO_REJECTS, passed=not report.rejected, severity=dg.AssetCheckSeverity.WARN,
                description=f"rejected and moved to _rejected/: {rejected}" if rejected else None,
                metadata={"rejected": len(report.rejected)},
            )],
        )

    return _asset


raw_assets = [raw_asset(e) for e in EXTRACTS]
