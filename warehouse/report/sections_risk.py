"""Sections 4 and 7 of the report: revenue concentration, and the top risks to the book."""

from __future__ import annotations

import datetime as dt

import duckdb

from warehouse.report import charts_value, fmt_month, fmt_number, fmt_pct, queries, queries_value
from warehouse.report.fragments import Row, first_row, flag, for_month, html_table, no_data


def revenue_concentration(conn: duckdb.DuckDBPyConnection, month: dt.date, concentration: Row | None) -> str:
    """Section 4: the flag if raised, the Lorenz curve, the concentration measures and their split by segment."""
    points = queries.month_rows(conn, "metrics", "lorenz_by_month", month)
    parts = [flag(conn, month, concentration) if concentration and concentration["is_largest_over_threshold"] else ""]
    parts.append(
        charts_value.lorenz(points, concentration)
        if points is not None and points.height
        else no_data(conn, "metrics.lorenz_by_month", for_month(month))
    )
    if concentration:
        c = concentration
        parts.append(
            html_table(
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
        parts.append(no_data(conn, "metrics.concentration_by_segment_month", for_month(month)))
    else:
        parts.append(
            html_table(
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


def top_risks(conn: duckdb.DuckDBPyConnection, month: dt.date, concentration: Row | None, currency: str) -> str:
    """Section 7: the largest expected MRR at risk, unprofitable clients, the flag and the churn backtest."""
    parts = ["<h3>Largest expected MRR at risk</h3>\n"]
    risks = queries_value.top_risks(conn, month)
    if risks is None or risks.is_empty():
        parts.append(no_data(conn, "metrics.churn_risk_by_customer", for_month(month)))
    else:
        parts.append(
            html_table(
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
    costs = first_row(queries_value.cost_over_revenue(conn, month))
    parts.append("<h3>Clients costing more than they bring in</h3>\n")
    if costs is None or not costs["clients"]:
        parts.append(no_data(conn, "metrics.profit_by_customer_month", for_month(month)))
    else:
        parts.append(
            f"<p><strong>{fmt_number(costs['cost_over_revenue'])}</strong> of "
            f"{fmt_number(costs['clients'])} clients had a cost above their revenue in {fmt_month(month)}.</p>\n"
        )
    parts.append("<h3>Concentration</h3>\n" + flag(conn, month, concentration))
    parts.append("<h3>Churn model backtest</h3>\n")
    backtest = queries_value.backtest_summary(conn, month)
    if backtest is None or backtest.is_empty():
        parts.append(no_data(conn, "metrics.churn_backtest", for_month(month)))
    else:
        parts.append(
            html_table(
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
