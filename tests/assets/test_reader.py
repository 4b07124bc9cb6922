"""The raw reader: by header name only, every file-level problem named with its file."""

from pathlib import Path

import polars as pl
import pytest

from assets.raw.reader import FileRead, FileRejected, bundled_fx_rates, read_file
from warehouse.contract import INTERACTIONS
from warehouse.profiles import Profile

CANONICAL = Profile(source="crm")

HEADER = "interaction_id,customer_id,interaction_type,occurred_at\n"


def read_extract(landing: Path, extract=INTERACTIONS, name: str = "interactions.csv") -> FileRead:
    """Read one canonical file as the raw asset does."""
    return read_file(landing / "crm" / name, f"crm/{name}", CANONICAL, extract, CANONICAL.files_for(extract))


def _write(landing: Path, name: str, content: bytes | str) -> Path:
    path = landing / "crm" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_columns_are_taken_by_name_not_position(tmp_path):
    _write(tmp_path, "interactions.csv", "occurred_at,Interaction_Type,customer_id,interaction_id\n"
                                        "2024-01-01T00:00:00Z,call,C1,I1\n")
    frame = read_extract(tmp_path).frame
    assert frame.row(0, named=True) == {
        "interaction_id": "I1", "customer_id": "C1", "interaction_type": "call",
        "occurred_at": "2024-01-01T00:00:00Z", "_line_number": 2, "_row_problem": None,
    }


def test_lines_are_counted_in_the_file_blank_lines_skipped_and_short_rows_flagged(tmp_path):
    _write(tmp_path, "interactions.csv", HEADER + "I1,C1,call,2024-01-01T00:00:00Z\n\nI3,C1,email\n")
    frame = read_extract(tmp_path).frame
    # line 3 is blank; line 4 has 3 fields where the header has 4: flagged, never null-filled silently
    assert frame.select("interaction_id", "_line_number", "_row_problem").rows() == [
        ("I1", 2, None), ("I3", 4, "wrong_field_count")]


def test_extra_columns_are_a_warning(tmp_path):
    _write(tmp_path, "interactions.csv", HEADER.rstrip("\n") + ",sales_channel,Budapest\nI1,C1,call,x,web,y\n")
    result = read_extract(tmp_path)
    assert result.warnings == ["crm/interactions.csv: unexpected column(s) ['sales_channel'] and 1 other name(s) not "
                               "quoted ignored"]
    assert "sales_channel" not in result.frame.columns


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("interaction_id,client,interaction_type,occurred_at\n", "missing required column(s) ['customer_id']"),
        (b"", "the file is empty"),
        (HEADER.encode() + b"I1,C1,call,2024-01-01 \xe9\n", "not valid utf-8-sig at line 2, column 23 (byte 78)"),
        ("interaction_id,customer_id,Customer_ID,interaction_type,occurred_at\n", "appear more than once"),
        ("interaction_id,customer_id,customer_id,interaction_type,occurred_at\n", "['customer_id'] appear more"),
    ],
)
def test_file_level_problems_name_the_file(tmp_path, content, message):
    _write(tmp_path, "interactions.csv", content)
    with pytest.raises(FileRejected) as err:
        read_extract(tmp_path)
    assert "crm/interactions.csv" in str(err.value) and message in str(err.value)


def test_bundled_ecb_rates_cover_the_local_currencies():
    rates = bundled_fx_rates()
    huf = rates.filter((pl.col("currency") == "HUF") & (pl.col("rate_date") == "2024-01-02"))
    assert huf.height == 1 and float(huf["units_per_eur"][0]) > 300
    assert set(rates["currency"].unique()) >= {"EUR", "HUF", "RON", "PLN"}


def test_a_file_without_a_header_does_not_echo_its_first_row(tmp_path):
    _write(tmp_path, "interactions.csv", "I1,C1,call,2024-01-01T00:00:00Z\nI2,C1,Szabó Anna,x\n")
    with pytest.raises(FileRejected) as err:
        read_extract(tmp_path)
    message = str(err.value)
    assert "missing required column(s)" in message and "is the first line a header?" in message
    assert "i1" not in message.replace("interaction", "") and "2024-01-01" not in message
    assert "found [] and 4 other name(s) not quoted" in message


