"""The report file: seven sections as one self-contained HTML page (inline CSS and SVG, no links).

The page may be e-mailed: clients appear by `customer_id` only, and nothing is fetched when it
is opened. A section whose table is missing or empty says "no data" instead of failing.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

import duckdb

from warehouse.report import fmt_month, queries, queries_revenue, sections, sections_risk, sections_value
from warehouse.report.fragments import first_row

SECTIONS = (
    "1. Headline",
    "2. MRR bridge and trend",
    "3. Cohort retention",
    "4. Revenue concentration",
    "5. Client satisfaction",
    "6. Valuation",
    "7. Top risks",
)
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;margin:0}
body{background:#f4f5f7}
main{max-width:1040px;margin:0 auto;padding:24px}
section{background:#fff;border-radius:6px;padding:18px 22px;margin:0 0 20px;box-shadow:0 1px 2px #0002}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:0 0 12px;color:#1f4e79}h3{font-size:15px;margin:18px 0 8px}
.sub{color:#666;margin:0 0 20px}.note{color:#666;font-size:13px}.nodata{color:#888;font-style:italic}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
.card{border:1px solid #e3e3e3;border-radius:6px;padding:10px 14px}.card .k{color:#666;font-size:13px}
.card .v{font-size:22px;font-weight:600;margin:2px 0}.card .d{color:#666;font-size:12px}
.flag{background:#c62828;color:#fff;font-weight:600;padding:8px 12px;border-radius:4px;margin:8px 0}
.ok{color:#2e7d32}
svg{max-width:100%;height:auto;display:block;margin:8px 0}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{padding:4px 10px;border-bottom:1px solid #e6e6e6;text-align:right}th{background:#f0f3f7}
td:first-child,th:first-child{text-align:left}td.base{background:#fff3c4;font-weight:700;outline:2px solid #b35900}
.grid{display:flex;flex-wrap:wrap;gap:0 28px}
@media print{body{background:#fff}section{box-shadow:none;break-inside:avoid-page}}
"""


def write_report(warehouse: Path, month: dt.date | None = None, out: Path | None = None) -> Path:
    """Write the report of `month` (default: the latest month built) and return its path."""
    with queries.connect(warehouse) as conn:
        month = queries.report_month(conn, month)
        page = render(conn, month, source=warehouse.name)
    out = out or warehouse.parent / f"report_{fmt_month(month)}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def render(conn: duckdb.DuckDBPyConnection, month: dt.date, source: str) -> str:
    """The whole page for `month`, which must be a month of metrics.mrr_by_month."""
    bridge = queries_revenue.mrr_months(conn, month)
    this_month = bridge.row(-1, named=True)
    currency = this_month["reporting_currency"] or ""
    concentration = first_row(queries.month_rows(conn, "metrics", "concentration_by_month", month))
    valuation = first_row(queries.month_rows(conn, "valuation", "book_valuation_by_month", month))
    bodies = (
        sections.headline(conn, month, this_month, concentration, valuation, currency),
        sections.mrr_bridge_and_trend(bridge, currency),
        sections.cohort_retention(conn, month),
        sections_risk.revenue_concentration(conn, month, concentration),
        sections.client_satisfaction(conn, month),
        sections_value.book_valuation(conn, month, valuation, currency),
        sections_risk.top_risks(conn, month, concentration, currency),
    )
    sections_html = "\n".join(
        f'<section id="s{i}"><h2>{escape(title)}</h2>\n{body}</section>'
        for i, (title, body) in enumerate(zip(SECTIONS, bodies, strict=True), start=1)
    )
    title = f"Client book report {fmt_month(month)}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body><main>\n"
        f'<h1>{escape(title)}</h1>\n<p class="sub">As of {fmt_month(month)} · amounts in {escape(currency)} · '
        f"from {escape(source)} · generated {dt.date.today().isoformat()}</p>\n{sections_html}\n</main></body></html>\n"
    )
