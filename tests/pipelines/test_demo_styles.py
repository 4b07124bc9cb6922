"""Demo extracts in local export styles: names, headers, local notation, encodings, and an exact read-back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pipelines.demo import write_demo_extracts
from pipelines.demo_styles import EXAMPLES, FALLBACK, _fits, write_styled
from warehouse.contract import COSTS, CUSTOMERS, INTERACTIONS, INVOICE_LINES, RESPONSES, Extract
from warehouse.profiles import Profile, parse_profile

AS_OF = date(2024, 6, 30)
SIZE = {"clients": 60, "years": 2, "seed": 42, "as_of": AS_OF}
EXTRACTS = {
    "crm/customers": CUSTOMERS,
    "crm/interactions": INTERACTIONS,
    "billing/invoice_lines": INVOICE_LINES,
    "billing/costs": COSTS,
    "survey/responses": RESPONSES,
}
NAMES = {
    "hu": ("ugyfelek", "kapcsolatok", "szamlatetelek", "koltsegek", "valaszok"),
    "ro": ("clienti", "interactiuni", "facturi", "costuri", "raspunsuri"),
    "pl": ("klienci", "kontakty", "faktury", "koszty", "ankiety"),
}
NBSP = "\u00a0"


def _file(style: str, key: str) -> str:
    stem = NAMES[style][list(EXTRACTS).index(key)]
    return f"{stem}_2024-06-30.{'xlsx' if stem == 'ankiety' else 'csv'}"


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("demo_styles")
    for style in ("canonical", "hu", "ro", "pl"):
        write_demo_extracts(root / style, **SIZE, style=style)
    return {style: root / style for style in ("canonical", "hu", "ro", "pl")}


def _profile(root: Path, extract: Extract) -> Profile:
    return parse_profile(root / extract.source / "profile.toml", extract.source)


def _rows(root: Path, style: str, key: str) -> list[list[str]]:
    """A styled file as text rows, header first; empty cells as ""."""
    profile = _profile(root, EXTRACTS[key])
    path = root / key.split("/")[0] / _file(style, key)
    if profile.format == "xlsx":
        frame = pl.read_excel(path, engine="calamine")
        body = [["" if v is None else str(v) for v in row] for row in frame.iter_rows()]
        return [frame.columns, *body]
    text = path.read_bytes().decode(profile.encoding)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter))


def _canonical(roots: dict[str, Path], key: str) -> list[list[str]]:
    with (roots["canonical"] / f"{key}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _row(rows: list[list[str]], first: str, second: str | None = None) -> list[str]:
    """The row whose first (and second) cell match: one fixed row of the seed-42 demo."""
    return next(r for r in rows if r[0] == first and (second is None or r[1] == second))


def _read_back(profile: Profile, extract: Extract, row: list[str]) -> list[str]:
    """What a reader given the profile makes of one styled row: the canonical text, if the writer is right."""
    out = []
    for col, value in zip(extract.columns, row, strict=True):
        if value and col.sql_type == "DATE":
            value = datetime.strptime(value, profile.date_formats[0]).date().isoformat()
        elif value and col.sql_type == "TIMESTAMP":
            if profile.excel_serial_dates:
                local = datetime(1899, 12, 30) + timedelta(seconds=round(float(value) * 86400))
            else:
                local = datetime.strptime(value, profile.timestamp_formats[0])
            utc = local.replace(tzinfo=ZoneInfo(profile.time_zone)).astimezone(UTC)
            value = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif value and col.sql_type.startswith("DECIMAL"):
            for group in profile.thousands_separators:
                value = value.replace(group, "")
            value = value.replace(profile.decimal_separator, ".")
        elif value and col.name == "currency":
            value = profile.currency_aliases.get(value.casefold(), value)
        out.append(value)
    return out


def _as_encoded(text: str, encoding: str) -> str:
    """Canonical text with the writer's documented fallbacks for characters the encoding lacks."""
    return "".join(FALLBACK[c] if c in FALLBACK and not _fits(c, encoding) else c for c in text)


@pytest.mark.parametrize("style", ["hu", "ro", "pl"])
def test_files_profiles_headers_and_row_counts(roots, style):
    root = roots[style]
    expected = {f"{k.split('/')[0]}/{_file(style, k)}" for k in EXTRACTS}
    expected |= {f"{s}/profile.toml" for s in ("crm", "billing", "survey")}
    assert {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} == expected
    for source in ("crm", "billing", "survey"):
        assert (root / source / "profile.toml").read_bytes() == (EXAMPLES / style / f"{source}.toml").read_bytes()
    for key, extract in EXTRACTS.items():
        rows = _rows(root, style, key)
        columns = _profile(root, extract).files_for(extract).columns
        assert rows[0] == [columns[c] for c in extract.column_names], (style, key)
        assert len(rows) == len(_canonical(roots, key)), (style, key)


