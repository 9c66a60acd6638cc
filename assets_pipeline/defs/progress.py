"""One line per finished step on the terminal, for ``nrledger run`` (the UI has its own views)."""

from __future__ import annotations

import contextlib
import logging
import sys
import time

import dagster as dg

_STARTED: dict[str, float] = {}


class _StepProgress(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # progress lines must never fail a step
            self._emit(record)

    def _emit(self, record: logging.LogRecord) -> None:
        # what Dagster hands a logger: each record's ``dagster_meta``, with the run's event when it logs one
        event: dg.DagsterEvent | None = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if event is None:
            return
        step = event.step_key
        if event.is_step_start:
            _STARTED[step] = time.monotonic()
        elif event.is_step_success or event.is_step_failure:
            seconds = time.monotonic() - _STARTED.pop(step, time.monotonic())
            mark = "ok  " if event.is_step_success else "FAIL"
            print(f"  {mark} {step.replace('__', '/'):<38} {seconds:6.1f} s", file=sys.stderr, flush=True)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed:
                print(
                    f"  FAIL check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}",
                    file=sys.stderr,
                    flush=True,
                )


@dg.logger(description="Prints one line per finished step (used by the nrledger command line).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("nrledger.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(_StepProgress())
    return log
