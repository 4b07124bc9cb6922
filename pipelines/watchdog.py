"""The maximum run time of `clientbook run`: the daemon's run monitoring does not watch in-process runs.

When the limit passes, the watchdog interrupts the main thread as Ctrl-C would, and again every
few seconds until the run has returned: Dagster fails the running step (DuckDB stops a running
statement), skips the rest and ends the run as failed. The publishing step runs last, so a run
stopped before it leaves the published file as it was.
"""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_TIMED_OUT = 124  # as timeout(1)
REPEAT_SECONDS = 2.0


@contextmanager
def time_limit(seconds: float) -> Iterator[threading.Event]:
    """Interrupt the main thread after `seconds` until the block ends; the event tells whether it fired."""
    fired = threading.Event()
    ended = threading.Event()
    lock = threading.Lock()

    def watch() -> None:
        if ended.wait(seconds):
            return
        while True:
            with lock:
                if ended.is_set():
                    return
                fired.set()
                _thread.interrupt_main()
            if ended.wait(REPEAT_SECONDS):
                return

    thread = threading.Thread(target=watch, name="clientbook-max-runtime", daemon=True)
    thread.start()
    try:
        yield fired
    finally:
        while True:
            try:
                with lock:
                    ended.set()  # under the lock: no interrupt is sent after this
                time.sleep(0.05)  # one sent just before is delivered here, inside the try
            except KeyboardInterrupt:
                if not fired.is_set():
                    raise
                continue
            break
