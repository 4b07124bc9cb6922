"""Typed SQL expressions for raw text written in a source's notation (its profile).

Every expression yields the typed value or null when the text does not parse exactly; staging
quarantines the latter with the raw text. Identifiers come from the contract; everything the
profile chose (patterns, formats, time zone, aliases) reaches SQL as a named parameter.
"""

from __future__ import annotations

import re
from typing import Any

from warehouse.contract import Column
from warehouse.profiles import Profile

UPPER_CASE_COLUMNS = {"country", "currency"}
# an explicit offset follows a time of day (a bare date's `-05` is its day, not an offset)
OFFSET = r".*[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?([+-][0-9]{2}(:?[0-9]{2})?|[zZ]|UTC)"
SERIAL_DATE = "[0-9]{1,6}"
SERIAL_TIMESTAMP = r"[0-9]{1,6}([.][0-9]+)?"
# Excel's day 0 (its serial 60 is the non-existent 1900-02-29, so this epoch is right from 1900-03-01)
EXCEL_EPOCH = "1899-12-30"


def notation_params(profile: Profile) -> dict[str, Any]:
    """The profile's choices as named SQL parameters."""
    thousands = "".join(re.escape(t) for t in profile.thousands_separators)
    decimal = re.escape(profile.decimal_separator)
    grouped = f"[0-9]{{1,3}}([{thousands}][0-9]{{3}})+|" if thousands else ""
    params: dict[str, Any] = {
        "n_thousands": f"[{thousands}]" if thousands else "$^",
        "n_decimal": profile.decimal_separator,
        "n_integer": f"[+-]?({grouped}[0-9]+)",
        "n_date_formats": list(profile.date_formats),
        "n_ts_formats": list(profile.timestamp_formats) or ["%Y-%m-%dT%H:%M:%S"],
        "n_tz": profile.time_zone,
        "n_offset": OFFSET,
        "n_serial_date": SERIAL_DATE if profile.excel_serial_dates else "$^",
        "n_serial_ts": SERIAL_TIMESTAMP if profile.excel_serial_dates else "$^",
        "n_alias_names": [*profile.currency_aliases, ""],  # never empty: DuckDB cannot type an empty list
        "n_alias_codes": [*profile.currency_aliases.values(), ""],
    }
    for scale in (2, 4, 6):
        # trailing zeros beyond the scale lose nothing; more significant decimals are refused
        params[f"n_decimal_{scale}"] = f"{params['n_integer']}?({decimal}[0-9]{{0,{scale}}}0*)?"
    return params


def clean(col: Column, ref: str = "") -> str:
    """Trimmed text of `ref` (default: the column), empty → null; enumerations lower-cased, codes upper-cased.

    A currency written as one of the profile's aliases (`Ft`, `zł`, `lei`, `€`) becomes its ISO code.
    """
    expr = f"nullif(trim({ref or col.name}), '')"
    if col.accepted:
        return f"lower({expr})"
    if col.name == "currency":
        return f"coalesce(list_extract($n_alias_codes, list_position($n_alias_names, lower({expr}))), upper({expr}))"
    if col.name in UPPER_CASE_COLUMNS:
        return f"upper({expr})"
    return expr


def _number(text: str) -> str:
    """The text with thousands separators removed and a `.` decimal point."""
    return f"replace(regexp_replace({text}, $n_thousands, '', 'g'), $n_decimal, '.')"


def typed(col: Column) -> str:
    """The typed value of the column, or null when its text does not parse in the profile's notation."""
    text = clean(col)
    if col.sql_type == "VARCHAR":
        return text
    if col.sql_type in ("INTEGER", "BIGINT"):
        return f"case when regexp_full_match({text}, $n_integer) then try_cast({_number(text)} as {col.sql_type}) end"
    if col.sql_type.startswith("DECIMAL"):
        scale = int(col.sql_type.rstrip(")").split(",")[1])
        return (f"case when regexp_full_match({text}, $n_decimal_{scale}) "
                f"then try_cast({_number(text)} as {col.sql_type}) end")
    if col.sql_type == "DATE":
        return (f"case when regexp_full_match({text}, $n_serial_date) "
                f"then date '{EXCEL_EPOCH}' + try_cast({text} as integer) "
                f"else try_strptime({text}, $n_date_formats)::date end")
    if col.sql_type == "TIMESTAMP":
        return timestamp(text)
    raise ValueError(f"no notation for {col.sql_type}")


def timestamp(text: str) -> str:
    """UTC timestamp: an explicit offset is honoured; otherwise the text is wall-clock time in the
    profile's time zone. A local time that does not exist (the spring DST gap) does not parse; an
    ambiguous one (the autumn hour) is read as the later, standard-time instant."""
    serial = (f"timestamp '{EXCEL_EPOCH}' + to_microseconds(cast(round(try_cast({text} as double) * 86400) "
              "as bigint) * 1000000)")
    local = (f"case when regexp_full_match({text}, $n_serial_ts) then {serial} "
             f"else coalesce(try_strptime({text}, $n_ts_formats), try_cast({text} as timestamp)) end")
    zoned = f"timezone($n_tz, {local})"
    return (
        f"case when regexp_full_match({text}, $n_offset) then try_cast({text} as timestamptz) at time zone 'UTC' "
        f"when {zoned} at time zone $n_tz = {local} then {zoned} at time zone 'UTC' end"
    )
