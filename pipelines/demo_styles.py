"""Demo extracts in a firm's local export style (hu, ro, pl), written through the example source profiles.

Every change is exactly invertible given the profile, so reading a styled landing folder gives back the
canonical values; the two exceptions are characters the target encoding cannot hold (see FALLBACK).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import xlsxwriter

from warehouse.contract import EXTRACTS, Column
from warehouse.profiles import EXAMPLES_DIR as EXAMPLES
from warehouse.profiles import PROFILE_FILE, Profile, parse_profile

STYLES = ("canonical", "hu", "ro", "pl")
SOURCES = ("crm", "billing", "survey")
# Both line endings occur in real exports; hu uses the Windows one so the reader is tested on each.
LINE_ENDINGS = {"hu": "\r\n", "ro": "\n", "pl": "\n"}
CANONICAL_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
EXCEL_EPOCH = datetime(1899, 12, 30)
NUMBER = re.compile(r"-?\d+(\.\d+)?")
THOUSANDS = re.compile(r"(?<=\d)(?=(?:\d{3})+$)")  # before each full group of 3 digits, counted from the right
# Used only for a character the encoding cannot hold. Windows-1250 and ISO-8859-2 lack the Romanian
# comma-below letters, and real exports write the cedilla forms instead; ISO-8859-16 (the ro files) lacks
# a few Czech and Slovak letters of the demo names, transliterated to the bare letter. Both are lossy.
FALLBACK = {"ș": "ş", "ț": "ţ", "Ș": "Ş", "Ț": "Ţ", "ý": "y", "ě": "e", "ň": "n", "ř": "r", "Ľ": "L"}


def write_styled(out_dir: Path, style: str, canonical: dict[str, str], as_of: date) -> None:
    """Write canonical extract texts (keyed "crm/customers", ...) as the style's local files, profiles beside."""
    if style not in LINE_ENDINGS:
        raise ValueError(f"unknown local demo style {style!r}; expected one of {list(LINE_ENDINGS)}")
    profiles: dict[str, tuple[Profile, dict]] = {}
    for source in SOURCES:
        example = EXAMPLES / style / f"{source}.toml"
        (out_dir / source).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example, out_dir / source / PROFILE_FILE)
        profiles[source] = (parse_profile(example, source), tomllib.loads(example.read_text("utf-8")))
    by_key = {f"{e.source}/{e.entity}": e for e in EXTRACTS}
    for key, text in canonical.items():
        extract = by_key[key]
        profile, raw = profiles[extract.source]
        # First alias per code, spelled as in the file (parse_profile casefolds them for matching).
        aliases = {code: alias for alias, code in reversed(raw.get("currency_aliases", {}).items())}
        files = profile.files_for(extract)
        path = out_dir / extract.source / files.patterns[0].replace("*", as_of.isoformat())
        header = [files.columns[c] for c in extract.column_names]
        rows = list(csv.reader(io.StringIO(text)))
        if rows[0] != list(extract.column_names):
            raise ValueError(f"{key}: canonical header {rows[0]} is not the contract's")
        if profile.format == "xlsx":
            _write_xlsx(path, profile, extract.columns, header, rows[1:], as_of)
            continue
        # Cached: dates, prices and months repeat thousands of times, and strftime is the slow part.
        convert = [f and cache(f) for f in (_converter(profile, aliases, col) for col in extract.columns)]
        cells = [[f(v) if f and v else v for f, v in zip(convert, r, strict=True)] for r in rows[1:]]
        _write_csv(path, profile, LINE_ENDINGS[style], [header, *cells])


def _converter(profile: Profile, aliases: dict[str, str], col: Column) -> Callable[[str], str] | None:
    """How one column's non-empty canonical text becomes the profile's local notation; None keeps it as is."""
    if col.sql_type == "DATE":
        return lambda v: date.fromisoformat(v).strftime(profile.date_formats[0])
    if col.sql_type == "TIMESTAMP" and profile.timestamp_formats:
        return lambda v: _local(profile, v).strftime(profile.timestamp_formats[0])
    if col.sql_type == "TIMESTAMP":
        return lambda v: _local(profile, v).isoformat()  # an ISO profile: local time with its offset
    if col.sql_type.startswith("DECIMAL"):
        group = profile.thousands_separators[0] if profile.thousands_separators else ""
        return lambda v: _decimal(v, profile.decimal_separator, group)
    if col.name == "currency":
        return lambda v: aliases.get(v, v)
    return None


