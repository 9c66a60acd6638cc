"""Worker processes (infra/parallel.py): results in task order, each handed over as soon as it and those before it
are done, and no task left running when the caller stops early."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assets_pipeline.infra.parallel import run_tasks


def wait_for_file_then_say(path: str, said: str) -> str:
    """A task that waits (at most a minute) for a file the caller writes once it holds the result before it."""
    deadline = time.monotonic() + 60
    while not Path(path).exists():
        if time.monotonic() > deadline:
            return "the file never came"
        time.sleep(0.05)
    return said


def say_after(seconds: float, said: str) -> str:
    time.sleep(seconds)
    return said


def first_once_second_runs_or_second(role: str, started: str, marker: str) -> str:
    """The first task returns once the second has started (so the second is running, not waiting in the queue,
    when the caller holds the first result); the second says so, works a second, then leaves its marker."""
    if role == "first":
        return wait_for_file_then_say(started, "first")
    Path(started).touch()
    time.sleep(1.0)
    Path(marker).write_text("second", encoding="utf-8")
    return "second"


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setenv("NRLEDGER_WORKERS", "2")


@pytest.mark.parametrize("parallel", [False, True])
def test_results_come_in_task_order_whichever_finishes_first(two_workers, parallel):
    tasks = [(0.6, "first"), (0.0, "second"), (0.2, "third")]
    assert list(run_tasks(say_after, tasks, parallel)) == ["first", "second", "third"]


def test_a_result_is_handed_over_before_the_tasks_after_it_are_done(two_workers, tmp_path):
    """The second task ends only once the caller has seen the first result: all results at the end would leave it
    waiting for a file that never comes."""
    go = tmp_path / "go"
    results = run_tasks(wait_for_file_then_say, [(str(tmp_path / "always-there"), "first"), (str(go), "second")], True)
    (tmp_path / "always-there").touch()
    assert next(results) == "first"
    go.touch()
    assert list(results) == ["second"]


def test_a_caller_that_stops_early_waits_for_the_running_tasks(two_workers, tmp_path):
    """The caller fails on the first result; the second task, already running, has finished by the time the error
    reaches the caller (its folder may then be removed without a worker still writing into it)."""
    marker, started = tmp_path / "second-done", str(tmp_path / "second-started")
    tasks = [(role, started, str(marker)) for role in ("first", "second")]
    with pytest.raises(RuntimeError, match="stopped"):
        for result in run_tasks(first_once_second_runs_or_second, tasks, True):
            raise RuntimeError(f"stopped at {result}")
    assert marker.read_text(encoding="utf-8") == "second"
