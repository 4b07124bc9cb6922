"""Shared end-to-end helpers: real Dagster runs on a temporary instance and a real DuckDB file."""

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.runner import execute
from tests.e2e.crash import RUN_ENV, Scenario, prepare
from tests.e2e.zygote import Zygote

FIXTURES = Path(__file__).parents[1] / "fixtures"
AS_OF = dt.date(2024, 6, 30)


def run_pipeline(landing: Path, warehouse: Path, tmp: Path) -> dg.ExecuteInProcessResult:
    """One nightly run exactly as `clientbook run` does it, on a throwaway Dagster instance."""
    home = tmp / "dagster_home"
    home.mkdir(exist_ok=True)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        return execute(landing, warehouse, AS_OF, "EUR", instance=instance)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dg.ExecuteInProcessResult, Path]:
    """The tiny hand-written extracts built once for every end-to-end assertion."""
    tmp = tmp_path_factory.mktemp("tiny")
    warehouse = tmp / "warehouse.duckdb"
    return run_pipeline(FIXTURES / "tiny", warehouse, tmp), warehouse


@pytest.fixture
def dirty_landing(tmp_path: Path) -> Path:
    """A copy of the tiny extracts that a test may spoil."""
    target = tmp_path / "landing"
    shutil.copytree(FIXTURES / "tiny", target)
    return target


def query(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    """Rows of one query on the built warehouse, opened read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def crash_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Zygote, Scenario]]:
    """A warm run starter and the previous and new clean builds (tests/e2e/crash.py), made once for
    the crash-safety, disk-full and reader tests."""
    with Zygote(RUN_ENV) as zygote:
        yield zygote, prepare(zygote, tmp_path_factory.mktemp("crash"))
