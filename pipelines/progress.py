"""A terminal progress display for `clientbook run`: one line per finished step or check."""

import logging
import sys
import time

import dagster as dg

MARKS = {
    dg.DagsterEventType.STEP_SUCCESS: "ok  ",
    dg.DagsterEventType.STEP_FAILURE: "FAIL",
    dg.DagsterEventType.STEP_SKIPPED: "skip",
}


class _ProgressHandler(logging.Handler):
    """Prints step outcomes, check verdicts and our assets' warnings; never Dagster's error texts."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.started = time.monotonic()
        self.done = 0

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", {})
        event = meta.get("dagster_event")
        elapsed = time.monotonic() - self.started
        if event is None:
            step, message = meta.get("step_key"), str(meta.get("orig_message", ""))
            if step and message.startswith("Dependencies for step"):
                print(f"  [{elapsed:6.1f}s] skip {step} (an upstream step or blocking check failed)", file=sys.stderr)
            elif step and record.levelno == logging.WARNING:
                # our assets' own warnings: counts and file names, never row values
                print(f"  [{elapsed:6.1f}s] note {step}: {message}", file=sys.stderr)
            return
        if event.event_type in MARKS:
            self.done += 1
            print(f"  [{elapsed:6.1f}s] {MARKS[event.event_type]} {event.step_key}", file=sys.stderr, flush=True)
        elif event.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY:
            # a transient error (a locked file, an I/O error): the step runs again after a wait
            print(f"  [{elapsed:6.1f}s] retry {event.step_key} (transient error)", file=sys.stderr, flush=True)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.event_specific_data
            if not data.passed:
                name = f"{data.asset_key.to_user_string()}:{data.check_name}"
                verdict = "CHECK WARNING" if data.severity == dg.AssetCheckSeverity.WARN else "CHECK FAILED"
                print(f"  [{elapsed:6.1f}s] {verdict} {name}", file=sys.stderr, flush=True)


@dg.logger(description="One line per finished step on the terminal, for `clientbook run`.")
def progress_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
    """A logger whose only handler prints step outcomes."""
    logger = logging.Logger("clientbook.progress", level=logging.DEBUG)
    logger.addHandler(_ProgressHandler())
    return logger
