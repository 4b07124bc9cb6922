"""Deterministic demo extracts: the client book of a fictional CEE accounting and advisory firm.

Same arguments give byte-identical files: all randomness comes from one numpy Generator seeded with
`seed`, arrays are drawn full-size in a fixed order, and every output is sorted on explicit keys. The
only loop over time is one pass over the billing months (vectorised over clients). docs/demo.md quotes
every rate below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines import demo_names as names
from pipelines.demo_styles import STYLES, write_styled

COUNTRIES = ("HU", "RO", "PL", "DE", "AT", "SK", "CZ")
COUNTRY_SHARE = (0.55, 0.20, 0.15, 0.03, 0.03, 0.02, 0.02)
CURRENCIES = ("HUF", "RON", "PLN", "EUR")  # HU, RO, PL bill locally; everyone else in EUR
UNITS_PER_EUR = np.array([390.0, 5.0, 4.3, 1.0])  # the price book's planning rates, not market rates
EUR_BILLED_SHARE = 0.10  # of HU/RO/PL companies (exporters, foreign-owned subsidiaries)
PRIVATE_SHARE = 0.20
BANDS = ("micro", "small", "medium", "large", "private")
BAND_SHARE = (0.45, 0.35, 0.15, 0.05)  # companies only
EMPLOYEES = np.array([[1, 9], [10, 49], [50, 249], [250, 2000]])
SEGMENTS = np.array(["SME", "SME", "Mid-market", "Corporate", "Private"])
MEDIAN_MRR_EUR = np.array([220.0, 450.0, 1100.0, 2500.0, 60.0])  # per band, lognormal sigma below
MRR_SIGMA = 0.35
INDUSTRY_SHARE = (0.14, 0.13, 0.12, 0.12, 0.09, 0.10, 0.08, 0.09, 0.13)
ACCOUNT_OWNERS = 8
PROSPECT_SHARE = 0.04
EXISTING_SHARE = 0.50  # billed clients already on the book in the first month; the rest arrive evenly
REFERRED_SHARE = 0.10
PLAN_MONTHS = np.array([1, 3, 12])
PLAN_SHARE = (0.65, 0.20, 0.15)
CHURN_MONTHLY = 0.014  # before the band factor and the satisfaction tilt
CHURN_BAND_FACTOR = np.array([1.2, 1.0, 0.7, 0.5, 1.3])  # by BANDS: small clients and households leave sooner
PAUSE_MONTHLY = 0.006  # monthly plans only, for 1-3 months
UPGRADE_MONTHLY, UPGRADE_FACTOR = 0.010, (1.10, 1.50)
DOWNGRADE_MONTHLY, DOWNGRADE_FACTOR = 0.005, (0.60, 0.90)
REACTIVATION_SHARE, REACTIVATION_AFTER = 0.20, (3, 18)  # of churn events; months later
TWO_LINE_SHARE = 0.40
DISCOUNT_SHARE, DISCOUNT_RATES = 0.10, np.array([0.05, 0.10])
PAYSLIP_CAP = 400  # payroll lines bill at most this many payslips a month, so per-slip prices stay sane
ONE_OFF_CLIENT_SHARE, ONE_OFF_MONTHLY = 0.10, 0.12
CREDIT_NOTE_SHARE, FULL_CREDIT_SHARE, CREDIT_DELAY_DAYS = 0.01, 0.40, 45
BIG_CLIENTS, BIG_MULTIPLE, WHALE_SHARE = 5, (20.0, 80.0), 0.12  # so that concentration metrics have a story
COST_RATIO, LOSS_MAKER_SHARE, LOSS_RATIO = (0.40, 0.90), 0.05, (1.00, 1.60)
RESPONDER_SHARE, SURVEY_MONTHLY = 0.65, 0.15
SURVEYS = (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7))
SURVEY_SHARE = (0.50, 0.30, 0.20)
CHURN_SOON_MONTHS = 6  # survey answers this close before a churn come from unhappy clients
COMMENT_SHARE, ENGLISH_COMMENT_SHARE = 0.20, 0.20
INTERACTIONS_MONTHLY, PROSPECT_INTERACTIONS_MONTHLY = 0.30, 0.15  # x1.5 for medium and large clients
INTERACTION_TYPES = ("meeting", "call", "email", "other")
INTERACTION_SHARE = (0.25, 0.35, 0.35, 0.05)
PRODUCTS = ("RETAINER", "PERSONAL_TAX", "PAYROLL", "ADVISORY")  # recurring; one-off products follow
PRODUCTS += ("PROJECT", "AUDIT", "DUE_DILIGENCE", "TRAINING")
INTERVALS = ("month", "quarter", "year", "one_off")
# Price steps in cents per currency: fees end in whole thousands of forints or fives of other units.
FEE_STEP = np.array([100_000, 500, 500, 500])
PROJECT_STEP = FEE_STEP * 2
PAYSLIP_STEP = np.array([10_000, 50, 50, 50])
WHOLE_STEP = np.array([100, 1, 1, 1])  # HUF amounts are whole forints


@dataclass(frozen=True)
class Calendar:
    """The billing months: month m starts on start[m]; start runs 13 months on, for periods ending later."""

    months: int
    start: np.ndarray
    as_of: np.datetime64

    def day_in(self, rng: np.random.Generator, month: np.ndarray) -> np.ndarray:
        """A uniform day of each given month, never after as_of."""
        return _day_between(rng, self.start[month], np.minimum(self.start[month + 1] - 1, self.as_of))


@dataclass
class Clients:
    """One entry per client (internal order); prospects have start == months (never billed)."""

    country: np.ndarray
    band: np.ndarray
    currency: np.ndarray
    employees: np.ndarray
    industry: np.ndarray
    start: np.ndarray
    plan: np.ndarray
    mrr: np.ndarray
    hazard: np.ndarray
    satisfaction: np.ndarray
    big: np.ndarray
    line1_share: np.ndarray
    discount: np.ndarray
    project: np.ndarray
    responder: np.ndarray
    cost_ratio: np.ndarray
    rank: np.ndarray  # position in customer-number order
    frame: pl.DataFrame  # customers.csv rows in internal order


@dataclass
class History:
    """What the monthly simulation produced: invoices, covered months and churn events as parallel arrays."""

    inv_client: np.ndarray
    inv_month: np.ndarray
    inv_mrr: np.ndarray
    cov_client: np.ndarray
    cov_month: np.ndarray
    cov_mrr: np.ndarray
    churn_client: np.ndarray
    churn_month: np.ndarray


def _day_between(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """A uniform day between first and last, both included (datetime64[D] arrays)."""
    span = (last - first).astype(np.int64) + 1
    return first + (rng.random(first.size) * span).astype(np.int64)


def _moment(rng: np.random.Generator, day: np.ndarray, hours: tuple[int, int]) -> np.ndarray:
    """A uniform second between the given UTC hours of each day, as datetime64[ms] (polars' unit)."""
    seconds = (hours[0] * 3600 + rng.random(day.size) * (hours[1] - hours[0]) * 3600).astype(np.int64)
    return day.astype("datetime64[ms]") + seconds.astype("timedelta64[s]")


def _scaled(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Map uniform draws on [0, 1) onto [bounds[0], bounds[1])."""
    return bounds[0] + (bounds[1] - bounds[0]) * u


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    """n uniform draws between bounds."""
    return _scaled(rng.random(n), bounds)


def _kept(keep: np.ndarray, values: np.ndarray) -> pl.Series:
    """values where keep is true, null elsewhere (CSV writes null as an empty field)."""
    return pl.select(pl.when(pl.Series(keep)).then(pl.Series(values))).to_series()


def _round_to(cents: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Round cent amounts to a per-row step, at least one step."""
    return np.maximum(step, np.round(cents / step).astype(np.int64) * step)


def _clients(rng: np.random.Generator, n: int, cal: Calendar) -> Clients:
    """Draw every client attribute, names and tax ids included, and the customers.csv frame."""
    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_SHARE)
    private = rng.random(n) < PRIVATE_SHARE
    band = rng.choice(4, size=n, p=BAND_SHARE)
    prospect = rng.random(n) < PROSPECT_SHARE
    existing = rng.random(n) < EXISTING_SHARE
    big = np.arange(n) < BIG_CLIENTS  # draws are i.i.d., so taking the first few is an unbiased pick
    private &= ~big
    prospect &= ~big
    existing |= big
    band = np.where(big, 3, np.where(private, 4, band))
    lo, hi = EMPLOYEES[np.minimum(band, 3)].T
    employees = np.floor(np.exp(_uniform(rng, (0.0, 1.0), n) * np.log((hi + 1) / lo)) * lo).astype(np.int64)
    industry = rng.choice(len(names.INDUSTRIES), size=n, p=INDUSTRY_SHARE)
    industry = np.where(private, len(names.INDUSTRIES), industry)  # the extra label: private_household
    female = rng.random(n) < 0.5
    birth_year = cal.as_of.astype(object).year - rng.integers(23, 81, n)
    eur = (country >= 3) | (~private & (rng.random(n) < EUR_BILLED_SHARE))
    currency = np.where(eur, 3, country)
    plan = np.where(big, 1, PLAN_MONTHS[rng.choice(3, size=n, p=PLAN_SHARE)])
    mrr_eur = MEDIAN_MRR_EUR[band] * np.exp(MRR_SIGMA * rng.normal(size=n))
    median = np.median(mrr_eur[~big]) if (~big).any() else MEDIAN_MRR_EUR[1]
    mrr_eur = np.where(big, median * _uniform(rng, BIG_MULTIPLE, n), mrr_eur)
    start = np.where(prospect, cal.months, np.where(existing, 0, rng.integers(1, cal.months, n)))
    # Satisfaction tilts churn risk (and, later, survey scores); the factor keeps the mean hazard at the rate.
    satisfaction = rng.normal(size=n)
    hazard = CHURN_MONTHLY * CHURN_BAND_FACTOR[band] * np.exp(-0.5 * satisfaction - 0.125)
    first_day = cal.start[np.minimum(start, cal.months - 1)]
    # Clients on the book at the start were created up to 8 years earlier, newcomers 0-90 days before their
    # first invoice, prospects any day from two years before the history to as_of.
    lead = np.where(existing, rng.integers(1, 8 * 365, n), rng.integers(0, 91, n))
    two_years_before = np.full(n, cal.start[0] - 730)
    created = np.where(prospect, _day_between(rng, two_years_before, np.full(n, cal.as_of)), first_day - lead)
    line1_share = np.where(rng.random(n) < TWO_LINE_SHARE, _uniform(rng, (0.55, 0.85), n), 1.0)
    discount = np.where(rng.random(n) < DISCOUNT_SHARE, DISCOUNT_RATES[rng.integers(0, 2, n)], 0.0)
    project = rng.random(n) < ONE_OFF_CLIENT_SHARE
    responder = rng.random(n) < RESPONDER_SHARE
    loss_maker = rng.random(n) < LOSS_MAKER_SHARE
    cost_ratio = np.where(loss_maker, _uniform(rng, LOSS_RATIO, n), _uniform(rng, COST_RATIO, n))
    owner = np.where(big, 1, rng.integers(1, ACCOUNT_OWNERS + 1, n))

    name = np.empty(n, dtype=object)
    city = np.empty(n, dtype=object)
    tax_id = np.full(n, "", dtype=object)
    for ci, code in enumerate(COUNTRIES):  # fixed order keeps the draws deterministic
        at = np.nonzero(country == ci)[0]
        city_idx = names.cities(rng, code, at.size)
        city[at] = np.array(names.POOLS[code].cities)[city_idx]
        person = private[at]
        name[at[person]] = names.person_names(rng, code, female[at[person]])
        firm = at[~person]
        name[firm] = names.company_names(rng, code, industry[firm], band[firm] >= 2)
        tax_id[firm] = names.tax_ids(rng, code, firm.size, city_idx[~person])

    # Customer numbers follow creation order, as a CRM would hand them out.
    order = np.lexsort((np.arange(n), created))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    customer_id = np.char.add("C", np.char.zfill((rank + 1).astype(str), 6))
    # A referrer must have been created strictly earlier: pick uniformly among those.
    earlier = np.searchsorted(created[order], created[order], side="left")
    referred = (rng.random(n) < REFERRED_SHARE) & (earlier > 0)
    referrer = np.full(n, -1)
    pick = order[(rng.random(n) * earlier).astype(np.int64)]
    referrer[order[referred]] = pick[referred]

    frame = pl.DataFrame(
        {
            "customer_id": customer_id,
            "name": name.astype(str),
            "tax_id": _kept(~private, tax_id.astype(str)),
            "country": np.array(COUNTRIES)[country],
            "city": city.astype(str),
            "industry": np.array((*names.INDUSTRIES, "private_household"))[industry],
            "size_band": np.array(BANDS)[band],
            "employees": _kept(~private, employees),
            "segment": SEGMENTS[band],
            "created_date": pl.Series(created),
            "referred_by_customer_id": _kept(referrer >= 0, customer_id[referrer]),
            "account_owner": np.char.add("AO-", np.char.zfill(owner.astype(str), 2)),
            "birth_year": _kept(private, birth_year),
            "gender": _kept(private, np.where(female, "f", "m")),
        }
    )
    return Clients(
        country, band, currency, employees, industry, start, plan, mrr_eur * UNITS_PER_EUR[currency], hazard,
        satisfaction, big, line1_share, discount, project, responder, cost_ratio, rank, frame,
    )


def _simulate(rng: np.random.Generator, c: Clients, months: int) -> History:
    """Walk the months once: starts, churn, pauses, reactivations, price changes, invoices and coverage."""
    n = c.start.size
    status = np.zeros(n, np.int8)  # 0 not yet a client, 1 active, 2 paused, 3 churned
    anchor = np.zeros(n, np.int64)  # month the current billing cycle started
    resume_at = np.full(n, -1)
    react_at = np.full(n, -1)
    cov_until = np.zeros(n, np.int64)  # first month no longer paid for
    paid_mrr = np.zeros(n)
    mrr = c.mrr.copy()
    # Decisions happen at renewals, so a quarterly or annual plan compounds the monthly probability.
    p_churn = 1 - (1 - c.hazard) ** c.plan
    p_up = 1 - (1 - UPGRADE_MONTHLY) ** c.plan
    p_down = 1 - (1 - DOWNGRADE_MONTHLY) ** c.plan
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("ic", "im", "ir", "cc", "cm", "cr", "xc", "xm")}
    for m in range(months):
        u = rng.random((7, n))
        back = (status == 3) & (react_at == m)
        mrr[back] *= 0.9 + 0.2 * u[0, back]  # a returning client renegotiates a little
        begin = ((status == 0) & (c.start == m)) | ((status == 2) & (resume_at == m)) | back
        status[begin] = 1
        anchor[begin] = m
        due = (status == 1) & ((m - anchor) % c.plan == 0)
        decide = due & (m > anchor) & ~c.big  # never in a cycle's first month; big clients stay put
        churn = decide & (u[1] < p_churn)
        pause = decide & ~churn & (c.plan == 1) & (u[2] < PAUSE_MONTHLY)
        change = decide & ~churn & ~pause
        up = change & (u[3] < p_up)
        down = change & ~up & (u[3] < p_up + p_down)
        mrr = np.where(up, mrr * _scaled(u[4], UPGRADE_FACTOR), mrr)
        mrr = np.where(down, mrr * _scaled(u[4], DOWNGRADE_FACTOR), mrr)
        status[churn] = 3
        lag = np.floor(_scaled(u[6], (REACTIVATION_AFTER[0], REACTIVATION_AFTER[1] + 1))).astype(np.int64)
        react_at = np.where(churn, np.where(u[5] < REACTIVATION_SHARE, m + lag, -1), react_at)
        status[pause] = 2
        resume_at = np.where(pause, m + 1 + (u[5] * 3).astype(np.int64), resume_at)
        billed = np.nonzero(due & (status == 1))[0]
        cov_until[billed] = m + c.plan[billed]
        paid_mrr[billed] = mrr[billed]
        covered = np.nonzero(m < cov_until)[0]
        churned = np.nonzero(churn)[0]
        for key, val in (("ic", billed), ("im", np.full(billed.size, m)), ("ir", mrr[billed]),
                         ("cc", covered), ("cm", np.full(covered.size, m)), ("cr", paid_mrr[covered]),
                         ("xc", churned), ("xm", np.full(churned.size, m))):
            out[key].append(val)
    h = History(*(np.concatenate(out[k]) for k in ("ic", "im", "ir", "cc", "cm", "cr", "xc", "xm")))
    # The largest client is sized last: at the start and on each anniversary its fee is reset to hold
    # WHALE_SHARE of the rest of the book at that time, so its share stays near it while the book grows.
    rest = h.cov_client != 0
    eur = h.cov_mrr[rest] / UNITS_PER_EUR[c.currency[h.cov_client[rest]]]
    others = np.bincount(h.cov_month[rest], weights=eur, minlength=months)
    review = np.arange(months) // 12 * 12
    fee = WHALE_SHARE / (1 - WHALE_SHARE) * others[review] * UNITS_PER_EUR[c.currency[0]]
    fee = np.where(fee > 0, fee, c.mrr[0])
    h.inv_mrr[h.inv_client == 0] = fee[h.inv_month[h.inv_client == 0]]
    h.cov_mrr[h.cov_client == 0] = fee[h.cov_month[h.cov_client == 0]]
    return h


