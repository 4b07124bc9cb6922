"""The HTML pieces every section is built from: tables, cards, the concentration flag and "no data".

Everything passed in is text already formatted for display; it is escaped here, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from html import escape
from typing import Any

import duckdb
import polars as pl

from warehouse.report import fmt_month, fmt_pct, queries
from warehouse.report.charts_value import flag_text, threshold_text

Row = dict[str, Any]


def first_row(frame: pl.DataFrame | None) -> Row | None:
    """The first row of a query's result as a dict; None when the table is missing or empty."""
    return frame.row(0, named=True) if frame is not None and frame.height else None


def no_data(conn: duckdb.DuckDBPyConnection, table: str, when: str) -> str:
    """Say which table is missing or empty, in place of a section's chart or table."""
    layer, name = table.split(".")
    why = f"has no rows {when}" if queries.has_table(conn, layer, name) else "is not in this warehouse"
    return f'<p class="nodata">no data: {escape(table)} {escape(why)}</p>\n'


def for_month(month: dt.date) -> str:
    """`for YYYY-MM`: the "when" of a month's "no data" note."""
    return f"for {fmt_month(month)}"


def html_table(
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


def card(key: str, value: str, detail: str = "") -> str:
    """A headline card: what it is, its value, and a line of detail under it."""
    return (
        f'<div class="card"><div class="k">{escape(key)}</div><div class="v">{escape(value)}</div>'
        f'<div class="d">{escape(detail)}</div></div>'
    )


def flag(conn: duckdb.DuckDBPyConnection, month: dt.date, concentration: Row | None) -> str:
    """The red concentration flag, a one-line all-clear, or "no data"."""
    if concentration is None:
        return no_data(conn, "metrics.concentration_by_month", for_month(month))
    if concentration["is_largest_over_threshold"]:
        return f'<div class="flag">Concentration risk: {escape(flag_text(concentration))}</div>\n'
    share, threshold = concentration["largest_client_share"], concentration["concentration_threshold"]
    return f'<p class="ok">Largest client {fmt_pct(share)}, within the {threshold_text(threshold)} threshold.</p>\n'
