"""`clientbook query`: the real DuckDB CLI on a published file, read-only and shut off from every other file."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from warehouse.query import cli_binary, query_command


def locked(option: str) -> str:
    return f'Cannot change configuration option "{option}" - the configuration has been locked'


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A published file and its previous build in a warehouse folder, and a folder outside it."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    path = folder / "clientbook.duckdb"
    for file, ending_mrr in ((folder / "clientbook.previous.duckdb", 90), (path, 100)):
        with duckdb.connect(str(file)) as conn:
            conn.execute("create schema metrics")
            conn.execute("create table metrics.mrr_by_month as "
                         "select date '2024-06-01' as revenue_month, ? as ending_mrr", [ending_mrr])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("client,note\nA,private\n")
    with duckdb.connect(str(outside / "other.duckdb")) as conn:
        conn.execute("create table other as select 1 as x")
    return path


def shell(published: Path, sql: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run one statement through the sandboxed CLI, with HOME in tmp so no real home file is touched."""
    return subprocess.run(query_command(published, sql), capture_output=True, text=True, timeout=60,
                          env={"HOME": str(home), "PATH": "/usr/bin:/bin"})


def test_a_select_works_and_the_previous_build_is_attached(published, tmp_path):
    done = shell(published, "select format('{}/{}', m.ending_mrr, p.ending_mrr) as pair from metrics.mrr_by_month m "
                 "join previous.metrics.mrr_by_month p using (revenue_month)", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "100/90" in done.stdout


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("create table metrics.x as select 1", 'Cannot execute statement of type "CREATE"'),
        ("insert into metrics.mrr_by_month values (date '2024-07-01', 1)", 'Cannot execute statement of type "INSERT"'),
        ("create table previous.metrics.x as select 1", 'Cannot execute statement of type "CREATE"'),
    ],
)
def test_the_warehouse_is_read_only(published, tmp_path, sql, error):
    done = shell(published, sql, tmp_path)
    assert done.returncode == 1
    assert error in done.stderr and "read-only" in done.stderr


def _outside(tmp_path: Path, name: str) -> str:
    return str(tmp_path / "outside" / name)


@pytest.mark.parametrize(
    ("sql", "path"),
    [
        ("select * from read_csv('{secret}')", "{secret}"),
        ("select * from read_csv('/etc/passwd', sep = ':')", "/etc/passwd"),
        ("select * from read_text('{folder}/../outside/secret.csv')", "{folder}/../outside/secret.csv"),
        ("copy (select 1 as x) to '{outside}/leak.csv'", "{outside}/leak.csv"),
        ("attach '{outside}/other.duckdb' as other", "{outside}/other.duckdb"),
    ],
)
def test_no_file_outside_the_warehouse_is_read_or_written(published, tmp_path, sql, path):
    names = {"secret": _outside(tmp_path, "secret.csv"), "outside": str(tmp_path / "outside"),
             "folder": str(published.parent.resolve())}
    done = shell(published, sql.format(**names), tmp_path)
    assert done.returncode == 1
    assert f'Permission Error: Cannot access file "{path.format(**names)}"' in done.stderr
    assert "private" not in done.stdout
    assert not (tmp_path / "outside" / "leak.csv").exists()


def test_copy_cannot_overwrite_a_build_in_the_warehouse_folder(published, tmp_path):
    previous = published.with_name("clientbook.previous.duckdb")
    before = previous.read_bytes()
    for target in (previous, published, published.with_name("export.csv")):
        done = shell(published, f"copy (select 1 as x) to '{target.resolve()}'", tmp_path)
        assert done.returncode == 1
        assert "Permission Error: Cannot access file" in done.stderr
    assert previous.read_bytes() == before
    assert not published.with_name("export.csv").exists()


