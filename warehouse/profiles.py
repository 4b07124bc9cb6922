"""Source profiles: how one source's files are written (encoding, separators, dates, headers).

A profile is one small TOML file per source, `<landing>/<source>/profile.toml`; a source without
one uses the canonical profile (UTF-8, `,`, `.`, ISO dates, UTC, contract header names). Every
choice is checked against an allow-list here, so a profile can never put arbitrary text into SQL:
separators and encodings come from fixed sets, date formats only hold strptime directives and
punctuation, and the remaining values (formats, time zone, aliases) reach SQL as parameters.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warehouse.contract import EXTRACTS, Extract

PROFILE_FILE = "profile.toml"
EXAMPLES_DIR = Path(__file__).parent / "profile_examples"  # the shipped HU, RO and PL profiles
ENCODINGS = ("utf-8", "utf-8-sig", "cp1250", "iso-8859-2", "iso-8859-16")
FORMATS = ("auto", "csv", "xlsx", "parquet")
SUFFIX_FORMAT = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
DELIMITERS = (",", ";", "\t", "|")
DECIMAL_SEPARATORS = (".", ",")
# space, no-break space, narrow no-break space, dot, comma, apostrophe
THOUSANDS_SEPARATORS = (" ", "\u00a0", "\u202f", ".", ",", "'")
READY_RULES = ("stable", "done_marker")
FORMAT_DIRECTIVE = re.compile(r"(%[YmdHMSfbBy]|[ .,:/T\-]|%%)+")
ISO_TIMESTAMPS: tuple[str, ...] = ()  # empty: ISO 8601, with or without an explicit offset


class ProfileError(Exception):
    """A profile that cannot be used; the message names the file and the setting."""


@dataclass(frozen=True)
class EntityFiles:
    """Which files of a source hold one entity, and how their headers map to contract columns."""

    patterns: tuple[str, ...]
    columns: dict[str, str]  # contract column -> header in the file

    def matches(self, name: str) -> bool:
        return any(fnmatchcase(name, p) for p in self.patterns)


@dataclass(frozen=True)
class Profile:
    """How one source writes its files; defaults are the canonical layout of docs/extracts.md."""

    source: str
    name: str = "canonical"
    path: str = "built-in"
    format: str = "auto"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    decimal_separator: str = "."
    thousands_separators: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    timestamp_formats: tuple[str, ...] = ISO_TIMESTAMPS
    time_zone: str = "UTC"
    excel_serial_dates: bool = False
    currency_aliases: dict[str, str] = field(default_factory=dict)
    max_quarantined_share: float = 0.10
    ready: str = "stable"
    stable_seconds: float = 2.0
    entities: dict[str, EntityFiles] = field(default_factory=dict)

    def files_for(self, extract: Extract) -> EntityFiles:
        """The entity's file patterns and header mapping; canonical names when the profile is silent."""
        return self.entities.get(extract.entity) or canonical_files(extract)

    def format_of(self, path: Path) -> str | None:
        """csv, xlsx or parquet: the profile's format, else the file's suffix; None when unknown."""
        return self.format if self.format != "auto" else SUFFIX_FORMAT.get(path.suffix.lower())


def canonical_files(extract: Extract) -> EntityFiles:
    """`<entity>*.csv|.parquet|.xlsx` with the contract's own column names as headers."""
    suffixes = (".csv", ".parquet", ".xlsx")
    return EntityFiles(tuple(f"{extract.entity}*{s}" for s in suffixes), {c: c for c in extract.column_names})


def load_profile(landing: Path, source: str) -> Profile:
    """The source's profile from `<landing>/<source>/profile.toml`, else the canonical one."""
    path = landing / source / PROFILE_FILE
    if not path.is_file():
        return Profile(source=source)
    return parse_profile(path, source)