def _money(cents: np.ndarray) -> np.ndarray:
    """Integer cents as floats; written with exactly two decimals (float_precision=2), which is exact here."""
    return cents / 100


def _numbered(prefix: str, year: pl.Expr | None, seq: pl.Expr, width: int) -> pl.Expr:
    """Ids like INV-2024-000123 (per-year sequence) or INT-0000123."""
    parts = [pl.lit(prefix)] + ([year.cast(pl.String), pl.lit("-")] if year is not None else [])
    return pl.concat_str(*parts, seq.cast(pl.String).str.zfill(width))


def _lookup(values: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    """Small-integer codes to their labels; gathering an Enum moves integers, not strings."""
    return pl.Series(values, dtype=pl.Enum(values)).gather(codes)


def _ordered(frame: pl.DataFrame, *keys: np.ndarray) -> pl.DataFrame:
    """Rows in the order of numeric keys (first key first); cheaper than sorting formatted strings."""
    return frame[np.lexsort(keys[::-1])]


def _invoice_lines(rng: np.random.Generator, c: Clients, h: History, cal: Calendar) -> pl.DataFrame:
    """Recurring invoices (1-2 lines), one-off project invoices and ~1% credit notes, as one line table."""
    # Recurring lines: a fee line and, for some clients, a payroll or advisory line sharing the period amount.
    two = c.line1_share[h.inv_client] < 1.0
    doc = np.repeat(np.arange(h.inv_client.size), np.where(two, 2, 1))
    line_no = np.ones(doc.size, np.int64)
    line_no[1:][doc[1:] == doc[:-1]] = 2
    cl, month = h.inv_client[doc], h.inv_month[doc]
    plan, ccy = c.plan[cl], c.currency[cl]
    share = np.where(line_no == 1, c.line1_share[cl], 1.0 - c.line1_share[cl])
    amount = h.inv_mrr[doc] * plan * share * 100  # cents for the whole period
    payroll = (line_no == 2) & (c.band[cl] < 4) & (c.employees[cl] >= 5)
    product = np.where(line_no == 1, np.where(c.band[cl] == 4, 1, 0), np.where(payroll, 2, 3))
    qty = np.where(payroll, np.minimum(c.employees[cl], PAYSLIP_CAP), 1) * plan  # fees are billed per month
    unit = _round_to(amount / qty, np.where(payroll, PAYSLIP_STEP[ccy], FEE_STEP[ccy]))
    disc = np.where(line_no == 1, np.round(qty * unit * c.discount[cl] / 100).astype(np.int64) * 100, 0)
    issue = cal.start[month]
    recurring = {
        "doc": doc, "line": line_no, "client": cl, "issue": issue, "svc_start": issue,
        "svc_end": cal.start[month + plan] - np.timedelta64(1, "D"), "product": product, "qty": qty,
        "unit": unit, "disc": disc, "ccy": ccy, "interval": np.searchsorted(PLAN_MONTHS, plan),
    }
    # One-off projects: project-prone clients, in some of their paid months, priced around their monthly fee.
    pick = c.project[h.cov_client] & (rng.random(h.cov_client.size) < ONE_OFF_MONTHLY)
    ocl, omonth = h.cov_client[pick], h.cov_month[pick]
    oissue = cal.day_in(rng, omonth)
    size = np.exp(rng.normal(np.log(1.5), 0.6, ocl.size))  # x monthly fee: median 1.5, mean about 1.8
    price = _round_to(h.cov_mrr[pick] * size * 100, PROJECT_STEP[c.currency[ocl]])
    dated = rng.random(ocl.size) < 0.6  # the rest carry no service dates
    odate = np.where(dated, oissue, np.datetime64("NaT"))
    one_off = {
        "doc": h.inv_client.size + np.arange(ocl.size), "line": np.ones(ocl.size, np.int64), "client": ocl,
        "issue": oissue, "svc_start": odate, "svc_end": odate, "product": rng.integers(4, 8, ocl.size),
        "qty": np.ones(ocl.size, np.int64), "unit": price, "disc": np.zeros(ocl.size, np.int64),
        "ccy": c.currency[ocl], "interval": np.full(ocl.size, 3),
    }
    lines = {k: np.concatenate([recurring[k], one_off[k]]) for k in recurring}
    n_docs = h.inv_client.size + ocl.size
    doc_client = np.concatenate([h.inv_client, ocl])
    doc_issue = np.concatenate([cal.start[h.inv_month], oissue])

    # Credit notes: ~1% of documents, each correcting one random line of it, fully or partly.
    first = np.searchsorted(lines["doc"], np.arange(n_docs))
    n_lines = np.diff(np.append(first, lines["doc"].size))
    corrected = np.nonzero(rng.random(n_docs) < CREDIT_NOTE_SHARE)[0]
    src = first[corrected] + (rng.random(corrected.size) * n_lines[corrected]).astype(np.int64)
    net = lines["qty"][src] * lines["unit"][src] - lines["disc"][src]
    full = rng.random(corrected.size) < FULL_CREDIT_SHARE
    partial = _round_to(net * _uniform(rng, (0.1, 0.5), corrected.size), np.full(corrected.size, 100))
    by_qty = full & (lines["disc"][src] == 0)  # reverse the quantity when the formula stays exact
    delay = rng.integers(0, CREDIT_DELAY_DAYS + 1, corrected.size).astype("timedelta64[D]")
    credit = {
        "doc": n_docs + np.arange(corrected.size), "line": np.ones(corrected.size, np.int64),
        "client": lines["client"][src], "issue": np.minimum(doc_issue[corrected] + delay, cal.as_of),
        "svc_start": lines["svc_start"][src], "svc_end": lines["svc_end"][src],
        "product": lines["product"][src],
        "qty": np.where(by_qty, -lines["qty"][src], 1),
        "unit": np.where(by_qty, lines["unit"][src], -np.where(full, net, np.minimum(partial, net))),
        "disc": np.zeros(corrected.size, np.int64), "ccy": lines["ccy"][src],
        "interval": lines["interval"][src],
    }
    lines = {k: np.concatenate([lines[k], credit[k]]) for k in lines}

    # Document numbers: a per-year sequence in issue order, separately for invoices and credit notes.
    all_issue = np.concatenate([doc_issue, credit["issue"]])
    all_client = np.concatenate([doc_client, credit["client"]])
    is_cn = np.arange(all_issue.size) >= n_docs
    order = np.lexsort((np.arange(all_issue.size), c.rank[all_client], all_issue, is_cn))
    docs = pl.DataFrame({"i": order, "issue": all_issue[order], "cn": is_cn[order]}).with_columns(
        year=pl.col("issue").dt.year()
    ).with_columns(seq=pl.int_range(1, pl.len() + 1).over("cn", "year"))
    docs = docs.with_columns(
        id=pl.when(pl.col("cn"))
        .then(_numbered("CN-", pl.col("year"), pl.col("seq"), 6))
        .otherwise(_numbered("INV-", pl.col("year"), pl.col("seq"), 6))
    ).sort("i")
    doc_id = docs["id"]
    corrected_id = pl.Series([None] * n_docs, dtype=pl.String).append(doc_id.gather(corrected))

    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)
    frame = pl.DataFrame(
        {
            "invoice_id": doc_id.gather(lines["doc"]),
            "line_number": lines["line"],
            "customer_id": c.frame["customer_id"].gather(lines["client"]),
            "issue_date": lines["issue"],
            "service_start_date": lines["svc_start"],
            "service_end_date": lines["svc_end"],
            "product": _lookup(PRODUCTS, lines["product"]),
            "quantity": lines["qty"],
            "unit_price": _money(lines["unit"]),
            "discount": _money(lines["disc"]),
            "net_amount": _money(lines["qty"] * lines["unit"] - lines["disc"]),
            "currency": _lookup(CURRENCIES, lines["ccy"]),
            "billing_interval": _lookup(INTERVALS, lines["interval"]),
            "document_type": _lookup(("invoice", "credit_note"), (lines["doc"] >= n_docs).astype(np.int64)),
            "corrected_invoice_id": corrected_id.gather(lines["doc"]),
        }
    )
    return _ordered(frame, lines["issue"].astype(np.int64), rank[lines["doc"]], lines["line"])


