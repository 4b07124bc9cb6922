"""Start `clientbook run` many times without paying for its imports every time.

A kill test starts the run dozens of times; importing Dagster, DuckDB, Polars, scikit-learn and
Great Expectations takes about 7 s of the 18 s a run of the tiny fixture takes on 2 cores. The
zygote is a helper process that imports the CLI once, then forks one child per run. Each child
is a new process group (so a kill reaches everything it started), with its own environment,
stdout and stderr files and, optionally, a file-size limit (a full disk), and runs exactly what
`python -m pipelines.cli` runs: `pipelines.cli.main(argv)`. The child writes its exit code to a
file as its last act, so a missing code means the child was killed.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Child:
    """One forked run: its pid (also its process group), start time and output files."""

    pid: int
    started: float
    stdout: Path
    stderr: Path
    code_file: Path
    finished: bool = False  # once seen gone, its pid is never signalled again (it may be reused)

    def alive(self) -> bool:
        if self.finished:
            return False
        try:
            os.kill(self.pid, 0)  # the zygote reaps its children, so a finished one is gone at once
        except ProcessLookupError:
            self.finished = True
            return False
        return True

    def wait(self, timeout: float = 600) -> int | None:
        """The exit code once the child is gone; None when it was killed before it could write one."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"run {self.pid} still going after {timeout:.0f} s")
            time.sleep(0.02)
        return int(self.code_file.read_text()) if self.code_file.exists() else None

    def kill(self) -> bool:
        """SIGKILL the whole process group; False when the run had already finished."""
        if not self.alive():
            return False
        for send in (os.killpg, os.kill):  # before its setsid the child is in the zygote's group
            try:
                send(self.pid, signal.SIGKILL)
                break
            except ProcessLookupError:
                continue
        while self.alive():
            time.sleep(0.005)
        return True

    def output(self) -> tuple[str, str]:
        """What the run printed so far to stdout and stderr (nothing when killed before opening them)."""
        return tuple(p.read_text(errors="replace") if p.exists() else "" for p in (self.stdout, self.stderr))


class Zygote:
    """A warm process that forks `clientbook` runs on request; use it as a context manager."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.e2e.zygote import serve; serve()"],
            cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.children: list[Child] = []
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if ready.strip() != "ready":
            raise RuntimeError("the zygote did not start (see its stderr above)")

    def start(self, argv: list[str], env: dict[str, str], logs: Path, file_size_limit: int | None = None) -> Child:
        """Fork one `clientbook <argv>` with `env` added; its output goes to `logs`.out/.err/.code."""
        out, err, code = (logs.with_name(f"{logs.name}.{ext}") for ext in ("out", "err", "code"))
        logs.parent.mkdir(parents=True, exist_ok=True)
        code.unlink(missing_ok=True)
        job = {"argv": argv, "env": env, "stdout": str(out), "stderr": str(err), "code": str(code),
               "file_size_limit": file_size_limit}
        assert self.proc.stdin and self.proc.stdout
        started = time.monotonic()
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        child = Child(int(self.proc.stdout.readline()), started, out, err, code)
        self.children.append(child)
        return child

    def close(self) -> None:
        """Stop the zygote, and any run still going (a failed test must not leave one behind)."""
        for child in self.children:
            if not child.finished:
                child.kill()
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve() -> None:
    """The zygote's loop: import once, then fork a child per job line on stdin and print its pid."""
    with warnings.catch_warnings():  # Dagster's beta notices at import: once here, not once per run
        warnings.simplefilter("ignore")
        import pipelines.cli
        import pipelines.runner  # noqa: F401  (the expensive import every run shares)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel: no zombies
    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        print(pid, flush=True)


def _child(job: dict) -> NoReturn:
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        os.environ.update(job["env"])
        if job["file_size_limit"]:
            # writes past the limit fail with EFBIG, as they would with ENOSPC on a full disk
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (job["file_size_limit"], job["file_size_limit"]))
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                (2, job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            os.dup2(os.open(path, flags, 0o644), fd)
        from pipelines.cli import main

        code = main(job["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            Path(job["code"]).write_text(str(code))
        finally:
            os._exit(code)  # never back into the zygote's loop, whatever happened
