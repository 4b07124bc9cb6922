"""The `clientbook` command line: help everywhere, argument errors, the demo command."""

import pytest

from pipelines.cli import build_parser, main


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["run", "--help"], ["report", "--help"]])
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