def parse_profile(path: Path, source: str) -> Profile:
    """Read and check one profile file; every problem is a ProfileError naming the setting."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: not a valid UTF-8 TOML file ({exc})") from None
    known = {"name", "format", "encoding", "delimiter", "decimal_separator", "thousands_separators", "date_formats",
             "timestamp_formats", "time_zone", "excel_serial_dates", "currency_aliases", "max_quarantined_share",
             "ready", "stable_seconds", "entities"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ProfileError(f"{path}: unknown setting(s) {unknown}; see docs/extracts.md for the list")

    def pick(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = data.get(key, default)
        if value not in allowed:
            raise ProfileError(f"{path}: {key} = {value!r} is not one of {list(allowed)}")
        return value

    def formats(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        values = tuple(data.get(key, default))
        bad = [v for v in values if not isinstance(v, str) or not FORMAT_DIRECTIVE.fullmatch(v)]
        if bad:
            raise ProfileError(f"{path}: {key} {bad} may only hold %Y %m %d %H %M %S %f %b %B %y and . , : / - T")
        return values

    thousands = tuple(data.get("thousands_separators", ()))
    if any(t not in THOUSANDS_SEPARATORS for t in thousands):
        raise ProfileError(f"{path}: thousands_separators {thousands!r} must come from {list(THOUSANDS_SEPARATORS)}")
    decimal = pick("decimal_separator", DECIMAL_SEPARATORS, ".")
    if decimal in thousands:
        raise ProfileError(f"{path}: {decimal!r} cannot be both the decimal and a thousands separator")
    zone = str(data.get("time_zone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError(f"{path}: time_zone {zone!r} is not an IANA time zone such as Europe/Budapest") from None
    share = data.get("max_quarantined_share", 0.10)
    if not isinstance(share, int | float) or not 0 <= share <= 1:
        raise ProfileError(f"{path}: max_quarantined_share must be a number from 0 to 1")
    aliases = data.get("currency_aliases", {})
    if not all(isinstance(v, str) and re.fullmatch(r"[A-Z]{3}", v) for v in aliases.values()):
        raise ProfileError(f"{path}: currency_aliases must map a text to a 3-letter ISO code, e.g. Ft = \"HUF\"")
    return Profile(
        source=source,
        name=str(data.get("name", path.parent.name)),
        path=str(path),
        format=pick("format", FORMATS, "auto"),
        encoding=pick("encoding", ENCODINGS, "utf-8-sig"),
        delimiter=pick("delimiter", DELIMITERS, ","),
        decimal_separator=decimal,
        thousands_separators=thousands,
        date_formats=formats("date_formats", ("%Y-%m-%d",)),
        timestamp_formats=formats("timestamp_formats", ISO_TIMESTAMPS),
        time_zone=zone,
        excel_serial_dates=bool(data.get("excel_serial_dates", False)),
        currency_aliases={str(k).strip().casefold(): v for k, v in aliases.items()},
        max_quarantined_share=float(share),
        ready=pick("ready", READY_RULES, "stable"),
        stable_seconds=float(data.get("stable_seconds", 2.0)),
        entities=_entities(path, source, data.get("entities", {})),
    )


def _entities(path: Path, source: str, data: dict) -> dict[str, EntityFiles]:
    by_entity = {e.entity: e for e in EXTRACTS if e.source == source}
    entities: dict[str, EntityFiles] = {}
    for entity, spec in data.items():
        extract = by_entity.get(entity)
        if extract is None:
            raise ProfileError(f"{path}: [entities.{entity}] is not an entity of {source}: {sorted(by_entity)}")
        files = spec.get("files", canonical_files(extract).patterns)
        patterns = (files,) if isinstance(files, str) else tuple(files)
        if any("/" in p or "\\" in p or p.startswith(".") for p in patterns):
            raise ProfileError(f"{path}: entities.{entity}.files must be plain file-name patterns, not paths")
        columns = dict(spec.get("columns", {}))
        unknown = sorted(set(columns) - set(extract.column_names))
        if unknown:
            raise ProfileError(f"{path}: entities.{entity}.columns maps unknown contract column(s) {unknown}")
        # a column the profile does not map keeps its contract name as the header
        entities[entity] = EntityFiles(patterns, {c: str(columns.get(c, c)) for c in extract.column_names})
    return entities
