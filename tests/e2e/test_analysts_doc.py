"""docs/analysts.md: every example query runs, as written, in `clientbook query` on the tiny build."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from warehouse.query import query_command

DOC = Path(__file__).parents[2] / "docs" / "analysts.md"
BLOCKS = re.findall(r"^```sql\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)


def test_the_page_has_a_dozen_example_queries():
    assert len(BLOCKS) >= 12


@pytest.fixture(scope="module")
def analysts_file(tiny_run, tmp_path_factory) -> Path:
    """The tiny published build, with itself as the previous build so `previous.` resolves."""
    result, published = tiny_run
    assert result.success
    folder = tmp_path_factory.mktemp("analysts")
    shutil.copyfile(published, folder / "clientbook.duckdb")
    shutil.copyfile(published, folder / "clientbook.previous.duckdb")
    return folder / "clientbook.duckdb"


@pytest.mark.parametrize("sql", BLOCKS, ids=[f"query_{i + 1}" for i in range(len(BLOCKS))])
def test_every_example_query_runs_in_the_sandboxed_shell(analysts_file, tmp_path, sql):
    done = subprocess.run(query_command(analysts_file, sql), capture_output=True, text=True, timeout=120,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
