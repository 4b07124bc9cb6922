"""The pandas peer of the floor's core MRR step: invoice lines + FX rates -> customer-month MRR -> bridge.

    .venv/bin/python bench/pandas_mrr.py --landing DIR --as-of YYYY-MM-DD [--fx FILE] [--format csv|parquet]

What a competent pandas user would write for `bench/floor --only mrr`: vectorised, no row loops,
the same rules (warehouse/sql/marts/fct_invoice_lines.sql, fct_revenue_by_customer_month.sql,
metrics/mrr_by_customer_month.sql, mrr_by_month.sql) with money in exact integer cents. Like the
floor's MRR step it reads the lines as they are: no checks, no dedupe, no client crosswalk. Prints
one JSON object: seconds per step, their total and the bridge's row count. `--fx` is the
`rate_date,currency,units_per_eur` CSV bench/floor writes beside its database; without it the
bundled ECB history is written to a temporary file first (not timed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINE_COLUMNS = ["invoice_id", "customer_id", "issue_date", "service_start_date", "service_end_date",
                "net_amount", "currency", "billing_interval", "corrected_invoice_id"]
DATE_COLUMNS = ["issue_date", "service_start_date", "service_end_date"]
TEXT = {c: "string" for c in ("invoice_id", "customer_id", "currency", "billing_interval", "corrected_invoice_id")}
INTERVAL_MONTHS = {"month": 1, "quarter": 3, "year": 12}
FX_MAX_AGE_DAYS = 7
DAYS_PER_MONTH = 30.4375
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
MONEY = ("starting_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr",
         "ending_mrr")


def reference_month(as_of: dt.date) -> dt.date:
    """The last complete month on `as_of` (assets/settings.py)."""
    if (as_of + dt.timedelta(days=1)).month != as_of.month:
        return as_of.replace(day=1)
    return (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_number(dates: pd.Series) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1): month arithmetic on plain integers."""
    return (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(np.int64)


def read_lines(landing: Path, fmt: str = "csv") -> pd.DataFrame:
    """Every `billing/invoice_lines*` file, the columns the MRR step needs."""
    files = sorted((landing / "billing").glob(f"invoice_lines*.{fmt}"))
    if not files:
        raise FileNotFoundError(f"no billing/invoice_lines*.{fmt} under {landing}")
    if fmt == "parquet":
        frame = pd.concat([pd.read_parquet(f, columns=LINE_COLUMNS) for f in files], ignore_index=True)
        return frame.astype(TEXT | {"net_amount": "float64"} | {c: "datetime64[s]" for c in DATE_COLUMNS})
    frame = pd.concat(
        [pd.read_csv(f, usecols=LINE_COLUMNS, dtype=TEXT | {"net_amount": "float64"}, parse_dates=DATE_COLUMNS,
                     date_format="%Y-%m-%d") for f in files],
        ignore_index=True,
    )
    return frame.astype({c: "datetime64[s]" for c in DATE_COLUMNS})  # one resolution for every date


def read_rates(fx_file: Path) -> pd.DataFrame:
    """FX rates with the rate in whole millionths (exact for the rates' six decimals)."""
    rates = pd.read_csv(fx_file, dtype={"currency": "string", "units_per_eur": "float64"}, parse_dates=["rate_date"],
                        date_format="%Y-%m-%d")
    rates["rate_date"] = rates["rate_date"].astype("datetime64[s]")
    rates["rate_micro"] = np.rint(rates["units_per_eur"].to_numpy() * 1_000_000).astype(np.int64)
    return rates[["rate_date", "currency", "rate_micro"]].sort_values("rate_date", kind="stable")


def lines_in_eur(lines: pd.DataFrame, rates: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """fct_invoice_lines: period, FX date, rate, amount in EUR cents and service months of each line."""
    lines = lines[lines["issue_date"] <= pd.Timestamp(as_of)].copy()
    start = lines["service_start_date"].fillna(lines["issue_date"])
    end = lines["service_end_date"].copy()
    for interval, months in INTERVAL_MONTHS.items():
        pick = end.isna() & (lines["billing_interval"] == interval)
        end[pick] = start[pick] + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    lines["own_start"], lines["own_end"] = start, end.fillna(start)
    # a credit note without a start of its own takes the period (and FX date) of the invoice it corrects
    corrected = lines.groupby("invoice_id").agg(
        corrected_start=("own_start", "min"), corrected_end=("own_end", "max"), corrected_issue=("issue_date", "min"))
    lines = lines.join(corrected, on="corrected_invoice_id")
    takes = lines["service_start_date"].isna() & lines["corrected_start"].notna()
    lines["period_start"] = lines["corrected_start"].where(takes, lines["own_start"])
    lines["period_end"] = lines["corrected_end"].where(takes, lines["own_end"])
    lines["fx_date"] = lines["corrected_issue"].fillna(lines["issue_date"])
    # the latest rate on or before the FX date, usable when at most fx_max_age_days old
    lines = pd.merge_asof(lines.sort_values("fx_date", kind="stable"), rates, left_on="fx_date",
                          right_on="rate_date", by="currency", direction="backward")
    eur = (lines["currency"] == "EUR").to_numpy()
    fresh = (lines["rate_date"] >= lines["fx_date"] - pd.Timedelta(days=FX_MAX_AGE_DAYS)).to_numpy()
    lines = lines[eur | fresh]
    eur = (lines["currency"] == "EUR").to_numpy()
    # cents x 1 / rate, rounded half away from zero in integers (warehouse/db.py, fx_convert)
    cents = np.rint(lines["net_amount"].to_numpy() * 100).astype(np.int64)
    rate = np.where(eur, 1_000_000, lines["rate_micro"].fillna(0).to_numpy(np.int64))
    eur_cents = np.sign(cents) * ((2 * np.abs(cents) * 1_000_000 + rate) // (2 * rate))
    days = (lines["period_end"] - lines["period_start"]).dt.days.to_numpy() + 1
    recurring = (lines["billing_interval"] != "one_off").to_numpy()
    # no day count lands on a half month (30.4375 = 487/16), so numpy's half-to-even rounding never bites
    months = np.where(recurring, np.maximum(1, np.round(days / DAYS_PER_MONTH)), 1).astype(np.int64)
    return pd.DataFrame({
        "customer_id": lines["customer_id"].to_numpy(), "is_recurring": recurring, "cents": eur_cents,
        "start_month": month_number(lines["period_start"]), "service_months": months,
    })


def recurring_revenue(lines: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """fct_revenue_by_customer_month (recurring part): whole cents spread over the service months,
    the remainder cents one each to the first months, summed per client and month up to `last_month`."""
    lines = lines[lines["is_recurring"]]
    n = lines["service_months"].to_numpy()
    total = lines["cents"].to_numpy()
    base, remainder = np.abs(total) // n, np.abs(total) % n
    row = np.repeat(np.arange(len(lines)), n)
    index = np.arange(row.size) - np.repeat(np.cumsum(n) - n, n)
    amount = np.sign(total[row]) * (base[row] + (index < remainder[row]))
    spread = pd.DataFrame({"customer_id": lines["customer_id"].to_numpy()[row],
                           "month": lines["start_month"].to_numpy()[row] + index, "cents": amount})
    spread = spread[spread["month"] <= last_month]
    return spread.groupby(["customer_id", "month"], as_index=False, sort=False)["cents"].sum()


def customer_mrr(revenue: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """mrr_by_customer_month: each client's months from its first active one to the month after its
    last (at most `last_month`), with MRR, previous MRR and the movement."""
    active = revenue[revenue["cents"] > 0]
    bounds = active.groupby("customer_id")["month"].agg(["min", "max"])
    first = bounds["min"].to_numpy()
    n = np.minimum(bounds["max"].to_numpy() + 1, last_month) - first + 1
    row = np.repeat(np.arange(len(bounds)), n)
    index = np.arange(row.size) - np.repeat(np.cumsum(n) - n, n)
    spine = pd.DataFrame({"customer_id": bounds.index.to_numpy()[row], "month": first[row] + index,
                          "is_first": index == 0})
    spine = spine.merge(active, on=["customer_id", "month"], how="left")
    spine = spine.sort_values(["customer_id", "month"], kind="stable", ignore_index=True)
    mrr = spine["cents"].fillna(0).to_numpy(np.int64)
    same_client = np.r_[False, spine["customer_id"].to_numpy()[1:] == spine["customer_id"].to_numpy()[:-1]]
    previous = np.where(same_client, np.r_[0, mrr[:-1]], 0)
    movement = np.select(
        [spine["is_first"].to_numpy(), (previous == 0) & (mrr > 0), (previous > 0) & (mrr == 0), mrr > previous,
         mrr < previous],
        ["new", "reactivation", "churn", "expansion", "contraction"], "retained")
    months = pd.DataFrame({"month": spine["month"].to_numpy(), "mrr": mrr, "change": mrr - previous,
                           "movement": movement, "is_active": mrr > 0})
    return months[(mrr > 0) | (previous > 0)]


def bridge(months: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """mrr_by_month: starting + new + expansion + contraction + churn + reactivation = ending, per month."""
    totals = months.groupby("month").agg(ending_mrr=("mrr", "sum"), ending_customers=("is_active", "sum"))
    by_movement = months.groupby(["month", "movement"])["change"]
    changes, counts = by_movement.sum().unstack(fill_value=0), by_movement.size().unstack(fill_value=0)
    spine = pd.RangeIndex(months["month"].min(), last_month + 1, name="month")
    out = totals.reindex(spine, fill_value=0)
    none = pd.Series(0, index=spine, dtype="int64")
    for movement, name in zip(MOVEMENTS, ("new", "expansion", "contraction", "churned", "reactivation"),
                              strict=True):
        out[f"{name}_mrr"] = changes[movement].reindex(spine, fill_value=0) if movement in changes else none
    for movement, name in (("new", "new"), ("reactivation", "reactivated"), ("churn", "churned")):
        out[f"{name}_customers"] = counts[movement].reindex(spine, fill_value=0) if movement in counts else none
    out["starting_mrr"] = out["ending_mrr"].shift(1, fill_value=0)
    out["starting_customers"] = out["ending_customers"].shift(1, fill_value=0)
    out = out.reset_index()
    out["revenue_month"] = pd.to_datetime(pd.DataFrame({"year": out["month"] // 12, "month": out["month"] % 12 + 1,
                                                        "day": 1}))
    return out[["revenue_month", "starting_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
                "reactivation_mrr", "ending_mrr", "starting_customers", "new_customers", "reactivated_customers",
                "churned_customers", "ending_customers"]].astype({c: "int64" for c in MONEY})


def as_decimal_rows(frame: pd.DataFrame) -> list[tuple]:
    """The bridge as rows like DuckDB returns mrr_by_month's (dates, Decimal money, int counts)."""
    rows = []
    for record in frame.itertuples(index=False):  # the bridge: one row per month, not per line
        values = record._asdict()
        values["revenue_month"] = values["revenue_month"].date()
        rows.append(tuple(Decimal(int(v)).scaleb(-2) if k in MONEY else
                          (int(v) if k != "revenue_month" else v) for k, v in values.items()))
    return rows


def run(landing: Path, as_of: dt.date, fx_file: Path, fmt: str = "csv") -> tuple[pd.DataFrame, dict[str, float]]:
    """The bridge (money in integer cents) and the seconds of each step."""
    last_month = month_number(pd.Series(pd.to_datetime([reference_month(as_of)])))[0]
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 4)
        clock = now

    lines, rates = read_lines(landing, fmt), read_rates(fx_file)
    lap("read")
    converted = lines_in_eur(lines, rates, as_of)
    lap("lines_in_eur")
    revenue = recurring_revenue(converted, last_month)
    lap("revenue")
    months = customer_mrr(revenue, last_month)
    lap("customer_mrr")
    result = bridge(months, last_month)
    lap("bridge")
    return result, seconds


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="bench/pandas_mrr.py", description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True, help="folder holding billing/invoice_lines*")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="as-of date YYYY-MM-DD")
    parser.add_argument("--fx", type=Path, help="FX CSV rate_date,currency,units_per_eur (default: bundled ECB)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="which extract files to read")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fx_file = args.fx
        if fx_file is None:
            from bench.floor import write_fx_csv  # the same file the floor writes

            fx_file = write_fx_csv(Path(tmp) / "fx_rates.csv")
        result, seconds = run(args.landing, args.as_of, fx_file, args.format)
    report = {"stages": seconds, "total_seconds": round(sum(seconds.values()), 4), "bridge_rows": len(result),
              "pandas": pd.__version__}
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