def _costs(rng: np.random.Generator, c: Clients, h: History, cal: Calendar) -> pl.DataFrame:
    """Cost to serve per paid month: the client's cost ratio of that month's fee, with +-10% noise."""
    cl = h.cov_client
    ratio = c.cost_ratio[cl] * _uniform(rng, (0.9, 1.1), cl.size)
    step = WHOLE_STEP[c.currency[cl]]
    amount = _round_to(h.cov_mrr * ratio * 100, step)
    frame = pl.DataFrame(
        {
            "customer_id": c.frame["customer_id"].gather(cl),
            "cost_month": cal.start[h.cov_month],
            "amount": _money(amount),
            "currency": _lookup(CURRENCIES, c.currency[cl]),
        }
    )
    return _ordered(frame, c.rank[cl], h.cov_month)


def _responses(rng: np.random.Generator, c: Clients, h: History, cal: Calendar) -> pl.DataFrame:
    """Survey answers from paid months; scores drop sharply in the months before a client churns."""
    pick = c.responder[h.cov_client] & (rng.random(h.cov_client.size) < SURVEY_MONTHLY)
    cl, month = h.cov_client[pick], h.cov_month[pick]
    # churned[i, m] counts client i's churn events before month m; a difference looks ahead.
    churned = np.zeros((c.start.size, cal.months + CHURN_SOON_MONTHS + 2), np.int16)
    np.add.at(churned, (h.churn_client, h.churn_month + 1), 1)
    churned = churned.cumsum(axis=1, dtype=np.int16)
    soon = churned[cl, month + CHURN_SOON_MONTHS + 1] > churned[cl, month + 1]
    kind = rng.choice(len(SURVEYS), size=cl.size, p=SURVEY_SHARE)
    lo, hi = np.array([s[1] for s in SURVEYS])[kind], np.array([s[2] for s in SURVEYS])[kind]
    # Quality on 0..1: stayers centre near 0.78 (NPS ~8), clients about to leave near 0.40 (NPS ~4).
    sat = c.satisfaction[cl]
    noise = np.where(soon, 0.18, 0.14) * rng.normal(size=cl.size)
    quality = np.where(soon, 0.40 + 0.05 * sat, 0.78 + 0.09 * sat) + noise
    quality = np.clip(quality, 0.0, 1.0)
    score = np.round(lo + quality * (hi - lo)).astype(np.int64)
    comment = np.full(cl.size, None, dtype=object)
    has = rng.random(cl.size) < COMMENT_SHARE
    english = rng.random(cl.size) < ENGLISH_COMMENT_SHARE
    lang = np.array([names.LANGUAGE.get(code, "en") for code in COUNTRIES])[c.country[cl]]
    lang = np.where(english, "en", lang)
    mood = np.digitize(quality, [0.45, 0.70])  # 0 negative, 1 neutral, 2 positive
    draw = rng.random(cl.size)
    for code in sorted(names.COMMENTS):  # sorted: iteration order must not depend on dict history
        for level, phrases in enumerate(names.COMMENTS[code]):
            at = has & (lang == code) & (mood == level)
            comment[at] = np.array(phrases, dtype=object)[(draw[at] * len(phrases)).astype(np.int64)]
    frame = pl.DataFrame(
        {
            "customer_id": c.frame["customer_id"].gather(cl),
            "survey_type": _lookup(tuple(s[0] for s in SURVEYS), kind),
            "score": score,
            "scale_min": lo,
            "scale_max": hi,
            "submitted_at": (when := _moment(rng, cal.day_in(rng, month), (7, 21))),
            "comment": pl.Series(comment.tolist(), dtype=pl.String),
        }
    )
    frame = _ordered(frame, when.astype(np.int64), c.rank[cl], kind)
    response_id = _numbered("R-", None, pl.int_range(1, pl.len() + 1), 7).alias("response_id")
    return frame.select(response_id, pl.all())


