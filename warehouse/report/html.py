"""The report file: seven sections as one self-contained HTML page (inline CSS and SVG, no links).

The page may be e-mailed: clients appear by `customer_id` only, and nothing is fetched when it
is opened. A section whose table is missing or empty says "no data" instead of failing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.report import add_months, charts, fmt_money, fmt_month, fmt_number, fmt_pct, fmt_signed, queries

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
Row = dict[str, Any]


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
    bridge = queries.mrr_months(conn, month)
    this_month = bridge.row(-1, named=True)
    currency = this_month["reporting_currency"] or ""
    concentration = _first(queries.month_rows(conn, "metrics", "concentration_by_month", month))
    valuation = _first(queries.month_rows(conn, "valuation", "book_valuation_by_month", month))
    bodies = (
        _headline(conn, month, this_month, concentration, valuation, currency),
        _bridge(bridge, currency),
        _cohorts(conn, month),
        _concentration(conn, month, concentration),
        _satisfaction(conn, month),
        _valuation(conn, month, valuation, currency),
        _risks(conn, month, concentration, currency),
    )
    sections = "\n".join(
        f'<section id="s{i}"><h2>{escape(title)}</h2>\n{body}</section>'
        for i, (title, body) in enumerate(zip(SECTIONS, bodies, strict=True), start=1)
    )
    title = f"Client book report {fmt_month(month)}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body><main>\n"
        f'<h1>{escape(title)}</h1>\n<p class="sub">As of {fmt_month(month)} · amounts in {escape(currency)} · '
        f"from {escape(source)} · generated {dt.date.today().isoformat()}</p>\n{sections}\n</main></body></html>\n"
    )


def _first(frame: pl.DataFrame | None) -> Row | None:
    return frame.row(0, named=True) if frame is not None and frame.height else None


def _no_data(conn: duckdb.DuckDBPyConnection, table: str, when: str) -> str:
    """Say which table is missing or empty, in place of a section's chart or table."""
    layer, name = table.split(".")
    why = f"has no rows {when}" if queries.has_table(conn, layer, name) else "is not in this warehouse"
    return f'<p class="nodata">no data: {escape(table)} {escape(why)}</p>\n'


