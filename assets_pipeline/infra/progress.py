"""One line per finished step on the terminal, for ``nrledger run`` (the UI has its own views)."""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg

_STARTED: dict[str, float] = {}


class _StepProgress(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit(record)
        except Exception:  # progress lines must never fail a step
            pass

    def _emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind, step = event.event_type_value, event.step_key
        if kind == "STEP_START":
            _STARTED[step] = time.monotonic()
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = time.monotonic() - _STARTED.pop(step, time.monotonic())
            mark = "ok  " if kind == "STEP_SUCCESS" else "FAIL"
            print(f"  {mark} {step.replace('__', '/'):<38} {seconds:6.1f} s", file=sys.stderr, flush=True)
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                print(f"  FAIL check {data.asset_key.to_user_string()}:{data.check_name}", file=sys.stderr, flush=True)


@dg.logger(description="Prints one line per finished step (used by the nrledger command line).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("nrledger.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(_StepProgress())
    return log