def _interactions(rng: np.random.Generator, c: Clients, h: History, cal: Calendar) -> pl.DataFrame:
    """A few meetings, calls and e-mails per paid month, plus sales contact with prospects."""
    rate = INTERACTIONS_MONTHLY * np.where((c.band == 2) | (c.band == 3), 1.5, 1.0)
    count = rng.poisson(rate[h.cov_client])
    cl, month = np.repeat(h.cov_client, count), np.repeat(h.cov_month, count)
    when = _moment(rng, cal.day_in(rng, month), (8, 18))
    # Prospects: sales contacts spread between their creation and as_of.
    prospect = np.nonzero(c.start == cal.months)[0]
    created = c.frame["created_date"].to_numpy()[prospect].astype("datetime64[D]")
    pcount = rng.poisson(PROSPECT_INTERACTIONS_MONTHLY * ((cal.as_of - created).astype(np.int64) + 1) / 30.44)
    pcl = np.repeat(prospect, pcount)
    pday = _day_between(rng, np.repeat(created, pcount), np.full(pcl.size, cal.as_of))
    cl, when = np.concatenate([cl, pcl]), np.concatenate([when, _moment(rng, pday, (8, 18))])
    kind = rng.choice(len(INTERACTION_TYPES), size=cl.size, p=INTERACTION_SHARE)
    frame = pl.DataFrame(
        {
            "customer_id": c.frame["customer_id"].gather(cl),
            "interaction_type": _lookup(INTERACTION_TYPES, kind),
            "occurred_at": when,
        }
    )
    frame = _ordered(frame, when.astype(np.int64), c.rank[cl], kind)
    interaction_id = _numbered("INT-", None, pl.int_range(1, pl.len() + 1), 7).alias("interaction_id")
    return frame.select(interaction_id, pl.all())


