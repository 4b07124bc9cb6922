"""DuckDB's memory limit, spill folder and threads reach the warehouse connection from the environment."""

import pytest

from pipelines import cli
from pipelines.resources import duckdb_resource, threads_from_env


def test_the_environment_sets_the_limits_of_the_warehouse_connection(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIENTBOOK_DUCKDB_MEMORY_LIMIT", "500MB")
    monkeypatch.setenv("CLIENTBOOK_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.setenv("CLIENTBOOK_DUCKDB_THREADS", "1")
    resource = duckdb_resource(tmp_path / "clientbook.duckdb")
    with resource.get_connection() as conn:
        limit, temp, threads = conn.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory'), current_setting('threads')"
        ).fetchone()
    # DuckDB shows 500MB as 476.8 MiB (500 * 10^6 / 2^20 = 476.84)
    assert (limit, temp, threads) == ("476.8 MiB", str(tmp_path / "spill"), 1)


def test_without_settings_the_limit_is_2gb_and_threads_follow_the_cores(tmp_path, monkeypatch):
    for name in ("CLIENTBOOK_DUCKDB_MEMORY_LIMIT", "CLIENTBOOK_DUCKDB_TEMP_DIR", "CLIENTBOOK_DUCKDB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    with duckdb_resource(tmp_path / "clientbook.duckdb").get_connection() as conn:
        # 2GB = 2 * 10^9 bytes = 1862.6 MiB = 1.8 GiB as DuckDB prints it
        assert conn.execute("select current_setting('memory_limit')").fetchone()[0] == "1.8 GiB"
    assert threads_from_env() == 0


@pytest.mark.parametrize("value", ["two", "-1", "1.5"])
def test_a_threads_setting_that_is_not_a_whole_number_is_a_clear_error(tmp_path, monkeypatch, capsys, value):
    monkeypatch.setenv("CLIENTBOOK_DUCKDB_THREADS", value)
    (tmp_path / "landing").mkdir()
    code = cli.main(["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")])
    assert code == 2
    assert f"CLIENTBOOK_DUCKDB_THREADS must be a whole number of threads (0: one per core), got '{value}'" in \
        capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
