"""SQL rules on staging, marts and metrics: each a query returning the rows that break it.

A rule passes when its query returns no row. The rows shown in the UI are aggregates (months,
entities, currencies), never a client's data.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster_duckdb import DuckDBResource

from warehouse.contract import EXTRACTS
from warehouse.db import markdown_table
from warehouse.errors import redacted_errors


@dataclass(frozen=True)
class SqlRule:
    """One rule: the asset it guards, its name, what it means, and the violating-rows query."""

    asset: tuple[str, str]
    name: str
    description: str
    violations_sql: str
    params: tuple[str, ...] = ()
    blocking: bool = True


def evaluate(conn: object, rule: SqlRule) -> dg.AssetCheckResult:
    """Run the rule's query and turn its violating rows into a check result."""
    rel = conn.execute(rule.violations_sql, list(rule.params))  # type: ignore[attr-defined]
    columns = [d[0] for d in rel.description]
    rows = rel.fetchall()
    table = markdown_table(columns, rows[:20])
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.ERROR if rule.blocking else dg.AssetCheckSeverity.WARN,
        metadata={"violations": len(rows), **({"details": dg.MetadataValue.md(table)} if rows else {})},
        description=rule.description if rows else None,
    )


def _reconciliation(entity: str, staging_table: str) -> SqlRule:
    return SqlRule(
        ("staging", staging_table),
        "rows_reconcile",
        "Every raw row is loaded, deduplicated or quarantined, file by file: "
        "read = loaded + deduplicated + quarantined, and every raw row belongs to a counted file.",
        "select file_name, rows_read, rows_loaded, rows_deduplicated, rows_quarantined "
        "from staging.file_reconciliation "
        "where entity = ? and rows_read != rows_loaded + rows_deduplicated + rows_quarantined "
        "union all "
        f"select 'all files', (select count(*) from raw.{entity}), null, null, null "
        "where (select count(*) from raw." + entity + ") "
        "!= (select coalesce(sum(rows_read), 0) from staging.file_reconciliation where entity = ?)",
        (entity, entity),
    )


RULES: tuple[SqlRule, ...] = (
    *(_reconciliation(e.raw_table, e.staging_table) for e in EXTRACTS),
    SqlRule(
        ("staging", "stg_crm__customers"),
        "referrer_known",
        "Every referred_by_customer_id names a client in the CRM (a warning: the client itself is kept).",
        "select count(*) as clients_with_unknown_referrer from staging.stg_crm__customers as c "
        "where c.referred_by_customer_id is not null and c.referred_by_customer_id not in "
        "(select customer_id from staging.stg_crm__customers) having count(*) > 0",
        blocking=False,
    ),
    SqlRule(
        ("marts", "fct_invoice_lines"),
        "fx_rate_found",
        "Every line has an FX rate for its currency and the reporting currency within fx_max_age_days.",
        "select currency, min(issue_date) as first_issue_date, max(issue_date) as last_issue_date, "
        "count(*) as lines from marts.fct_invoice_lines where not coalesce(has_fx_rate, false) "
        "group by currency order by currency",
    ),
    SqlRule(
        ("marts", "fct_costs"),
        "cost_fx_rate_found",
        "Every cost has an FX rate for its currency and the reporting currency within fx_max_age_days.",
        "select currency, min(cost_month) as first_cost_month, max(cost_month) as last_cost_month, "
        "count(*) as costs from marts.fct_costs where not coalesce(has_fx_rate, false) "
        "group by currency order by currency",
    ),
    SqlRule(
        ("marts", "fct_revenue_by_customer_month"),
        "revenue_reconciles_to_invoices",
        "Recognised revenue equals the converted net invoiced amount, to the cent, recurring and one-off.",
        "with invoiced as (select is_recurring, sum(amount_reporting) as amount from marts.fct_invoice_lines "
        "where has_fx_rate group by is_recurring), "
        "recognised as (select true as is_recurring, sum(recurring_revenue) as amount "
        "from marts.fct_revenue_by_customer_month union all select false, sum(one_off_revenue) "
        "from marts.fct_revenue_by_customer_month) "
        "select i.is_recurring, i.amount as invoiced, r.amount as recognised from invoiced i "
        "full join recognised r using (is_recurring) "
        "where coalesce(i.amount, 0) != coalesce(r.amount, 0)",
    ),
    SqlRule(
        ("metrics", "mrr_by_month"),
        "bridge_reconciles",
        "In every month: starting MRR + new + expansion + contraction + churn + reactivation = ending MRR.",
        "select revenue_month, starting_mrr, ending_mrr, "
        "starting_mrr + new_mrr + expansion_mrr + contraction_mrr + churned_mrr + reactivation_mrr as bridged "
        "from metrics.mrr_by_month where starting_mrr + new_mrr + expansion_mrr + contraction_mrr "
        "+ churned_mrr + reactivation_mrr != ending_mrr order by revenue_month",
    ),
    SqlRule(
        ("metrics", "nps_by_month"),
        "nps_in_range",
        "NPS lies within -100..100 and promoters + passives + detractors = responses.",
        "select response_month, nps, responses from metrics.nps_by_month "
        "where nps not between -100 and 100 or promoters + passives + detractors != responses",
    ),
)


def _binding(rule: SqlRule) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(rule.asset)),
        name=rule.name,
        description=rule.description,
        blocking=rule.blocking,
    )
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as conn, redacted_errors(f"check {rule.name}"):
            return evaluate(conn, rule)

    return _check


def build_warehouse_checks() -> list[dg.AssetChecksDefinition]:
    """One Dagster asset check per SQL rule."""
    return [_binding(rule) for rule in RULES]