# Canonical extract text: ISO dates, UTC `Z` timestamps, money with two decimals, LF line ends.
CANONICAL_CSV = {
    "date_format": "%Y-%m-%d",
    "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
    "float_precision": 2,  # only money columns are floats
    "line_terminator": "\n",
}


def demo_frames(
    *, clients: int = 2000, years: int = 5, seed: int = 42, as_of: date = date(2026, 10, 31)
) -> dict[str, pl.DataFrame]:
    """The demo extracts as frames keyed by file ("crm/customers", ...), canonical values and types."""
    if clients < 1 or years < 1:
        raise ValueError("clients and years must be at least 1")
    rng = np.random.default_rng(seed)
    months = 12 * years
    first = np.datetime64(as_of.strftime("%Y-%m"), "M") - (months - 1)
    starts = (first + np.arange(months + 13)).astype("datetime64[D]")
    cal = Calendar(months, starts, np.datetime64(as_of, "D"))
    c = _clients(rng, clients, cal)
    h = _simulate(rng, c, months)
    return {
        "crm/customers": _ordered(c.frame, c.rank),
        "billing/invoice_lines": _invoice_lines(rng, c, h, cal),
        "billing/costs": _costs(rng, c, h, cal),
        "survey/responses": _responses(rng, c, h, cal),
        "crm/interactions": _interactions(rng, c, h, cal),
    }


def write_demo_extracts(
    out_dir: Path,
    *,
    clients: int = 2000,
    years: int = 5,
    seed: int = 42,
    as_of: date = date(2026, 10, 31),
    style: str = "canonical",
) -> dict[str, int]:
    """Writes the demo extracts under out_dir and returns rows written per file key, e.g. {"crm/customers": 2000, ...}."""  # noqa: E501
    if style not in STYLES:
        raise ValueError(f"unknown demo style {style!r}; expected one of {list(STYLES)}")
    frames = demo_frames(clients=clients, years=years, seed=seed, as_of=as_of)
    texts = {key: frame.write_csv(**CANONICAL_CSV) for key, frame in frames.items()}
    if style != "canonical":
        write_styled(Path(out_dir), style, texts, as_of)
        return {key: frame.height for key, frame in frames.items()}
    for key, text in texts.items():
        path = Path(out_dir) / f"{key}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return {key: frame.height for key, frame in frames.items()}