def _local(profile: Profile, value: str) -> datetime:
    """A canonical UTC instant as wall-clock time in the profile's zone; refuses an ambiguous local time."""
    local = datetime.strptime(value, CANONICAL_TIMESTAMP).replace(tzinfo=UTC).astimezone(ZoneInfo(profile.time_zone))
    # The hour the clocks repeat in autumn (00:00-01:00 UTC on the last Sunday of October in all three zones)
    # cannot be read back exactly. The demo draws its times between 07:00 and 21:00 UTC, so this never fires;
    # it guards against a generator change, rather than silently shifting a time the canonical file keeps.
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        raise ValueError(f"{value} is an ambiguous local time in {profile.time_zone}; the demo avoids these")
    return local


def _decimal(value: str, point: str, group: str) -> str:
    """`-1234567.89` as e.g. `-1 234 567,89`: the canonical digits, regrouped, never via a float."""
    if not NUMBER.fullmatch(value):
        raise ValueError(f"{value!r} is not a canonical decimal")
    whole, _, fraction = value.partition(".")
    if group:
        whole = THOUSANDS.sub(group, whole)
    return whole + (point + fraction if fraction else "")


def _encoded(path: Path, text: str, encoding: str) -> bytes:
    """text in the profile's encoding, strictly; only FALLBACK characters the encoding lacks are replaced."""
    missing = {c: f for c, f in FALLBACK.items() if not _fits(c, encoding)}
    if missing:  # a regex scan is much faster than str.translate on a whole file
        text = re.sub(f"[{''.join(missing)}]", lambda m: missing[m.group()], text)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise ValueError(f"{path.name}, line {line}: {text[exc.start]!r} cannot be written in {encoding}") from None


def _fits(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _write_csv(path: Path, profile: Profile, line_ending: str, rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=profile.delimiter, lineterminator=line_ending, quoting=csv.QUOTE_MINIMAL).writerows(
        rows
    )
    path.write_bytes(_encoded(path, buffer.getvalue(), profile.encoding))


def _write_xlsx(
    path: Path, profile: Profile, columns: tuple[Column, ...], header: list[str], rows: list[list[str]], as_of: date
) -> None:
    """One sheet: integers as numbers, timestamps as Excel serial numbers (local time), the rest as text."""
    if not profile.excel_serial_dates or any(c.sql_type == "DATE" or c.sql_type.startswith("DECIMAL") for c in columns):
        raise ValueError(f"{path.name}: the xlsx writer only covers serial timestamps, integers and text")
    # A fixed creation time keeps the file byte-identical between runs (xlsxwriter would stamp "now").
    with xlsxwriter.Workbook(path) as book:
        book.set_properties({"created": datetime(as_of.year, as_of.month, as_of.day)})
        sheet = book.add_worksheet()
        for c, name in enumerate(header):
            sheet.write_string(0, c, name)
        for r, row in enumerate(rows, start=1):
            for c, (col, value) in enumerate(zip(columns, row, strict=True)):
                if not value:
                    continue
                if col.sql_type == "TIMESTAMP":
                    sheet.write_number(r, c, _serial(_local(profile, value)))
                elif col.sql_type == "INTEGER":
                    sheet.write_number(r, c, int(value))
                else:  # write_string: never guessed to be a number, formula or link
                    sheet.write_string(r, c, value)


def _serial(local: datetime) -> float:
    """Excel's serial number of a wall-clock time: days since 1899-12-30; seconds survive to ~1e-6 s."""
    return (local.replace(tzinfo=None) - EXCEL_EPOCH) / timedelta(days=1)