PIECES = [
    # CR LF ends, a BOM, a blank line, accented names (2-byte UTF-8), a short row, no final line end
    "\ufeff" + HEADER.replace("\n", "\r\n") + "I1,C1,call,2024-01-01T00:00:00Z\r\n\r\nI2,Szabó Ágnes,email,x\r\n"
    "I3,C1,email\r\nI4,C2,meeting,2024-01-02T00:00:00Z",
    HEADER + "".join(f"I{n},C{n % 7},call,2024-01-{n % 28 + 1:02d}T00:00:00Z\n" for n in range(1, 60)),
]


@pytest.mark.parametrize("content", PIECES, ids=["edges", "many lines"])
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_reading_in_pieces_gives_the_same_rows_as_whole(tmp_path, monkeypatch, content, chunk):
    _write(tmp_path, "interactions.csv", content)
    whole = read_extract(tmp_path).frame
    monkeypatch.setattr("assets.raw.reader.CHUNK_BYTES", chunk)
    pieces = read_extract(tmp_path).frame
    assert pieces.equals(whole)
    assert whole.height == content.count("\nI")  # every data line; the blank one skipped
    assert whole["_line_number"].to_list()[:2] == [2, 3 if "\r" not in content else 4]


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        # the bad byte is on line 4, column 5 of the file, byte 5 + len(header) + 2 lines of 32 bytes
        (HEADER.encode() + b"I1,C1,call,2024-01-01T00:00:00Z\n" * 2 + b"I3,C\xe9,call,x\n",
         f"not valid utf-8-sig at line 4, column 5 (byte {len(HEADER) + 64 + 4})"),
        (HEADER + "I1,C1,call,2024-01-01T00:00:00Z\n" * 3 + "I4,C1", "the last line (5) is cut short"),
        (HEADER + "I1,C1,call,x\u0085\n", "control character U+0085 at line 2, column 13"),
        (HEADER, "a header but no rows"),
    ],
    ids=["bad byte", "cut short", "control character", "header only"],
)
def test_problems_late_in_a_file_are_placed_in_the_whole_file(tmp_path, monkeypatch, chunk, content, message):
    monkeypatch.setattr("assets.raw.reader.CHUNK_BYTES", chunk)
    _write(tmp_path, "interactions.csv", content)
    with pytest.raises(FileRejected) as err:
        read_extract(tmp_path)
    assert message in str(err.value)


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_a_zero_width_no_break_space_in_the_data_is_kept_at_any_piece_boundary(tmp_path, monkeypatch, chunk):
    # only the file's leading byte-order mark is stripped; a U+FEFF starting a later line (here the first
    # character of I2's id, so a piece boundary can fall right before it) is data and kept as sent
    monkeypatch.setattr("assets.raw.reader.CHUNK_BYTES", chunk)
    _write(tmp_path, "interactions.csv", "\ufeff" + HEADER + "I1,C1,call,x\n\ufeffI2,C1,call,x\n")
    assert read_extract(tmp_path).frame["interaction_id"].to_list() == ["I1", "\ufeffI2"]


@pytest.mark.parametrize("chunk", [1, 1 << 20])
def test_a_bad_byte_after_a_byte_order_mark_is_placed_counting_the_mark(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr("assets.raw.reader.CHUNK_BYTES", chunk)
    # line 1 is the 3-byte mark then the header; the bad byte is at column 5 of line 2, so at byte
    # 3 + len(HEADER) + 4 of the file
    _write(tmp_path, "interactions.csv", b"\xef\xbb\xbf" + HEADER.encode() + b"I1,C\xe9,call,x\n")
    with pytest.raises(FileRejected) as err:
        read_extract(tmp_path)
    assert f"at line 2, column 5 (byte {3 + len(HEADER) + 4})" in str(err.value)