def test_without_the_sandbox_the_same_statements_would_work(published, tmp_path):
    """The control: the escapes above fail because of the sandbox, not because they are wrong."""
    plain = [str(cli_binary()), "-readonly", "-init", "/dev/null", "-c"]
    secret = _outside(tmp_path, "secret.csv")
    done = subprocess.run([*plain, f"select note from read_csv('{secret}')", str(published)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "private" in done.stdout
    target = _outside(tmp_path, "leak.csv")
    subprocess.run([*plain, f"copy (select 1 as x) to '{target}'", str(published)], check=True, timeout=60)
    assert Path(target).exists()


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("install httpfs", "Permission Error: Cannot access directory"),
        ("load httpfs", "Permission Error: Loading external extensions is disabled through configuration"),
        ("set enable_external_access = true", locked("enable_external_access")),
        ("set allowed_directories = ['/']", locked("allowed_directories")),
        ("reset allowed_directories", locked("allowed_directories")),
        ("set lock_configuration = false", locked("lock_configuration")),
        ("set autoload_known_extensions = true", locked("autoload_known_extensions")),
        ("set temp_directory = '/tmp'", locked("temp_directory")),
        ("select getenv('HOME')", "Permission Error: getenv is disabled through configuration"),
        (".sh cat /etc/passwd", ".sh/.system cannot be used in -safe mode"),
        (".output /tmp/leak.txt", ".output/.once/.excel cannot be used in -safe mode"),
        (".open /tmp/other.duckdb", "cannot be used in -safe mode"),
    ],
)
def test_extensions_settings_and_shell_escapes_are_refused(published, tmp_path, sql, error):
    done = shell(published, sql, tmp_path)
    assert error in done.stderr


def test_the_sandbox_settings_hold(published, tmp_path):
    done = shell(published, "select current_setting('enable_external_access'), current_setting('lock_configuration'), "
                 "current_setting('allowed_directories'), current_setting('autoload_known_extensions'), "
                 "current_setting('autoinstall_known_extensions') ", tmp_path)
    assert done.returncode == 0, done.stderr
    row = [cell.strip() for cell in done.stdout.splitlines()[-2].strip("│").split("│")]
    assert row == ["false", "true", "[]", "false", "false"]
    assert done.stderr == ""  # every setting was accepted, in this order


def test_the_users_duckdbrc_does_not_run_before_the_sandbox(published, tmp_path):
    (tmp_path / ".duckdbrc").write_text("select 'rc file ran';\n")
    done = shell(published, "select 1 as one", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "rc file ran" not in done.stdout


def test_the_command_runs_the_shell_and_passes_its_exit_code(published, tmp_path):
    command = [sys.executable, "-m", "pipelines.cli", "query", "--warehouse", str(published), "-c"]
    ok = subprocess.run([*command, "select sum(ending_mrr) as total from metrics.mrr_by_month"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "100" in ok.stdout
    bad = subprocess.run([*command, "select * from metrics.nope"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "Table with name nope does not exist" in bad.stderr


def test_a_missing_warehouse_exits_2_naming_it(tmp_path, capsys):
    missing = tmp_path / "clientbook.duckdb"
    assert main(["query", "--warehouse", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: no published warehouse at {missing}: run `make run` first\n"


def test_the_default_warehouse_is_the_make_default(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CLIENTBOOK_WAREHOUSE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["query"]) == 2
    assert "no published warehouse at data/warehouse/clientbook.duckdb" in capsys.readouterr().err


def test_the_working_file_beside_it_cannot_be_attached(published, tmp_path):
    work = published.with_name("clientbook.work.duckdb")
    with duckdb.connect(str(work)) as conn:
        conn.execute("create table half_built as select 1 as x")
    done = shell(published, f"attach '{work.resolve()}' as work", tmp_path)
    assert done.returncode == 1
    assert f'Permission Error: Cannot access file "{work.resolve()}"' in done.stderr


def test_query_has_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["query", "--help"])
    assert exit_.value.code == 0
    assert "usage: clientbook query" in capsys.readouterr().out


@pytest.mark.parametrize("name", [".pseudonym.key", "clientbook.erasure_ledger.jsonl"])
def test_other_files_in_the_warehouse_folder_cannot_be_read(published, tmp_path, name):
    secret = published.with_name(name)
    secret.write_text("not for analysts\n")
    done = shell(published, f"select * from read_text('{secret.resolve()}')", tmp_path)
    assert done.returncode == 1
    assert f'Permission Error: Cannot access file "{secret.resolve()}"' in done.stderr
    assert "not for analysts" not in done.stdout
