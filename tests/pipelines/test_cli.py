"""The `clientbook` command line: help everywhere, argument errors, the demo command."""

import pytest

from pipelines.cli import build_parser, main


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["run", "--help"], ["report", "--help"],
                                  ["backfill", "--help"], ["erase", "--help"], ["query", "--help"]])
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    assert "usage: clientbook" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--landing", "x", "--warehouse", "w", "--as-of", "2024-13-01"], "not a date in YYYY-MM-DD form"),
        (["run", "--landing", "x", "--warehouse", "w", "--currency", "EURO"], "not an ISO 4217 currency code"),
        (["demo", "--out", "x", "--clients", "0"], "must be at least 1"),
        (["backfill", "--landing", "x", "--warehouse", "w", "--from", "2024-13", "--to", "2024-03"],
         "not a month in YYYY-MM form"),
    ],
)
def test_bad_arguments_are_named(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_landing_folder(tmp_path, capsys):
    assert main(["run", "--landing", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_demo_writes_the_landing_layout(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--clients", "30", "--years", "1", "--as-of", "2024-06-30"]) == 0
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.csv"))
    assert written == ["billing/costs.csv", "billing/invoice_lines.csv", "crm/customers.csv",
                       "crm/interactions.csv", "survey/responses.csv"]
    assert "demo extracts as of 2024-06-30" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("months", "why"),
    [
        (("2024-05", "2024-03"), "months 2024-05..2024-03 are not within"),  # backwards
        (("2024-01", "2024-07"), "months 2024-01..2024-07 are not within"),  # after June, the last complete month
        (("2023-01", "2024-03"), "months 2023-01..2024-03 are not within 2023-11"),  # before the first partition
    ],
)
def test_a_backfill_outside_the_partitions_is_refused_before_it_starts(tmp_path, capsys, months, why):
    # the tests' first partition is 2023-11 (tests/conftest.py); as of 2024-06-30 the last is 2024-06
    argv = ["backfill", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
            "--from", months[0], "--to", months[1], "--as-of", "2024-06-30"]
    assert main(argv) == 2
    assert why in capsys.readouterr().err
    assert not (tmp_path / "w.work.duckdb").exists()