def _for(month: dt.date) -> str:
    return f"for {fmt_month(month)}"


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], cell: Callable[[int, int], str] = lambda _r, _c: ""
) -> str:
    """An HTML table of already formatted text; `cell(row, column)` gives a cell's class."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{cell(r, c)}">{escape(v)}</td>' if cell(r, c) else f"<td>{escape(v)}</td>"
            for c, v in enumerate(row)
        )
        + "</tr>"
        for r, row in enumerate(rows)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n"


def _card(key: str, value: str, detail: str = "") -> str:
    return (
        f'<div class="card"><div class="k">{escape(key)}</div><div class="v">{escape(value)}</div>'
        f'<div class="d">{escape(detail)}</div></div>'
    )


def _flag(conn: duckdb.DuckDBPyConnection, month: dt.date, concentration: Row | None) -> str:
    """The red concentration flag, a one-line all-clear, or "no data"."""
    if concentration is None:
        return _no_data(conn, "metrics.concentration_by_month", _for(month))
    if concentration["is_largest_over_threshold"]:
        return f'<div class="flag">Concentration risk: {escape(charts.flag_text(concentration))}</div>\n'
    share, threshold = concentration["largest_client_share"], concentration["concentration_threshold"]
    return (
        f'<p class="ok">Largest client {fmt_pct(share)}, within the {charts.threshold_text(threshold)} threshold.</p>\n'
    )


def pooled_nps(responses: int, promoters: int, detractors: int) -> tuple[float, float] | None:
    """NPS and its 95% margin of error over pooled answers (docs/metrics.md, NPS); None without answers."""
    if not responses:
        return None
    p, d = promoters / responses, detractors / responses
    return 100 * (p - d), 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / responses)


def _headline(
    conn: duckdb.DuckDBPyConnection,
    month: dt.date,
    bridge: Row,
    concentration: Row | None,
    valuation: Row | None,
    currency: str,
) -> str:
    churn = _first(queries.churn_row(conn, month))
    nps_counts = _first(queries.trailing_nps(conn, month))
    nps = pooled_nps(nps_counts["responses"], nps_counts["promoters"], nps_counts["detractors"]) if nps_counts else None
    window = f"{fmt_month(add_months(month, 1 - queries.TRAILING_NPS_MONTHS))} to {fmt_month(month)}"
    cards = [
        _card("Active clients", fmt_number(bridge["ending_customers"]), f"at the end of {fmt_month(month)}"),
        _card(
            "MRR", fmt_money(bridge["ending_mrr"], currency), f"ARR {fmt_money(12 * bridge['ending_mrr'], currency)}"
        ),
        _card(
            "NRR / GRR",
            f"{fmt_pct(churn['net_revenue_retention'])} / {fmt_pct(churn['gross_revenue_retention'])}"
            if churn
            else "no data",
            "net / gross revenue retention of the month",
        ),
        _card(
            f"NPS, trailing {queries.TRAILING_NPS_MONTHS} months",
            f"{fmt_signed(nps[0])} ± {fmt_number(nps[1], 1)}" if nps else "no data",
            f"{fmt_number(nps_counts['responses'])} responses, {window}" if nps and nps_counts else window,
        ),
        _book_card(valuation, currency),
    ]
    return f'<div class="cards">{"".join(cards)}</div>\n{_flag(conn, month, concentration)}'


def _book_card(valuation: Row | None, currency: str) -> str:
    if valuation is None:
        return _card("Book value", "no data")
    if valuation["book_value"] is None:  # the month could not be valued; `method` says why
        return _card("Book value", "not valued", str(valuation["method"]))
    return _card(
        "Book value",
        fmt_money(valuation["book_value"], currency),
        f"{fmt_money(valuation['book_value_before_adjustment'], currency)} before a concentration adjustment of "
        f"{fmt_money(valuation['concentration_adjustment'], currency)}",
    )


def _bridge(bridge: pl.DataFrame, currency: str) -> str:
    return charts.mrr_bridge(bridge.row(-1, named=True), currency) + charts.mrr_trend(bridge, currency)


def _cohorts(conn: duckdb.DuckDBPyConnection, month: dt.date) -> str:
    frame = queries.cohorts(conn, month)
    if frame is None or frame.is_empty():
        return _no_data(conn, "metrics.retention_by_cohort", _for(month))
    return (
        charts.cohort_heatmap(frame) + '<p class="note">Share of each cohort\'s clients active n months after '
        "their first active month (logo retention), for the last 24 cohorts, as known in "
        f"{fmt_month(month)}.</p>\n"
    )


def _concentration(conn: duckdb.DuckDBPyConnection, month: dt.date, concentration: Row | None) -> str:
    points = queries.month_rows(conn, "metrics", "lorenz_by_month", month)
    parts = [_flag(conn, month, concentration) if concentration and concentration["is_largest_over_threshold"] else ""]
    parts.append(
        charts.lorenz(points, concentration)
        if points is not None and points.height
        else _no_data(conn, "metrics.lorenz_by_month", _for(month))
    )
    if concentration:
        c = concentration
        parts.append(
            _table(
                ("active clients", "largest client", "threshold", "CR5", "CR10", "HHI", "effective clients", "Gini"),
                [
                    (
                        fmt_number(c["active_clients"]),
                        fmt_pct(c["largest_client_share"]),
                        fmt_pct(c["concentration_threshold"], 0),
                        fmt_pct(c["cr5"]),
                        fmt_pct(c["cr10"]),
                        fmt_number(c["hhi"], 3),
                        fmt_number(c["effective_clients"], 1),
                        fmt_number(c["gini"], 3),
                    )
                ],
            )
        )
    segments = queries.month_rows(conn, "metrics", "concentration_by_segment_month", month)
    parts.append("<h3>Concentration by segment</h3>\n")
    if segments is None or segments.is_empty():
        parts.append(_no_data(conn, "metrics.concentration_by_segment_month", _for(month)))
    else:
        parts.append(
            _table(
                ("dimension", "groups", "HHI", "effective groups", "largest group", "its share"),
                [
                    (
                        r["dimension"].replace("_", " "),
                        fmt_number(r["segment_groups"]),
                        fmt_number(r["hhi"], 3),
                        fmt_number(r["effective_groups"], 1),
                        str(r["largest_group"]),
                        fmt_pct(r["largest_group_share"]),
                    )
                    for r in segments.iter_rows(named=True)
                ],
            )
        )
    return "".join(parts)


def _satisfaction(conn: duckdb.DuckDBPyConnection, month: dt.date) -> str:
    months = [add_months(month, i - queries.TREND_MONTHS + 1) for i in range(queries.TREND_MONTHS)]
    nps = queries.survey_trend(conn, "nps_by_month", month)
    csat = queries.survey_trend(conn, "csat_by_month", month)
    window = f"from {fmt_month(months[0])} to {fmt_month(month)}"
    return (
        "<h3>NPS</h3>\n"
        + (
            charts.nps_trend(nps, months)
            if nps is not None and nps.height
            else _no_data(conn, "metrics.nps_by_month", window)
        )
        + "<h3>CSAT</h3>\n"
        + (
            charts.csat_trend(csat, months)
            if csat is not None and csat.height
            else _no_data(conn, "metrics.csat_by_month", window)
        )
        + '<p class="note">Shaded bands are 95% margins of error. NPS: ±1.96·√((p+d−(p−d)²)/n)·100 points, as '
        "stored in metrics.nps_by_month. CSAT: ±1.96·√(p(1−p)/n) in percentage points, computed by this report "
        "from the top-box share p and the responses n (it gives no band at 0% or 100%). Hollow markers: "
        f"fewer than {charts.FEW_RESPONSES} responses; a month without answers is a gap in the line and shows "
        "n=0 below it.</p>\n"
    )


def _valuation(conn: duckdb.DuckDBPyConnection, month: dt.date, valuation: Row | None, currency: str) -> str:
    if valuation is None:
        return _no_data(conn, "valuation.book_valuation_by_month", _for(month))
    v = valuation

    def money(key: str) -> str:
        return fmt_money(v[key], currency)

    assumptions = [
        ("book value", money("book_value")),
        ("book value before adjustment", money("book_value_before_adjustment")),
        ("concentration adjustment", money("concentration_adjustment")),
        ("book score", fmt_number(v["book_score"], 1)),
        ("clients", fmt_number(v["clients"])),
        ("MRR", money("mrr")),
        ("monthly margin", money("monthly_margin")),
        ("margin rate", fmt_pct(v["margin_rate"])),
        ("growth rate (annual)", fmt_pct(v["growth_rate"])),
        ("discount rate (annual)", fmt_pct(v["discount_rate"])),
        ("horizon", f"{fmt_number(v['horizon_years'])} years"),
        ("sBG gamma", fmt_number(v["sbg_gamma"], 4)),
        ("sBG delta", fmt_number(v["sbg_delta"], 4)),
        ("expected 12-month retention", fmt_pct(v["expected_retention_12m"])),
        ("largest client share", fmt_pct(v["largest_client_share"])),
        ("concentration threshold", fmt_pct(v["concentration_threshold"], 0)),
        ("method", str(v["method"])),
    ]
    parts = [_table(("assumption", f"value, {fmt_month(month)}"), assumptions)]
    history = queries.book_value_history(conn, month)
    if history is not None and history.height:
        parts.append(charts.book_value_history(history, currency))
    parts.append(_sensitivity(conn, month, v, currency))
    parts.append("<h3>Book value by segment</h3>\n")
    segments = queries.month_rows(conn, "valuation", "book_valuation_by_segment", month)
    if segments is None or segments.is_empty():
        parts.append(_no_data(conn, "valuation.book_valuation_by_segment", _for(month)))
    else:
        tables = []
        for dimension in segments["dimension"].unique(maintain_order=True).to_list():
            rows = segments.filter(pl.col("dimension") == dimension).sort("book_value", descending=True)
            tables.append(
                f"<div><h3>{escape(dimension.replace('_', ' '))}</h3>"
                + _table(
                    ("segment", "clients", "MRR", "book value", "share of book"),
                    [
                        (
                            str(r["segment"]),
                            fmt_number(r["clients"]),
                            fmt_number(r["mrr"]),
                            fmt_number(r["book_value"]),
                            fmt_pct(r["share_of_book"]),
                        )
                        for r in rows.iter_rows(named=True)
                    ],
                )
                + "</div>"
            )
        parts.append(f'<div class="grid">{"".join(tables)}</div><p class="note">Amounts in {escape(currency)}.</p>\n')
    return "".join(parts)


def _sensitivity(conn: duckdb.DuckDBPyConnection, month: dt.date, valuation: Row, currency: str) -> str:
    """One table per growth rate: discount rate down, churn multiplier across, the base case highlighted."""
    head = "<h3>Sensitivity of the book value</h3>\n"
    grid = queries.month_rows(conn, "valuation", "book_valuation_sensitivity", month)
    if grid is None or grid.is_empty():
        return head + _no_data(conn, "valuation.book_valuation_sensitivity", _for(month))
    tables = []
    for growth in sorted(grid["growth_rate"].unique().to_list()):
        part = grid.filter(pl.col("growth_rate") == growth)
        discounts = sorted(part["discount_rate"].unique().to_list())
        multipliers = sorted(part["churn_multiplier"].unique().to_list())
        values = {(r["discount_rate"], r["churn_multiplier"]): r["book_value"] for r in part.iter_rows(named=True)}
        base_row = next((i for i, d in enumerate(discounts) if _same(d, valuation["discount_rate"])), None)
        base_col = next((j for j, m in enumerate(multipliers) if _same(m, 1.0)), None)
        is_base = _same(growth, valuation["growth_rate"])
        table = _table(
            ["discount rate \\ churn ×", *(f"× {fmt_number(m, 2)}" for m in multipliers)],
            [[fmt_pct(d), *(fmt_number(values.get((d, m))) for m in multipliers)] for d in discounts],
            lambda r, c, base_row=base_row, base_col=base_col, is_base=is_base: (
                "base" if is_base and r == base_row and c - 1 == base_col else ""
            ),
        )
        tables.append(f"<div><h3>growth {fmt_pct(growth)}</h3>{table}</div>")
    return (
        head + f'<div class="grid">{"".join(tables)}</div><p class="note">Book value in {escape(currency)} '
        "per discount rate (rows) and churn multiplier (columns: expected churn scaled by it); the highlighted "
        "cell is the base case above.</p>\n"
    )


def _same(a: float | None, b: float | None) -> bool:
    """Rates compared as stored floats; a missing rate (a month not valued) matches nothing."""
    return a is not None and b is not None and math.isclose(a, b)


def _risks(conn: duckdb.DuckDBPyConnection, month: dt.date, concentration: Row | None, currency: str) -> str:
    parts = ["<h3>Largest expected MRR at risk</h3>\n"]
    risks = queries.top_risks(conn, month)
    if risks is None or risks.is_empty():
        parts.append(_no_data(conn, "metrics.churn_risk_by_customer", _for(month)))
    else:
        parts.append(
            _table(
                (
                    "rank",
                    "client id",
                    f"MRR ({currency})",
                    "churn probability",
                    f"expected MRR at risk ({currency})",
                    "risk decile",
                ),
                [
                    (
                        str(i),
                        str(r["customer_id"]),
                        fmt_number(r["mrr"], 2),
                        fmt_pct(r["churn_probability"]),
                        fmt_number(r["expected_mrr_at_risk"], 2),
                        fmt_number(r["risk_decile"]),
                    )
                    for i, r in enumerate(risks.iter_rows(named=True), start=1)
                ],
            )
        )
        parts.append('<p class="note">Expected MRR at risk = churn probability × MRR. Clients by id only.</p>\n')
    costs = _first(queries.cost_over_revenue(conn, month))
    parts.append("<h3>Clients costing more than they bring in</h3>\n")
    if costs is None or not costs["clients"]:
        parts.append(_no_data(conn, "metrics.profit_by_customer_month", _for(month)))
    else:
        parts.append(
            f"<p><strong>{fmt_number(costs['cost_over_revenue'])}</strong> of "
            f"{fmt_number(costs['clients'])} clients had a cost above their revenue in {fmt_month(month)}.</p>\n"
        )
    parts.append("<h3>Concentration</h3>\n" + _flag(conn, month, concentration))
    parts.append("<h3>Churn model backtest</h3>\n")
    backtest = queries.backtest_summary(conn, month)
    if backtest is None or backtest.is_empty():
        parts.append(_no_data(conn, "metrics.churn_backtest", _for(month)))
    else:
        parts.append(
            _table(
                ("model", "backtests", "months", "mean ROC AUC", "mean precision, top decile"),
                [
                    (
                        str(r["model"]),
                        fmt_number(r["backtests"]),
                        f"{fmt_month(r['first_month'])} to {fmt_month(r['last_month'])}",
                        fmt_number(r["mean_roc_auc"], 3),
                        fmt_pct(r["mean_precision_top_decile"]),
                    )
                    for r in backtest.iter_rows(named=True)
                ],
            )
        )
    return "".join(parts)
