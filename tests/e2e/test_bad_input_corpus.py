"""The bad-input corpus: real ingest + staging on files written byte by byte, each with its exact outcome.

Every case lands its files in a fresh landing folder, runs `assets.raw.ingest.ingest` and
`warehouse.staging.build_staging` on an in-memory DuckDB, and `check_case` (tests/e2e/corpus.py)
asserts the staged values, the quarantine rows, the file-level reject and where the file went,
that every file reconciles (rows_read = loaded + deduplicated + quarantined), and that no message
quotes the client name planted in the rows.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import unicodedata
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from warehouse.contract import CUSTOMERS, INTERACTIONS, INVOICE_LINES, RESPONSES

pytest.register_assert_rewrite("tests.e2e.corpus")  # show the values when a case's assertion fails
from tests.e2e.corpus import (  # noqa: E402
    PII,
    Case,
    Outcome,
    check_case,
    profile_toml,
    reference_warehouse,
    run_case,
    table,
)

# ---------------------------------------------------------------- invoice lines: files and profiles

INVOICE = ("invoice_id", "line_number", "customer_id", "issue_date", "product", "net_amount", "currency",
           "billing_interval", "document_type")
INVOICE_OPTIONAL_ABSENT = ("['service_start_date', 'service_end_date', 'quantity', 'unit_price', 'discount', "
                           "'corrected_invoice_id']")
HU_INVOICE = {"invoice_id": "Számlaszám", "line_number": "Tétel", "customer_id": "Ügyfélkód", "issue_date": "Kelte",
              "product": "Termék", "net_amount": "Nettó összeg", "currency": "Pénznem",
              "billing_interval": "Számlázási gyakoriság", "document_type": "Bizonylattípus"}
RO_INVOICE = {"invoice_id": "Număr factură", "net_amount": "Valoare netă", "currency": "Monedă"}


def entity_toml(entity: str, files: str, columns: dict[str, str] | None = None) -> list[str]:
    mapped = [f"[entities.{entity}.columns]", *(f'{k} = "{v}"' for k, v in (columns or {}).items())]
    return [f"[entities.{entity}]", f'files = "{files}"', *(mapped if columns else [])]


def hu_billing(encoding: str = "cp1250", share: float = 1.0) -> str:
    """A Hungarian invoicing export: `;`, `1 234,56`, `2024.03.05.`, `Ft`, Hungarian headers."""
    return profile_toml(
        "hu-szamlazo", f'encoding = "{encoding}"', 'delimiter = ";"', 'decimal_separator = ","',
        r'thousands_separators = [" ", "\u00a0"]', 'date_formats = ["%Y.%m.%d.", "%Y. %m. %d."]',
        'time_zone = "Europe/Budapest"', f"max_quarantined_share = {share}",
        "[currency_aliases]", 'Ft = "HUF"', '"Ft." = "HUF"', '"€" = "EUR"',
        *entity_toml("invoice_lines", "szamlatetelek_*.csv", HU_INVOICE),
    )


PL_BILLING = profile_toml(
    "pl-faktury", 'encoding = "utf-8-sig"', 'delimiter = ";"', 'decimal_separator = ","',
    r'thousands_separators = ["\u00a0", " ", "\u202f"]', 'date_formats = ["%d.%m.%Y"]', 'time_zone = "Europe/Warsaw"',
    "max_quarantined_share = 1.0", "[currency_aliases]", '"zł" = "PLN"', '"€" = "EUR"',
    *entity_toml("invoice_lines", "faktury_*.csv"),
)
RO_BILLING = profile_toml(
    "ro-facturare", 'encoding = "iso-8859-16"', 'delimiter = ";"', 'decimal_separator = ","',
    'thousands_separators = ["."]', 'date_formats = ["%d.%m.%Y"]', 'time_zone = "Europe/Bucharest"',
    "max_quarantined_share = 1.0", "[currency_aliases]", 'lei = "RON"', '"€" = "EUR"',
    *entity_toml("invoice_lines", "facturi_*.csv", RO_INVOICE),
)


def canon(share: float = 1.0, *lines: str) -> str:
    """The canonical layout, with a quarantine threshold that holds no file back unless a case says so."""
    return profile_toml("canonical-test", f"max_quarantined_share = {share}", *lines)


def line(**values: str) -> dict[str, str]:
    """An invoice line in the canonical notation; the product text is the planted client name."""
    return {"invoice_id": "INV-1", "line_number": "1", "customer_id": "C1", "issue_date": "2024-03-05",
            "product": PII, "net_amount": "100.00", "currency": "EUR", "billing_interval": "month",
            "document_type": "invoice"} | values


def hu_line(**values: str) -> dict[str, str]:
    return line(issue_date="2024.03.05.", net_amount="100,00", currency="Ft") | values


def pl_line(**values: str) -> dict[str, str]:
    return line(issue_date="05.03.2024", net_amount="100,00", currency="zł") | values


def ro_line(**values: str) -> dict[str, str]:
    return line(issue_date="05.03.2024", net_amount="100,00", currency="lei") | values


def invoices(*rows: dict[str, str], **kw) -> bytes:
    return table(INVOICE, rows, **kw)


def hu_invoices(*rows: dict[str, str], encoding: str = "cp1250", header: dict[str, str] = HU_INVOICE,
                eol: str = "\n") -> bytes:
    return table(INVOICE, rows, delimiter=";", encoding=encoding, header=header, eol=eol)


def pl_invoices(*rows: dict[str, str]) -> bytes:
    return table(INVOICE, rows, delimiter=";", encoding="utf-8", prefix="\ufeff".encode())


def ro_invoices(*rows: dict[str, str]) -> bytes:
    return table(INVOICE, rows, delimiter=";", encoding="iso-8859-16", header=RO_INVOICE)


HU = "szamlatetelek_2024-03-31.csv"
HU_F = f"billing/{HU}"
PL = "faktury_2024-03-31.csv"
PL_F = f"billing/{PL}"
RO = "facturi_2024-03-31.csv"
RO_F = f"billing/{RO}"
INV = "invoice_lines_2024-03-01.csv"
INV_F = f"billing/{INV}"
AMOUNT = ("invoice_id", "net_amount")


def amount(case_id: str, profile: str, name: str, data: bytes, text: str, value: Decimal | None) -> Case:
    """One invoice line whose net_amount `text` loads as `value`, or is quarantined invalid_decimal when None."""
    file = f"billing/{name}"
    if value is None:
        return Case(case_id, INVOICE_LINES, {name: data}, profile, staged=(AMOUNT, []),
                    quarantined=((file, 2, "net_amount", "invalid_decimal", text),), counts={file: (1, 0, 0, 1)})
    return Case(case_id, INVOICE_LINES, {name: data}, profile, staged=(AMOUNT, [("INV-1", value)]),
                counts={file: (1, 1, 0, 0)})


def hu_amount(case_id: str, text: str, value: Decimal | None) -> Case:
    return amount(case_id, hu_billing(), HU, hu_invoices(hu_line(net_amount=text)), text, value)


def issue_date(case_id: str, profile: str, name: str, data: bytes, text: str, value: dt.date | None,
               xfail: str | None = None) -> Case:
    file = f"billing/{name}"
    if value is None:
        return Case(case_id, INVOICE_LINES, {name: data}, profile, staged=(("issue_date",), []),
                    quarantined=((file, 2, "issue_date", "invalid_date", text),), counts={file: (1, 0, 0, 1)},
                    xfail=xfail)
    return Case(case_id, INVOICE_LINES, {name: data}, profile, staged=(("issue_date",), [(value,)]),
                counts={file: (1, 1, 0, 0)})


def currency(case_id: str, profile: str, name: str, data: bytes, codes: list[tuple]) -> Case:
    file = f"billing/{name}"
    return Case(case_id, INVOICE_LINES, {name: data}, profile,
                staged=(("invoice_id", "currency"), codes), counts={file: (len(codes), len(codes), 0, 0)})


# ---------------------------------------------------------------- customers: encodings

CLIENT = ("customer_id", "name", "country", "city", "created_date")


def client(customer_id: str, name: str, city: str) -> dict[str, str]:
    return {"customer_id": customer_id, "name": name, "country": "HU", "city": city, "created_date": "2023-01-01"}


def crm(encoding: str) -> str:
    return profile_toml(f"crm-{encoding}", f'encoding = "{encoding}"', 'delimiter = ";"', "max_quarantined_share = 1.0")


def clients(rows: list[dict[str, str]], encoding: str, delimiter: str = ";", prefix: bytes = b"") -> bytes:
    return table(CLIENT, rows, delimiter=delimiter, encoding=encoding, prefix=prefix)


CLIENTS = "customers_2024-03-31.csv"
CLIENTS_F = f"crm/{CLIENTS}"
NAMES = ("customer_id", "name", "city")


def encoded(case_id: str, encoding: str, name: str, city: str) -> Case:
    """A client name and city in a local encoding, declared rightly in the profile: decoded exactly."""
    rows = [client("C1", name, city), client("C2", PII, "Győr")]
    return Case(case_id, CUSTOMERS, {CLIENTS: clients(rows, encoding)}, crm(encoding),
                staged=(NAMES, [("C1", name, city), ("C2", PII, "Győr")]), counts={CLIENTS_F: (2, 2, 0, 0)})


HEADER = b"customer_id;name;country;city;created_date\n"  # 43 bytes with its newline
FIRST = b"C1;Kovacs Kft.;HU;Budapest;2023-01-01\n"  # 38 bytes with its newline


def undecodable(case_id: str, declared: str, third: bytes, fragment: str) -> Case:
    """A cp1250 file whose third line holds a byte the declared encoding refuses."""
    return Case(case_id, CUSTOMERS, {CLIENTS: HEADER + FIRST + third}, crm(declared),
                rejected=(CLIENTS, "undecodable", (CLIENTS_F, fragment)), counts={})


# ---------------------------------------------------------------- survey answers: timestamps and rules

SURVEY = ("response_id", "customer_id", "survey_type", "score", "scale_min", "scale_max", "submitted_at", "comment")
HU_SURVEY_COLUMNS = {"response_id": "Válaszazonosító", "customer_id": "Ügyfélkód", "survey_type": "Kérdőív",
                     "score": "Pontszám", "scale_min": "Skála min", "scale_max": "Skála max",
                     "submitted_at": "Beküldve", "comment": "Megjegyzés"}
HU_SURVEY = profile_toml(
    "hu-survey", 'encoding = "cp1250"', 'delimiter = ";"',
    'timestamp_formats = ["%Y.%m.%d. %H:%M:%S", "%Y. %m. %d. %H:%M:%S"]', 'time_zone = "Europe/Budapest"',
    "max_quarantined_share = 1.0", *entity_toml("responses", "valaszok_*.csv", HU_SURVEY_COLUMNS),
)
RO_SURVEY = profile_toml(
    "ro-survey", 'encoding = "iso-8859-16"', 'delimiter = ";"', 'timestamp_formats = ["%d.%m.%Y %H:%M:%S"]',
    'time_zone = "Europe/Bucharest"', "max_quarantined_share = 1.0", *entity_toml("responses", "raspunsuri_*.csv"),
)
PL_SURVEY_XLSX = profile_toml(
    "pl-ankiety", 'format = "xlsx"', "excel_serial_dates = true", 'time_zone = "Europe/Warsaw"',
    "max_quarantined_share = 1.0", *entity_toml("responses", "ankiety_*.xlsx"),
)


def answer(**values: str) -> dict[str, str]:
    return {"response_id": "R1", "customer_id": "C1", "survey_type": "nps", "score": "9", "scale_min": "0",
            "scale_max": "10", "submitted_at": "2024-03-05T10:00:00Z", "comment": f"{PII} szerint kiváló"} | values


HU_ANSWERS = "valaszok_2024-03-31.csv"
RO_ANSWERS = "raspunsuri_2024-03-31.csv"
ANSWERS = "responses_2024-03-31.csv"
ANSWERS_F = f"survey/{ANSWERS}"
SUBMITTED = ("response_id", "submitted_at")


def submitted(case_id: str, profile: str, text: str, value: dt.datetime | None) -> Case:
    """One answer submitted at local time `text`: stored as the UTC `value`, or invalid_timestamp when None."""
    if profile is RO_SURVEY:
        name, data = RO_ANSWERS, table(SURVEY, [answer(submitted_at=text, comment="Foarte mulțumit")], delimiter=";",
                                       encoding="iso-8859-16")
    else:
        name, data = HU_ANSWERS, table(SURVEY, [answer(submitted_at=text)], delimiter=";", encoding="cp1250",
                                       header=HU_SURVEY_COLUMNS)
    file = f"survey/{name}"
    if value is None:
        return Case(case_id, RESPONSES, {name: data}, profile, staged=(SUBMITTED, []),
                    quarantined=((file, 2, "submitted_at", "invalid_timestamp", text),), counts={file: (1, 0, 0, 1)})
    return Case(case_id, RESPONSES, {name: data}, profile, staged=(SUBMITTED, [("R1", value)]),
                counts={file: (1, 1, 0, 0)})


def survey_rule(case_id: str, row: dict[str, str], column: str, reason: str, raw: str) -> Case:
    """A canonical answer file: R1 is fine, R2 breaks one rule and is quarantined for it."""
    data = table(SURVEY, [answer(), row])
    return Case(case_id, RESPONSES, {ANSWERS: data}, canon(), staged=(("response_id",), [("R1",)]),
                quarantined=((ANSWERS_F, 3, column, reason, raw),), counts={ANSWERS_F: (2, 1, 0, 1)})


# ---------------------------------------------------------------- binary formats, generated at test time

def xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


NATIVE = pl.DataFrame({
    "invoice_id": ["INV-1"], "line_number": [1], "customer_id": ["C1"], "issue_date": [dt.date(2024, 3, 5)],
    "product": [PII], "net_amount": [1234.5], "currency": ["EUR"], "billing_interval": ["month"],
    "document_type": ["invoice"],
})
XLSX_BILLING = profile_toml("xlsx-billing", 'format = "xlsx"', "excel_serial_dates = true",
                            "max_quarantined_share = 1.0", *entity_toml("invoice_lines", "invoice_lines*.xlsx"))


# ---------------------------------------------------------------- extra assertions for some cases

def raw_lines(out: Outcome) -> list[tuple]:
    return out.rows(f"select invoice_id, _line_number from raw.{out.case.extract.raw_table} order by _line_number")


def held_back(out: Outcome) -> None:
    assert out.rows("select is_over_threshold from staging.file_reconciliation where entity = ?",
                    [out.case.extract.raw_table]) == [(True,)]


def raw_rows_only_of_the_latest_version(out: Outcome) -> None:
    assert out.raw_count() == 1  # the replaced version's row left raw with it
    assert out.reports[1].loaded == [(INV_F, 1)]


def skipped_not_doubled(out: Outcome) -> None:
    assert out.raw_count() == 2  # 2 rows, not 4: the copy added none
    assert out.reports[1].skipped == ["billing/invoice_lines_2024-03-01_resent.csv"]
    assert out.reports[1].loaded == []


def second_night_changes_nothing(out: Outcome) -> None:
    first, second = out.reports
    assert sorted(first.loaded) == [(INV_F, 1), ("billing/invoice_lines_2024-04-01.csv", 1)]
    assert (second.loaded, second.skipped, second.rejected, second.unchanged) == ([], [], [], 2)
    assert out.raw_count() == 2


def waits_in_place(out: Outcome) -> None:
    assert out.reports[0].waiting == [INV_F]  # no `.done` beside it: still being written
    assert (out.landing / "billing" / INV).exists() and out.raw_count() == 0


def loads_once_marked(out: Outcome) -> None:
    assert out.reports[0].waiting == [INV_F] and out.reports[0].loaded == []
    assert out.reports[1].waiting == [] and out.reports[1].loaded == [(INV_F, 1)]


def outside_file_untouched(out: Outcome) -> None:
    outside = out.landing.parent / "outside" / "invoice_lines_secret.csv"
    assert outside.read_bytes() == invoices(line())  # the link was moved aside, not what it points to
    assert (out.landing / "_rejected" / "billing" / "invoice_lines_link.csv").is_symlink()


def link_outside(landing: Path, tmp: Path) -> None:
    outside = tmp / "outside" / "invoice_lines_secret.csv"
    outside.parent.mkdir()
    outside.write_bytes(invoices(line()))
    link = landing / "billing" / "invoice_lines_link.csv"
    os.symlink(outside, link)
    past = time.time() - 3600  # an old link, so the canonical stable_seconds never waits for it
    os.utime(link, (past, past), follow_symlinks=False)


def escaped(fragment: str):
    def check(out: Outcome) -> None:
        [(name, _, message)] = out.reports[0].rejected
        assert fragment in name and fragment in message
    return check


def multiline_quoted_field(out: Outcome) -> None:
    # the quoted product spans lines 2-3, so the next record starts on physical line 4
    assert raw_lines(out) == [("INV-1", 2), ("INV-2", 4)]


def moved_aside_again(out: Outcome) -> None:
    assert not (out.landing / "billing" / INV).exists()  # not left to be met, and ignored, every night
    assert (out.landing / "_rejected" / "billing" / f"{INV}.1").exists()  # the first copy is never overwritten
    assert out.reports[1].unchanged == 0


def marker_moved_with_its_file(out: Outcome) -> None:
    rejected = out.landing / "_rejected" / "billing"
    assert (rejected / f"{INV}.done").exists() and not (out.landing / "billing" / f"{INV}.done").exists()


NOT_PLAIN = "not a plain file name inside the landing folder"
TRUNC = invoices(line(), line(invoice_id="INV-2"))


def _broken_xlsx() -> bytes:
    data = xlsx(list(INVOICE), [["INV-1", 1, "C1", 45356, PII, 100, "EUR", "month", "invoice"]])
    return data[: len(data) // 2]


# ---------------------------------------------------------------- the corpus

CASES: list[Case] = [
    # ---- encodings
    Case("enc-utf8", CUSTOMERS, {CLIENTS: clients([client("C1", PII, "Győr")], "utf-8", ",")},  # canonical, no profile
         staged=(NAMES, [("C1", PII, "Győr")]),  # UTF-8 is the canonical encoding
         counts={CLIENTS_F: (1, 1, 0, 0)}),
    Case("enc-utf8-bom", CUSTOMERS, {CLIENTS: clients([client("C1", PII, "Győr")], "utf-8", ",", b"\xef\xbb\xbf")},
         staged=(NAMES, [("C1", PII, "Győr")]),  # the BOM is dropped, so the first header is `customer_id`
         counts={CLIENTS_F: (1, 1, 0, 0)}),
    Case("enc-bom-declared-utf8", CUSTOMERS,
         {CLIENTS: clients([client("C1", PII, "Győr")], "utf-8", ";", b"\xef\xbb\xbf")}, crm("utf-8"),
         staged=(NAMES, [("C1", PII, "Győr")]),  # a BOM under plain utf-8 is dropped too
         counts={CLIENTS_F: (1, 1, 0, 0)}),
    encoded("enc-cp1250", "cp1250", "Kőbányai Űrkutató Kft.", "Hódmezővásárhely"),  # ő=0xF5, ű=0xFB in cp1250
    encoded("enc-iso-8859-2", "iso-8859-2", "Zażółć Gęślą Sp. z o.o.", "Łódź"),  # Polish letters of Latin-2
    encoded("enc-iso-8859-16", "iso-8859-16", "Ștefănescu Țiriac SRL", "Timișoara"),  # ș ț with comma below
    undecodable("enc-cp1250-declared-utf8", "utf-8", "C2;Szabó Anna;HU;Győr;2023-01-01\n".encode("cp1250"),
                # ó is the lone byte 0xF3 at column 8 of line 3, byte offset 43 + 38 + 7 = 88
                "not valid utf-8 at line 3, column 8 (byte 88)"),
    undecodable("enc-cp1250-declared-iso-8859-2", "iso-8859-2",
                "C2;Świętokrzyska Sp. z o.o.;PL;Kielce;2023-01-01\n".encode("cp1250"),
                # cp1250 Ś is 0x8C, which ISO-8859-2 decodes to the C1 control U+008C at character 4
                "control character U+008C at line 3, column 4 after decoding as iso-8859-2"),
    undecodable("enc-cp1250-undefined-0x81", "cp1250", b"C2;Szab\x81 Anna;HU;Gyor;2023-01-01\n",
                # 0x81 is one of the five bytes cp1250 leaves undefined; column 8 of line 3 = byte 88
                "not valid cp1250 at line 3, column 8 (byte 88)"),
    Case("enc-utf8-declared-cp1250-is-mojibake", CUSTOMERS,
         {CLIENTS: clients([client("C1", PII, "Győr")], "utf-8")}, crm("cp1250"),
         # every byte is defined in cp1250, so a wrong declaration cannot be detected: ó (C3 B3) reads as Ăł
         staged=(NAMES, [("C1", "SzabĂł Anna", "GyĹ‘r")]), counts={CLIENTS_F: (1, 1, 0, 0)}),

    # ---- numbers
    hu_amount("num-space-thousands", "1 234,56", Decimal("1234.56")),  # space groups thousands, comma decimals
    amount("num-nbsp-cp1250", hu_billing(), HU, hu_invoices(hu_line(net_amount="1\u00a0234,56")), "1\u00a0234,56",
           Decimal("1234.56")),  # NBSP is 0xA0 in cp1250 and a listed separator
    amount("num-narrow-nbsp", PL_BILLING, PL, pl_invoices(pl_line(net_amount="1\u202f234,56")), "1\u202f234,56",
           Decimal("1234.56")),  # U+202F (narrow NBSP, French/Polish style) is listed in the PL profile
    amount("num-dot-thousands", RO_BILLING, RO, ro_invoices(ro_line(net_amount="1.234,56")), "1.234,56",
           Decimal("1234.56")),  # RO: '.' groups thousands, ',' is the decimal point
    amount("num-dot-thousands-millions", RO_BILLING, RO, ro_invoices(ro_line(net_amount="1.234.567,8")), "1.234.567,8",
           Decimal("1234567.80")),  # every group of 3 after the first; one decimal digit pads to cents
    hu_amount("num-one-decimal", "1234,5", Decimal("1234.50")),  # ungrouped thousands are fine, ,5 = 50 cents
    hu_amount("num-negative-grouped", "-1 234,00", Decimal("-1234.00")),  # sign before a grouped number
    hu_amount("num-bad-grouping", "12 34,5", None),  # a group after the first must have 3 digits: not a number
    hu_amount("num-three-decimals-for-cents", "1,005", None),  # 1.005 would round to 1.01 in DECIMAL(18,2)
    hu_amount("num-dot-in-comma-profile", "1.5", None),  # '.' is neither decimal point nor separator here
    amount("num-dot-in-dot-thousands-profile", RO_BILLING, RO, ro_invoices(ro_line(net_amount="1.5")), "1.5",
           None),  # in RO '.' groups thousands, and `5` is not a group of 3

    # ---- dates
    issue_date("date-hu-dotted", hu_billing(), HU, hu_invoices(hu_line()), "2024.03.05.",
               dt.date(2024, 3, 5)),  # %Y.%m.%d. with the trailing dot of Hungarian dates
    issue_date("date-hu-spaced", hu_billing(), HU, hu_invoices(hu_line(issue_date="2024. 03. 05.")), "2024. 03. 05.",
               dt.date(2024, 3, 5)),  # the profile's second format %Y. %m. %d.
    issue_date("date-dmy", PL_BILLING, PL, pl_invoices(pl_line()), "05.03.2024",
               dt.date(2024, 3, 5)),  # %d.%m.%Y: day first, so 5 March, not 3 May
    issue_date("date-feb-30", canon(), INV, invoices(line(issue_date="2024-02-30")), "2024-02-30",
               None),  # no 30 February, even in a leap year
    issue_date("date-iso-in-dmy-profile", PL_BILLING, PL,
               pl_invoices(pl_line(issue_date="2024-03-05", currency="€")), "2024-03-05",
               None),  # strict: only %d.%m.%Y is a date in the PL profile (€: no rate looked up)
    issue_date("date-invalid-in-local-currency", hu_billing(), HU, hu_invoices(hu_line(issue_date="2024.02.30.")),
               "2024.02.30.", None,  # HUF needs a rate, but a rule whose input did not cast must not fire
               xfail="rules.NO_FX_RATE fires on a row whose issue_date did not cast: `not exists (... r.rate_date "
                     "<= null ...)` is true, so the row gets a second reason no_fx_rate (currency 'Ft') besides "
                     "invalid_date; a rule should not fire when an input is null"),
    issue_date("date-hu-in-canonical", canon(), INV, invoices(line(issue_date="2024.03.05.")), "2024.03.05.",
               None),  # the canonical layout only knows YYYY-MM-DD
    Case("date-excel-serial-xlsx", INVOICE_LINES,
         {"invoice_lines_2024-03-31.xlsx": xlsx(list(INVOICE),
                                                [["INV-1", 1, "C1", 45356, PII, 1234.56, "EUR", "month", "invoice"]])},
         XLSX_BILLING,
         # serial 45356 = 1899-12-30 + 45356 days = 2024-03-05; the float 1234.56 keeps its cents
         staged=(("issue_date", "net_amount"), [(dt.date(2024, 3, 5), Decimal("1234.56"))]),
         counts={"billing/invoice_lines_2024-03-31.xlsx": (1, 1, 0, 0)}),

    # ---- timestamps
    submitted("ts-budapest-winter", HU_SURVEY, "2024.01.15. 10:00:00",
              dt.datetime(2024, 1, 15, 9, 0)),  # January is CET = UTC+1 → 09:00 UTC
    submitted("ts-budapest-summer", HU_SURVEY, "2024.07.15. 10:00:00",
              dt.datetime(2024, 7, 15, 8, 0)),  # July is CEST = UTC+2 → 08:00 UTC
    submitted("ts-bucharest-winter", RO_SURVEY, "15.01.2024 10:00:00",
              dt.datetime(2024, 1, 15, 8, 0)),  # EET = UTC+2 → 08:00 UTC
    submitted("ts-bucharest-summer", RO_SURVEY, "15.07.2024 10:00:00",
              dt.datetime(2024, 7, 15, 7, 0)),  # EEST = UTC+3 → 07:00 UTC
    submitted("ts-explicit-offset-honoured", HU_SURVEY, "2024-07-15T10:00:00+03:00",
              dt.datetime(2024, 7, 15, 7, 0)),  # the written +03:00 wins over the profile's Budapest → 07:00 UTC
    submitted("ts-spring-dst-gap", HU_SURVEY, "2024.03.31. 02:30:00",
              None),  # clocks jump 02:00 → 03:00 on 31 March: 02:30 never happened in Budapest
    submitted("ts-autumn-ambiguous", HU_SURVEY, "2024.10.27. 02:30:00",
              dt.datetime(2024, 10, 27, 1, 30)),  # 02:30 happens twice; the later one is CET (UTC+1) → 01:30 UTC
    submitted("ts-not-a-time", HU_SURVEY, "2024.13.01. 10:00:00", None),  # month 13
    Case("ts-warsaw-interactions", INTERACTIONS,
         {"kontakty_2024-07-31.csv": table(
             ("interaction_id", "customer_id", "interaction_type", "occurred_at"),
             [{"interaction_id": "K1", "customer_id": "C1", "interaction_type": "meeting",
               "occurred_at": "15.01.2024 10:00"},
              {"interaction_id": "K2", "customer_id": "C2", "interaction_type": "call",
               "occurred_at": "15.07.2024 10:00:30"}],
             delimiter=";", encoding="iso-8859-2",
             header={"interaction_id": "ID", "customer_id": "Kod klienta", "interaction_type": "Rodzaj",
                     "occurred_at": "Data i godzina"})},
         profile_toml("pl-crm", 'encoding = "iso-8859-2"', 'delimiter = ";"',
                      'timestamp_formats = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"]', 'time_zone = "Europe/Warsaw"',
                      *entity_toml("interactions", "kontakty_*.csv",
                                   {"interaction_id": "ID", "customer_id": "Kod klienta", "interaction_type": "Rodzaj",
                                    "occurred_at": "Data i godzina"})),
         staged=(("interaction_id", "occurred_at"), [
             ("K1", dt.datetime(2024, 1, 15, 9, 0)),  # Warsaw winter CET = UTC+1
             ("K2", dt.datetime(2024, 7, 15, 8, 0, 30)),  # Warsaw summer CEST = UTC+2, seconds kept
         ]),
         counts={"crm/kontakty_2024-07-31.csv": (2, 2, 0, 0)}),
    Case("ts-canonical-naive-is-utc", RESPONSES, {ANSWERS: table(SURVEY, [answer(submitted_at="2024-07-15T10:00:00")])},
         canon(),
         staged=(SUBMITTED, [("R1", dt.datetime(2024, 7, 15, 10, 0))]),  # canonical: no offset means UTC
         counts={ANSWERS_F: (1, 1, 0, 0)}),
    Case("ts-excel-serial-xlsx", RESPONSES,
         {"ankiety_2024-03-31.xlsx": xlsx(list(SURVEY), [["R1", "C1", "nps", 9, 0, 10, 45356.5, PII]])},
         PL_SURVEY_XLSX,
         # serial 45356.5 = 2024-03-05 12:00 Warsaw wall time, CET = UTC+1 → 11:00 UTC
         staged=(SUBMITTED, [("R1", dt.datetime(2024, 3, 5, 11, 0))]),
         counts={"survey/ankiety_2024-03-31.xlsx": (1, 1, 0, 0)}),

    # ---- currency aliases
    currency("cur-ft", hu_billing(), HU, hu_invoices(hu_line(), hu_line(invoice_id="INV-2", currency=" FT. ")),
             [("INV-1", "HUF"), ("INV-2", "HUF")]),  # aliases match trimmed and case-blind: Ft and Ft. are HUF
    currency("cur-zl", PL_BILLING, PL, pl_invoices(pl_line()), [("INV-1", "PLN")]),  # zł → PLN
    currency("cur-lei", RO_BILLING, RO, ro_invoices(ro_line(), ro_line(invoice_id="INV-2", currency="LEI")),
             [("INV-1", "RON"), ("INV-2", "RON")]),  # lei → RON, any case
    currency("cur-euro-sign", RO_BILLING, RO, ro_invoices(ro_line(currency="€")),
             [("INV-1", "EUR")]),  # € is byte 0xA4 in ISO-8859-16 → EUR
    Case("cur-unknown-3-letters", INVOICE_LINES, {HU: hu_invoices(hu_line(currency="XYZ"))}, hu_billing(),
         staged=(AMOUNT, []),
         # three letters A-Z pass invalid_currency, but no rate of XYZ exists, so no_fx_rate catches it
         quarantined=((HU_F, 2, "currency", "no_fx_rate", "XYZ"),), counts={HU_F: (1, 0, 0, 1)}),
    Case("cur-unknown-word", INVOICE_LINES, {HU: hu_invoices(hu_line(currency="Forint"))}, hu_billing(),
         staged=(AMOUNT, []),
         # not an alias, and FORINT is not 3 letters; the raw value is reported as sent
         quarantined=((HU_F, 2, "currency", "invalid_currency", "Forint"),), counts={HU_F: (1, 0, 0, 1)}),

    # ---- duplicates and re-sends
    Case("dup-identical-resend", INVOICE_LINES, {INV: invoices(line(), line(invoice_id="INV-2"))}, canon(),
         later=({"invoice_lines_2024-03-01_resent.csv": invoices(line(), line(invoice_id="INV-2"))},),
         staged=(("invoice_id",), [("INV-1",), ("INV-2",)]),
         counts={INV_F: (2, 2, 0, 0)},  # the copy has no raw rows, so no reconciliation row
         manifest=((INV_F, "loaded", None),
                   ("billing/invoice_lines_2024-03-01_resent.csv", "skipped_duplicate", "same_bytes")),
         extra=skipped_not_doubled),
    Case("dup-same-name-corrected", INVOICE_LINES, {INV: invoices(line())}, canon(),
         later=({INV: invoices(line(net_amount="110.00"))},),
         staged=(AMOUNT, [("INV-1", Decimal("110.00"))]),  # the corrected version's amount
         counts={INV_F: (1, 1, 0, 0)},
         manifest=((INV_F, "loaded", None), (INV_F, "replaced", None)), extra=raw_rows_only_of_the_latest_version),
    Case("dup-later-dated-file-wins", INVOICE_LINES,
         {"invoice_lines_b_2024-03-01.csv": invoices(line()),
          "invoice_lines_a_2024-04-01.csv": invoices(line(net_amount="200.00"))}, canon(),
         # the date in the name decides, although `_a_` sorts before `_b_`
         staged=(AMOUNT, [("INV-1", Decimal("200.00"))]),
         counts={"billing/invoice_lines_a_2024-04-01.csv": (1, 1, 0, 0),
                 "billing/invoice_lines_b_2024-03-01.csv": (1, 0, 1, 0)}),
    Case("dup-undated-loses", INVOICE_LINES,
         {"invoice_lines_zz_final.csv": invoices(line(net_amount="300.00")), INV: invoices(line())}, canon(),
         staged=(AMOUNT, [("INV-1", Decimal("100.00"))]),  # a name without a date counts as the oldest extract
         counts={INV_F: (1, 1, 0, 0), "billing/invoice_lines_zz_final.csv": (1, 0, 1, 0)}),
    Case("dup-last-line-wins", INVOICE_LINES, {INV: invoices(line(), line(net_amount="120.00"))}, canon(),
         staged=(AMOUNT, [("INV-1", Decimal("120.00"))]),  # same key twice in one file: line 3 beats line 2
         counts={INV_F: (2, 1, 1, 0)}),
    Case("dup-ingest-twice", INVOICE_LINES,
         {INV: invoices(line()), "invoice_lines_2024-04-01.csv": invoices(line(invoice_id="INV-2"))}, canon(),
         later=({},), staged=(("invoice_id",), [("INV-1",), ("INV-2",)]),
         counts={INV_F: (1, 1, 0, 0), "billing/invoice_lines_2024-04-01.csv": (1, 1, 0, 0)},
         extra=second_night_changes_nothing),
    Case("dup-broken-latest-not-replaced-by-older", INVOICE_LINES,
         {INV: invoices(line()), "invoice_lines_2024-04-01.csv": invoices(line(net_amount="abc"))}, canon(),
         # the latest version is broken: quarantined, and the older 100.00 is NOT loaded in its place
         staged=(AMOUNT, []),
         quarantined=(("billing/invoice_lines_2024-04-01.csv", 2, "net_amount", "invalid_decimal", "abc"),),
         counts={INV_F: (1, 0, 1, 0), "billing/invoice_lines_2024-04-01.csv": (1, 0, 0, 1)}),
    Case("dup-key-trimmed", INVOICE_LINES, {INV: invoices(line(), line(invoice_id=" INV-1 ", line_number="01"))},
         canon(),
         # ` INV-1 ` / `01` is the key INV-1 / 1 once trimmed and typed: one key, the later line wins
         staged=(("invoice_id", "line_number"), [("INV-1", 1)]), counts={INV_F: (2, 1, 1, 0)}),
    Case("dup-same-name-reverted", INVOICE_LINES, {INV: invoices(line())}, canon(),
         later=({INV: invoices(line(net_amount="110.00"))}, {INV: invoices(line())}),
         xfail="ingest._one skips a file version whose (name, sha) the manifest has met before, whatever its "
               "status: the first version re-sent after a correction is status 'replaced', so it counts as "
               "unchanged and the warehouse keeps the correction's 110.00 while the landing folder holds 100.00",
         staged=(AMOUNT, [("INV-1", Decimal("100.00"))]),  # night 3 re-sent the first version: it is the latest
         counts={INV_F: (1, 1, 0, 0)}),

    # ---- schema drift
    Case("drift-renamed-required", INVOICE_LINES,
         {INV: invoices(line(), header={"customer_id": "client_code"})}, canon(),
         rejected=(INV, "missing_columns", (
             f"{INV_F}: missing required column(s) ['customer_id']",
             f"expected {list(INVOICE_LINES.column_names)}",  # every contract header, in contract order
             "found ['invoice_id', 'line_number', 'client_code', 'issue_date', 'product', 'net_amount', 'currency', "
             "'billing_interval', 'document_type']",  # snake_case, so client_code may be quoted
         ))),
    Case("drift-renamed-required-mapped", INVOICE_LINES,
         {HU: hu_invoices(hu_line(), header=HU_INVOICE | {"customer_id": "Ügyfél kód"})}, hu_billing(),
         rejected=(HU, "missing_columns", (
             "missing required column(s) ['Ügyfélkód']",  # the profile's header name, not the contract's
             "found ['Számlaszám', 'Tétel', 'Kelte', 'Termék', 'Nettó összeg', 'Pénznem', 'Számlázási gyakoriság', "
             "'Bizonylattípus'] and 1 other name(s) not quoted",  # `Ügyfél kód` is neither mapped nor snake_case
         ))),
    Case("drift-no-header-row", INVOICE_LINES,
         {INV: "\n".join(",".join(line(invoice_id=i).values()) for i in ("INV-1", "INV-2")).encode() + b"\n"},
         canon(),
         rejected=(INV, "missing_columns", (
             "missing required column(s) ['invoice_id', 'line_number', 'customer_id'",
             "found [] and 9 other name(s) not quoted",  # the first row is data: none of it is quoted
         ))),
    Case("drift-new-column", INVOICE_LINES,
         {INV: table((*INVOICE, "sales_channel"), [line() | {"sales_channel": "web"}])}, canon(),
         staged=(("invoice_id",), [("INV-1",)]),  # loaded, the new column ignored
         warnings=(f"{INV_F}: optional column(s) {INVOICE_OPTIONAL_ABSENT} absent, loaded as empty",
                   f"{INV_F}: unexpected column(s) ['sales_channel'] ignored"),
         counts={INV_F: (1, 1, 0, 0)}),
    Case("drift-optional-absent", INVOICE_LINES, {INV: invoices(line())}, canon(),
         staged=(("invoice_id", "service_start_date", "discount"), [("INV-1", None, None)]),  # null, not 0 or a date
         warnings=(f"{INV_F}: optional column(s) {INVOICE_OPTIONAL_ABSENT} absent, loaded as empty",),
         counts={INV_F: (1, 1, 0, 0)}),
    Case("drift-column-order", INVOICE_LINES, {INV: table(INVOICE[::-1], [line(), line(invoice_id="INV-2")])},
         canon(),
         # columns are picked by header name, so reversed order still puts each value in its column
         staged=(("invoice_id", "line_number", "customer_id", "net_amount", "document_type"), [
             ("INV-1", 1, "C1", Decimal("100.00"), "invoice"), ("INV-2", 1, "C1", Decimal("100.00"), "invoice")]),
         counts={INV_F: (2, 2, 0, 0)}),
    Case("drift-header-case-and-spaces", INVOICE_LINES,
         {INV: invoices(line(), header={c: f" {c.upper()} " for c in INVOICE})}, canon(),
         staged=(AMOUNT, [("INV-1", Decimal("100.00"))]),  # ` INVOICE_ID ` matches invoice_id
         counts={INV_F: (1, 1, 0, 0)}),
    Case("drift-header-nfd", INVOICE_LINES,
         {HU: hu_invoices(hu_line(), encoding="utf-8",
                          header={c: unicodedata.normalize("NFD", h) for c, h in HU_INVOICE.items()})},
         hu_billing("utf-8"),
         staged=(AMOUNT, [("INV-1", Decimal("100.00"))]),  # decomposed Ü (U+0055 U+0308) matches composed Ü
         counts={HU_F: (1, 1, 0, 0)}),
    Case("drift-duplicate-columns", INVOICE_LINES,
         {INV: table((*INVOICE, "cust"), [line() | {"cust": "C2"}], header={"cust": " Customer_ID"})}, canon(),
         rejected=(INV, "duplicate_columns", (
             f"{INV_F}: column(s) [' Customer_ID', 'customer_id'] appear more than once",  # same after trim+casefold
         ))),
    Case("drift-wrong-delimiter", INVOICE_LINES,
         {HU: table(INVOICE, [hu_line()], delimiter=",", encoding="cp1250", header=HU_INVOICE)}, hu_billing(),
         rejected=(HU, "missing_columns", (
             "missing required column(s) ['Számlaszám', 'Tétel', 'Ügyfélkód'",  # a `,` file read with `;`
             "found [] and 1 other name(s) not quoted",  # the whole header line is one name, not quoted
         ))),
    Case("drift-trailing-delimiter", INVOICE_LINES,
         {HU: b"".join(ln + b";\n" for ln in hu_invoices(hu_line()).splitlines())}, hu_billing(),
         staged=(AMOUNT, [("INV-1", Decimal("100.00"))]),  # every line ends in `;`: one more, empty, column
         warnings=(f"{HU_F}: optional column(s) {INVOICE_OPTIONAL_ABSENT} absent, loaded as empty",
                   f"{HU_F}: unexpected column(s) [] and 1 other name(s) not quoted ignored"),
         counts={HU_F: (1, 1, 0, 0)}),

    # ---- truncated, malformed, empty, unreadable
    Case("trunc-cut-mid-row", INVOICE_LINES, {INV: TRUNC + b"INV-3,1,C1,2024-"}, canon(),
         rejected=(INV, "truncated", (f"{INV_F}: the last line (4) is cut short",))),  # 4 fields of 9, no final newline
    Case("trunc-quoted-file-cut-mid-row", INVOICE_LINES,
         {INV: invoices(line(product=f'"{PII}, tanácsadás"'), line(invoice_id="INV-2")) + b"INV-3,1,C1,2024-"},
         canon(), xfail="reader._read_quoted has no truncation check: a cut last row becomes a wrong_field_count "
                        "row and the incomplete file loads",
         rejected=(INV, "truncated", (f"{INV_F}: the last line (4) is cut short",))),
    Case("trunc-unclosed-quote", INVOICE_LINES,
         {INV: invoices(line(), line(invoice_id="INV-2", product=f'"{PII}'), line(invoice_id="INV-3"),
                        line(invoice_id="INV-4"))}, canon(),
         rejected=(INV, "malformed_csv", (f"{INV_F}: broken quoting at line", "never closes"))),
    Case("trunc-unclosed-quote-names-its-line", INVOICE_LINES,
         {INV: invoices(line(), line(invoice_id="INV-2", product=f'"{PII}'), line(invoice_id="INV-3"),
                        line(invoice_id="INV-4"))}, canon(),
         xfail="reader._read_quoted reports csv.reader.line_num at the error, i.e. the end of the file (line 5), "
               "not line 3 where the quote opens, although the message says 'a quote opened there'",
         rejected=(INV, "malformed_csv", (f"{INV_F}: broken quoting at line 3;",))),  # the quote opens on line 3
    Case("trunc-broken-parquet", INVOICE_LINES,
         {"invoice_lines_2024-03-01.parquet": parquet(NATIVE)[:-40]}, canon(),  # the footer is cut off
         rejected=("invoice_lines_2024-03-01.parquet", "unreadable",
                   ("billing/invoice_lines_2024-03-01.parquet: cannot be read as parquet (", "is it complete?"))),
    Case("trunc-broken-xlsx", INVOICE_LINES, {"invoice_lines_2024-03-01.xlsx": _broken_xlsx()}, canon(),
         rejected=("invoice_lines_2024-03-01.xlsx", "unreadable",
                   ("billing/invoice_lines_2024-03-01.xlsx: cannot be read as xlsx (",))),  # half a zip archive
    Case("empty-file", INVOICE_LINES, {INV: b""}, canon(),
         rejected=(INV, "empty_file", (f"{INV_F}: the file is empty",))),
    Case("blank-only-file", INVOICE_LINES, {INV: b"\r\n  \n\t\n"}, canon(),
         rejected=(INV, "empty_file", (f"{INV_F}: the file is empty",))),  # whitespace only counts as empty
    Case("header-only", INVOICE_LINES, {INV: invoices()}, canon(),
         rejected=(INV, "header_only", (f"{INV_F}: a header but no rows",))),
    Case("unknown-format", INVOICE_LINES, {"invoice_lines_2024-03-01.json": b'{"invoice_id": "INV-1"}'},
         canon(1.0, *entity_toml("invoice_lines", "invoice_lines*")),
         rejected=("invoice_lines_2024-03-01.json", "unknown_format", ("name it .csv, .xlsx or .parquet",))),
    Case("parquet-native-types", INVOICE_LINES, {"invoice_lines_2024-03-01.parquet": parquet(NATIVE)}, canon(),
         # a native date and float are turned into text, then typed like CSV text
         staged=(("issue_date", "line_number", "net_amount"), [(dt.date(2024, 3, 5), 1, Decimal("1234.50"))]),
         counts={"billing/invoice_lines_2024-03-01.parquet": (1, 1, 0, 0)}),
    Case("csv-quoted-delimiter-and-newline", INVOICE_LINES,
         {INV: invoices(line(product=f'"{PII}, tanácsadás\nmásodik sor"'), line(invoice_id="INV-2"))}, canon(),
         staged=(("invoice_id", "product"), [("INV-1", f"{PII}, tanácsadás\nmásodik sor"), ("INV-2", PII)]),
         counts={INV_F: (2, 2, 0, 0)}, extra=multiline_quoted_field),
    Case("csv-crlf", INVOICE_LINES, {HU: hu_invoices(hu_line(), hu_line(invoice_id="INV-2"), eol="\r\n")},
         hu_billing(),
         staged=(("invoice_id", "document_type"), [("INV-1", "invoice"), ("INV-2", "invoice")]),  # no stray \r
         counts={HU_F: (2, 2, 0, 0)}),

    # ---- rows
    Case("row-too-few-fields", INVOICE_LINES,
         {INV: TRUNC + b"INV-3,1,C1,2024-03-05,x,100.00,EUR\n"}, canon(),
         staged=(("invoice_id",), [("INV-1",), ("INV-2",)]),  # the rest loads
         quarantined=((INV_F, 4, None, "wrong_field_count", None),  # 7 fields where the header has 9
                      (INV_F, 4, "billing_interval", "missing_required", None),  # the 2 missing fields are null
                      (INV_F, 4, "document_type", "missing_required", None)),
         counts={INV_F: (3, 2, 0, 1)}),
    Case("row-too-many-fields", INVOICE_LINES,
         {INV: TRUNC + b"INV-3,1,C1,2024-03-05,x,100,00,EUR,month,invoice\n"}, canon(),
         staged=(("invoice_id",), [("INV-1",), ("INV-2",)]),
         # 10 fields: a decimal comma in a comma-separated file; the first 9 are still typed ("100" loads)
         quarantined=((INV_F, 4, None, "wrong_field_count", None), (INV_F, 4, "currency", "invalid_currency", "00"),
                      (INV_F, 4, "billing_interval", "not_accepted", "EUR"),
                      (INV_F, 4, "document_type", "not_accepted", "month")),
         counts={INV_F: (3, 2, 0, 1)}),
    Case("row-excel-trailing-empty-rows", INVOICE_LINES,
         {HU: hu_invoices(hu_line()) + b";;;;;;;;\n" * 2}, hu_billing(share=0.5),
         xfail="reader._read_csv keeps a line of bare delimiters (Excel's `;;;;;;;;` after the data) as a row: "
               "each gets missing_required on all 8 required columns, so 2 of 3 rows are bad and the file, "
               "with its one real line, is held back as file_over_threshold",
         staged=(AMOUNT, [("INV-1", Decimal("100.00"))]),  # a row of empty fields holds nothing: skip it like a blank
         counts={HU_F: (1, 1, 0, 0)}),
    survey_rule("survey-score-out-of-scale", answer(response_id="R2", score="11"),
                "score", "score_out_of_scale", "11"),  # 11 on a 0..10 scale
    survey_rule("survey-nps-on-1-5-scale", answer(response_id="R2", score="4", scale_min="1", scale_max="5"),
                "scale_max", "nps_scale", "5"),  # NPS is always 0..10; reported on scale_max
    survey_rule("survey-unknown-customer", answer(response_id="R2", customer_id="C404"),
                "customer_id", "unknown_customer", "C404"),  # CRM has only C1 and C2
    Case("invoice-unknown-customer", INVOICE_LINES, {INV: invoices(line(), line(invoice_id="INV-2", customer_id="C9"))},
         canon(), staged=(("invoice_id",), [("INV-1",)]),
         quarantined=((INV_F, 3, "customer_id", "unknown_customer", "C9"),),  # CRM has only C1 and C2
         counts={INV_F: (2, 1, 0, 1)}),

    # ---- the quarantine threshold
    Case("threshold-3-of-4-held-back", INVOICE_LINES,
         {INV: invoices(line(), *(line(invoice_id=f"INV-{n}", net_amount="abc") for n in (2, 3, 4)))}, canon(0.5),
         staged=(("invoice_id",), []),  # 3/4 = 75% > 50%: the good INV-1 is held back too
         quarantined=(*((INV_F, n, None, "file_over_threshold", None) for n in (2, 3, 4, 5)),
                      *((INV_F, n, "net_amount", "invalid_decimal", "abc") for n in (3, 4, 5))),
         counts={INV_F: (4, 0, 0, 4)},
         extra=held_back),
    Case("threshold-1-of-4-loads", INVOICE_LINES,
         {INV: invoices(*(line(invoice_id=f"INV-{n}") for n in (1, 2, 3)), line(invoice_id="INV-4", net_amount="abc"))},
         canon(0.5), staged=(("invoice_id",), [("INV-1",), ("INV-2",), ("INV-3",)]),  # 25% ≤ 50%
         quarantined=((INV_F, 5, "net_amount", "invalid_decimal", "abc"),), counts={INV_F: (4, 3, 0, 1)}),
    Case("threshold-2-of-4-at-the-limit-loads", INVOICE_LINES,
         {INV: invoices(line(), line(invoice_id="INV-2"), *(line(invoice_id=f"INV-{n}", net_amount="?")
                                                          for n in (3, 4)))},
         canon(0.5), staged=(("invoice_id",), [("INV-1",), ("INV-2",)]),  # 50% is not MORE than 50%
         quarantined=((INV_F, 4, "net_amount", "invalid_decimal", "?"),
                      (INV_F, 5, "net_amount", "invalid_decimal", "?")),
         counts={INV_F: (4, 2, 0, 2)}),
    Case("threshold-default-10-percent", INVOICE_LINES,  # no profile.toml: the canonical share 0.10
         {INV: invoices(*(line(invoice_id=f"INV-{n:02}") for n in range(1, 10)), line(invoice_id="INV-10",
                                                                                      currency="EURO"),
                        line(invoice_id="INV-11", currency="EURO"))},
         staged=(("invoice_id",), []),  # 2 of 11 = 18% > 10%: all 11 held back
         quarantined=(*((INV_F, n, None, "file_over_threshold", None) for n in range(2, 13)),
                      (INV_F, 11, "currency", "invalid_currency", "EURO"),
                      (INV_F, 12, "currency", "invalid_currency", "EURO")),
         counts={INV_F: (11, 0, 0, 11)}),

    # ---- hostile file names
    Case("name-newline", INVOICE_LINES, {"invoice_lines_2024\n03.csv": invoices(line())},
         rejected=("invoice_lines_2024\n03.csv", "bad_file_name", (NOT_PLAIN,)),
         extra=escaped("invoice_lines_2024\\n03.csv")),  # shown escaped, so a log line cannot be forged
    Case("name-ansi-escape", INVOICE_LINES, {"invoice_lines_\x1b[31mred.csv": invoices(line())},
         rejected=("invoice_lines_\x1b[31mred.csv", "bad_file_name", (NOT_PLAIN,)),
         extra=escaped("invoice_lines_\\x1b[31mred.csv")),  # no terminal colour codes reach the log
    Case("name-bidi-override", INVOICE_LINES, {"invoice_lines_\u202evsc.exe.csv": invoices(line())},
         rejected=("invoice_lines_\u202evsc.exe.csv", "bad_file_name", (NOT_PLAIN,)),
         extra=escaped("invoice_lines_\\u202evsc.exe.csv")),  # a right-to-left override cannot disguise the name
    Case("name-symlink-outside", INVOICE_LINES, setup=link_outside,
         rejected=("invoice_lines_link.csv", "bad_file_name", (f"billing/invoice_lines_link.csv: {NOT_PLAIN}",)),
         extra=outside_file_untouched),
    Case("name-too-long", INVOICE_LINES, {f"invoice_lines_{'x' * 190}.csv": invoices(line())},
         rejected=(f"invoice_lines_{'x' * 190}.csv", "bad_file_name", (NOT_PLAIN,))),  # 208 > 200 characters
    Case("name-leading-dash", INVOICE_LINES, {"-invoice_lines.csv": invoices(line())},
         canon(1.0, *entity_toml("invoice_lines", "*invoice_lines*.csv")),
         rejected=("-invoice_lines.csv", "bad_file_name", (NOT_PLAIN,))),  # `-x.csv` reads as an option to tools
    Case("name-leading-dot", INVOICE_LINES, {".invoice_lines.csv": invoices(line())},
         canon(1.0, *entity_toml("invoice_lines", "*invoice_lines*.csv")),
         rejected=(".invoice_lines.csv", "bad_file_name", (NOT_PLAIN,))),  # hidden files are editor/sync leftovers

    # ---- readiness
    Case("ready-marker-missing", INVOICE_LINES, {INV: invoices(line())}, canon(1.0, 'ready = "done_marker"'),
         staged=(("invoice_id",), []), counts={}, manifest=(), extra=waits_in_place),
    Case("ready-marker-arrives", INVOICE_LINES, {INV: invoices(line())}, canon(1.0, 'ready = "done_marker"'),
         later=({f"{INV}.done": b""},), staged=(("invoice_id",), [("INV-1",)]),
         counts={INV_F: (1, 1, 0, 0)}, manifest=((INV_F, "loaded", None),), extra=loads_once_marked),
    Case("ready-marker-moves-with-its-rejected-file", INVOICE_LINES, {INV: invoices(), f"{INV}.done": b""},
         canon(1.0, 'ready = "done_marker"'),
         rejected=(INV, "header_only", (f"{INV_F}: a header but no rows",)), extra=marker_moved_with_its_file),
    # a rejected file landed again (same name and bytes) is read again, rejected again and moved aside
    Case("reject-resent-identical", INVOICE_LINES, {INV: invoices()}, canon(), later=({INV: invoices()},),
         rejected=(INV, "header_only", (f"{INV_F}: a header but no rows",)), times_rejected=2,
         extra=moved_aside_again),

    # ---- profile errors
    Case("profile-unknown-setting", INVOICE_LINES, profile=canon(1.0, 'delimter = ";"'),
         profile_error="unknown setting(s) ['delimter']"),  # a typo is an error, never silently the default
    Case("profile-bad-encoding", INVOICE_LINES, profile=canon(1.0, 'encoding = "latin2"'),
         profile_error="encoding = 'latin2' is not one of ['utf-8', 'utf-8-sig', 'cp1250', 'iso-8859-2'"),
    Case("profile-bad-time-zone", INVOICE_LINES, profile=canon(1.0, 'time_zone = "Europe/Budapset"'),
         profile_error="time_zone 'Europe/Budapset' is not an IANA time zone"),
    Case("profile-bad-date-format", INVOICE_LINES, profile=canon(1.0, "date_formats = [\"%Y'%m\"]"),
         profile_error="date_formats [\"%Y'%m\"] may only hold"),  # a quote could reach SQL text otherwise
    Case("profile-decimal-is-thousands", INVOICE_LINES,
         profile=canon(1.0, 'decimal_separator = ","', 'thousands_separators = [","]'),
         profile_error="',' cannot be both the decimal and a thousands separator"),
]


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_corpus_is_large_and_its_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) >= 45 and len(set(ids)) == len(ids)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_warehouse(tmp_path_factory.mktemp("reference"))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case: Case, reference: Path, tmp_path: Path):
    check_case(run_case(case, tmp_path, reference))