@pytest.mark.parametrize("style", ["hu", "ro", "pl"])
def test_every_value_reads_back_to_the_canonical_text(roots, style):
    for key, extract in EXTRACTS.items():
        profile = _profile(roots[style], extract)
        styled = [_read_back(profile, extract, r) for r in _rows(roots[style], style, key)[1:]]
        expected = [[_as_encoded(v, profile.encoding) for v in r] for r in _canonical(roots, key)[1:]]
        assert styled == expected, (style, key)


def test_money_is_grouped_with_the_first_thousands_separator_and_a_decimal_comma(roots):
    # INV-2022-000003 line 1 (seed 42): canonical unit_price = net_amount = 6713000.00 HUF, discount 0.00.
    canonical = _row(_canonical(roots, "billing/invoice_lines"), "INV-2022-000003", "1")
    assert canonical[8:12] == ["6713000.00", "0.00", "6713000.00", "HUF"]
    hu = _row(_rows(roots["hu"], "hu", "billing/invoice_lines"), "INV-2022-000003", "1")
    assert hu[8:12] == ["6 713 000,00", "0,00", "6 713 000,00", "Ft"]  # first alias of HUF is Ft
    ro = _row(_rows(roots["ro"], "ro", "billing/invoice_lines"), "INV-2022-000003", "1")
    assert ro[8:12] == ["6.713.000,00", "0,00", "6.713.000,00", "HUF"]  # ro has no HUF alias
    pl_ = _row(_rows(roots["pl"], "pl", "billing/invoice_lines"), "INV-2022-000003", "1")
    assert pl_[8:12] == [f"6{NBSP}713{NBSP}000,00", "0,00", f"6{NBSP}713{NBSP}000,00", "HUF"]
    # CN-2022-000001 (credit note): -9157.00 keeps its sign in front of the first group.
    assert _row(_rows(roots["hu"], "hu", "billing/invoice_lines"), "CN-2022-000001")[10] == "-9 157,00"
    # C000001's first cost: 3076.37 EUR; EUR's first alias is the euro sign, RON's is lei.
    assert _row(_rows(roots["ro"], "ro", "billing/costs"), "C000001")[2:] == ["3.076,37", "€"]
    assert any(r[3] == "lei" for r in _rows(roots["ro"], "ro", "billing/costs")[1:])
    assert any(r[3] == "zł" for r in _rows(roots["pl"], "pl", "billing/costs")[1:])


def test_dates_use_the_first_local_format(roots):
    # C000017 was created on 2017-05-06 (canonical).
    assert _row(_rows(roots["hu"], "hu", "crm/customers"), "C000017")[9] == "2017.05.06."
    assert _row(_rows(roots["ro"], "ro", "crm/customers"), "C000017")[9] == "06.05.2017"
    assert _row(_rows(roots["pl"], "pl", "crm/customers"), "C000017")[9] == "06.05.2017"
    # INV-2022-000003 covers 2022-07-01 .. 2022-07-31.
    assert _row(_rows(roots["hu"], "hu", "billing/invoice_lines"), "INV-2022-000003", "1")[3:6] == [
        "2022.07.01.",
        "2022.07.01.",
        "2022.07.31.",
    ]


def test_timestamps_are_local_wall_clock_time(roots):
    # INT-0000001 at 2021-03-08T17:05:25Z, winter: Budapest and Warsaw +1 h, Bucharest +2 h.
    assert _row(_rows(roots["hu"], "hu", "crm/interactions"), "INT-0000001")[3] == "2021.03.08. 18:05:25"
    assert _row(_rows(roots["pl"], "pl", "crm/interactions"), "INT-0000001")[3] == "08.03.2021 18:05:25"
    assert _row(_rows(roots["ro"], "ro", "crm/interactions"), "INT-0000001")[3] == "08.03.2021 19:05:25"
    # INT-0000002 at 2022-07-09T13:26:07Z, summer: +2 h and +3 h.
    assert _row(_rows(roots["hu"], "hu", "crm/interactions"), "INT-0000002")[3] == "2022.07.09. 15:26:07"
    assert _row(_rows(roots["ro"], "ro", "crm/interactions"), "INT-0000002")[3] == "09.07.2022 16:26:07"
    # R-0000001 at 2022-07-23T08:34:30Z (summer).
    assert _row(_rows(roots["hu"], "hu", "survey/responses"), "R-0000001")[6] == "2022.07.23. 10:34:30"
    assert _row(_rows(roots["ro"], "ro", "survey/responses"), "R-0000001")[6] == "23.07.2022 11:34:30"


