"""Section 6 of the report: the valuation's assumptions, history, sensitivity and split by segment."""

from __future__ import annotations

import datetime as dt
import math
from html import escape

import duckdb
import polars as pl

from warehouse.report import charts_value, fmt_money, fmt_month, fmt_number, fmt_pct, queries, queries_value
from warehouse.report.fragments import Row, for_month, html_table, no_data


def book_valuation(conn: duckdb.DuckDBPyConnection, month: dt.date, valuation: Row | None, currency: str) -> str:
    """Section 6: the valuation's assumptions, book value history, sensitivity grid and split by segment."""
    if valuation is None:
        return no_data(conn, "valuation.book_valuation_by_month", for_month(month))
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
        ("retention model", str(v.get("retention_model") or "sBG")),
        ("sBG gamma", fmt_number(v["sbg_gamma"], 4)),
        ("sBG delta", fmt_number(v["sbg_delta"], 4)),
        ("expected 12-month retention", fmt_pct(v["expected_retention_12m"])),
        ("largest client share", fmt_pct(v["largest_client_share"])),
        ("concentration threshold", fmt_pct(v["concentration_threshold"], 0)),
        ("method", str(v["method"])),
    ]
    parts = [html_table(("assumption", f"value, {fmt_month(month)}"), assumptions)]
    history = queries_value.book_value_history(conn, month)
    if history is not None and history.height:
        parts.append(charts_value.book_value_history(history, currency))
    parts.append(sensitivity(conn, month, v, currency))
    parts.append("<h3>Book value by segment</h3>\n")
    segments = queries.month_rows(conn, "valuation", "book_valuation_by_segment", month)
    if segments is None or segments.is_empty():
        parts.append(no_data(conn, "valuation.book_valuation_by_segment", for_month(month)))
    else:
        tables = []
        for dimension in segments["dimension"].unique(maintain_order=True).to_list():
            rows = segments.filter(pl.col("dimension") == dimension).sort("book_value", descending=True)
            tables.append(
                f"<div><h3>{escape(dimension.replace('_', ' '))}</h3>"
                + html_table(
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


def sensitivity(conn: duckdb.DuckDBPyConnection, month: dt.date, valuation: Row, currency: str) -> str:
    """One table per growth rate: discount rate down, churn multiplier across, the base case highlighted."""
    head = "<h3>Sensitivity of the book value</h3>\n"
    grid = queries.month_rows(conn, "valuation", "book_valuation_sensitivity", month)
    if grid is None or grid.is_empty():
        return head + no_data(conn, "valuation.book_valuation_sensitivity", for_month(month))
    tables = []
    for growth in sorted(grid["growth_rate"].unique().to_list()):
        part = grid.filter(pl.col("growth_rate") == growth)
        discounts = sorted(part["discount_rate"].unique().to_list())
        multipliers = sorted(part["churn_multiplier"].unique().to_list())
        values = {(r["discount_rate"], r["churn_multiplier"]): r["book_value"] for r in part.iter_rows(named=True)}
        base_row = next((i for i, d in enumerate(discounts) if _same(d, valuation["discount_rate"])), None)
        base_col = next((j for j, m in enumerate(multipliers) if _same(m, 1.0)), None)
        is_base = _same(growth, valuation["growth_rate"])
        table = html_table(
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