def test_polish_survey_is_xlsx_with_numeric_serial_dates(roots):
    frame = pl.read_excel(roots["pl"] / "survey" / _file("pl", "survey/responses"), engine="calamine")
    assert frame.schema["Data wysłania"] == pl.Float64
    assert frame.schema["Ocena"] == frame.schema["Skala od"] == frame.schema["Skala do"] == pl.Int64
    assert frame.schema["ID odpowiedzi"] == frame.schema["Komentarz"] == pl.String
    row = frame.filter(pl.col("ID odpowiedzi") == "R-0000078").row(0, named=True)
    # 2024-01-02T15:42:49Z is 16:42:49 in Warsaw (winter, +1 h); 2024-01-01 is serial 45292, so
    # 45293 + (16*3600 + 42*60 + 49) / 86400 = 45293 + 60169 / 86400.
    assert row["Data wysłania"] == pytest.approx(45293 + 60169 / 86400, abs=1e-9)
    assert row["Kod klienta"] == "C000006" and row["Ocena"] == 7


def test_local_encodings_decode_and_hold_the_cedilla_fallback(roots):
    # C000023 is in Brașov: ISO-8859-16 keeps the comma below, Windows-1250 and ISO-8859-2 get the cedilla.
    raw = {s: (roots[s] / "crm" / _file(s, "crm/customers")).read_bytes() for s in ("hu", "ro", "pl")}
    assert "Braşov" in raw["hu"].decode("cp1250") and "\r\n" in raw["hu"].decode("cp1250")
    assert "Brașov" in raw["ro"].decode("iso-8859-16") and "\r" not in raw["ro"].decode("iso-8859-16")
    assert "Braşov" in raw["pl"].decode("iso-8859-2")
    assert "Ügyfélkód" in raw["hu"].decode("cp1250").splitlines()[0]
    assert (roots["pl"] / "billing" / _file("pl", "billing/invoice_lines")).read_bytes().startswith(b"\xef\xbb\xbf")


def test_canonical_style_is_the_default_byte_for_byte(roots, tmp_path):
    write_demo_extracts(tmp_path, **SIZE)
    for key in EXTRACTS:
        assert (tmp_path / f"{key}.csv").read_bytes() == (roots["canonical"] / f"{key}.csv").read_bytes(), key
    assert not list(roots["canonical"].rglob("profile.toml"))


def test_styled_files_are_deterministic(roots, tmp_path):
    write_demo_extracts(tmp_path, **SIZE, style="pl")
    for path in roots["pl"].rglob("*.*"):
        assert (tmp_path / path.relative_to(roots["pl"])).read_bytes() == path.read_bytes(), path.name


def _customers(name: str) -> dict[str, str]:
    header = ",".join(CUSTOMERS.column_names)
    return {"crm/customers": f"{header}\nC1,{name},,CZ,Praha,retail,micro,1,SME,2024-01-01,,AO-01,,\n"}


def test_czech_letters_missing_from_iso_8859_16_are_transliterated(tmp_path):
    write_styled(tmp_path, "ro", _customers("Dvořák a Černý s.r.o."), AS_OF)
    text = (tmp_path / "crm" / "clienti_2024-06-30.csv").read_bytes().decode("iso-8859-16")
    assert "Dvorák a Černy s.r.o." in text  # ř -> r, ý -> y; á and Č exist in ISO-8859-16


def test_a_character_the_encoding_lacks_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"clienti_2024-06-30.csv, line 2: 'Ж' cannot be written in iso-8859-16"):
        write_styled(tmp_path, "ro", _customers("Жуков GmbH"), AS_OF)


def test_an_ambiguous_local_time_is_refused(tmp_path):
    # 2024-10-27 00:30 UTC is 02:30 in Budapest, a wall-clock time that occurs twice that night.
    canonical = {
        "crm/interactions": "interaction_id,customer_id,interaction_type,occurred_at\n"
        "INT-1,C1,call,2024-10-27T00:30:00Z\n"
    }
    with pytest.raises(ValueError, match="ambiguous local time in Europe/Budapest"):
        write_styled(tmp_path, "hu", canonical, AS_OF)


def test_unknown_style_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown demo style"):
        write_demo_extracts(tmp_path, clients=5, years=1, style="de")
