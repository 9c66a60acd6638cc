"""Several provinces and years through Dagster's run queue (DOMAIN §7): one run per province-year, submitted to
the instance and launched by its daemon, never by a process pool of our own.

The years of a province are submitted in order, each once the year before it has succeeded (its balance accounts
open with that year's closing), so a failed year skips the years after it and nothing else; provinces go side by
side, as many at once as the instance's queue allows (``QueuedRunCoordinator``: ``max_concurrent_runs``, one run
per province tag). When every province-year is done, each year's national roll-up is submitted the same way.
The command shows each province-year's state as it changes, and ends with a table of what succeeded, what failed
and why, and what was skipped.

The code location is served once for the whole command (``dagster api grpc``, its own process group): the command
submits its runs through it and the daemon it starts launches them through it, so no submission pays for starting
Python, Dagster and the definitions again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CODE_MODULE = "assets_pipeline.defs.definitions"
POLL_SECONDS = 1.0
CODE_SERVER_START_SECONDS = 180  # loading the definitions on a busy two-core machine
CRASHED = "Run execution process for"  # how the code server reports a run whose process died or was killed
# the embedded instance's queue, written into <output-dir>/.dagster/dagster.yaml when that file is ours
QUEUE_CONFIG = """telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: {concurrency}
    # the queue is one SQLite file on this machine: looking at it every second costs nothing, and a province's next
    # year starts a second after its year before instead of five
    dequeue_interval_seconds: 1
    tag_concurrency_limits:
      # the years of a province chain (each opens with the year before): never two of them at once; the province
      # dimension's tag, which Dagster gives every run of a province-year, a UI backfill's runs included
      - key: "dagster/partition/province"
        limit: 1
        value:
          applyLimitPerUniqueValue: true
"""


@dataclass
class Submission:
    province: str
    year: int
    run_id: str = ""
    status: str = "WAITING"
    why: str = ""
    seconds: float = 0.0


@dataclass
class NationRun:
    provinces: list[str]
    years: list[int]
    submissions: dict[tuple[str, int], Submission] = field(default_factory=dict)
    national: dict[int, Submission] = field(default_factory=dict)


# the embedded instance's event log written through connections kept open (``infra.instance.AccountsInstance``) by
# every process of the instance: the run workers the daemon starts no longer pay, per province-year, for a SQLite
# connection opened and closed per event; the same files in the same folders as Dagster's own storage
INSTANCE_CLASS = """instance_class:
  module: assets_pipeline.infra.instance
  class: AccountsInstance
"""


def configure_queue(home: Path, concurrency: int) -> None:
    """The embedded instance's queue and event log: written when the instance is the output folder's own (no
    ``DAGSTER_HOME`` chosen by the user), so a production instance's ``dagster.yaml`` is never touched."""
    if os.environ.get("DAGSTER_HOME"):
        return
    text = QUEUE_CONFIG.format(concurrency=concurrency) + INSTANCE_CLASS
    (home / "dagster.yaml").write_text(text, encoding="utf-8")


def daemon_running(instance) -> bool:
    """A daemon of this instance has reported in the last minute (``dagster-daemon run`` started elsewhere)."""
    beats = instance.get_daemon_heartbeats()
    now = time.time()
    return any(now - beat.timestamp < 60 for beat in beats.values())


@dataclass
class CodeLocation:
    """The definitions served over gRPC for the command's duration, and the workspace file that names them."""

    process: subprocess.Popen
    workspace: Path


def serve_code_location(home: Path) -> CodeLocation:
    """``dagster api grpc`` on a free local port, in its own process group (stopped by its PID), and a workspace
    file in the instance's folder that points at it under the module's own location name (the name a daemon
    started elsewhere with ``-m`` knows the location by). Returns once the server answers."""
    from dagster._grpc.client import DagsterGrpcClient

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    log = open(home / "code-server.log", "ab")  # noqa: SIM115 - kept open for the server's lifetime
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "api", "grpc", "-m", CODE_MODULE, "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    workspace = home / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
        f"      port: {port}\n      location_name: {CODE_MODULE}\n",
        encoding="utf-8",
    )
    client = DagsterGrpcClient(host="127.0.0.1", port=port)
    deadline = time.monotonic() + CODE_SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the code server ended at start (exit {process.returncode}); see {home / 'code-server.log'}"
            )
        try:
            client.ping("")
            return CodeLocation(process, workspace)
        except Exception:  # not listening yet
            time.sleep(0.2)
    stop_process(process)
    raise RuntimeError(f"the code server did not answer within {CODE_SERVER_START_SECONDS} s")


def start_daemon(home: Path, location: CodeLocation) -> subprocess.Popen:
    """The instance's daemon for the duration of the command, in its own process group (stopped by its PID),
    launching runs through the command's code location."""
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    log = open(home / "daemon.log", "ab")  # noqa: SIM115 - kept open for the daemon's lifetime
    return subprocess.Popen(
        [sys.executable, "-m", "dagster._daemon", "run", "-w", str(location.workspace)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_process(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


def launch(instance, location: CodeLocation, job: str, settings: dict, tags: dict[str, str]) -> str:
    """Submit one run to the instance's queue, as ``dagster job launch -w <workspace>`` does, in this process;
    its run id."""
    import json
    import uuid

    from dagster._cli.job import execute_launch_command
    from dagster_shared.cli import WorkspaceOpts

    run_id = str(uuid.uuid4())
    config = {"resources": {"settings": {"config": settings}}}
    try:
        execute_launch_command(
            instance=instance,
            workspace_opts=WorkspaceOpts(workspace=[str(location.workspace)]),
            config_json=json.dumps(config),
            tags=json.dumps(tags),
            run_id=run_id,
            job_name=job,
        )
    except Exception as exc:  # Dagster's own errors: the run could not be created or submitted
        raise RuntimeError(str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__) from None
    return run_id


def province_tags(province: str, year: int) -> dict[str, str]:
    return {
        "dagster/partition": f"{province}|{year}",
        "dagster/partition/province": province,
        "dagster/partition/year": str(year),
        "nrledger/province_code": province,
    }


def run_failure(instance, run_id: str) -> str:
    """Why a run failed, in one line: its first failed step's message, else its failed blocking checks, else the
    run's own failure message."""
    from dagster import DagsterEventType

    crashed = ""
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data.error is not None:
            return f"{event.step_key}: {failure_message(event.step_failure_data.error)}"
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.event_specific_data
            if not data.passed:
                return f"check {data.check_name} failed on {data.asset_key.to_user_string()}"
        if event.event_type == DagsterEventType.ENGINE_EVENT and CRASHED in (event.message or ""):
            # the run's process was killed or died: "[DagsterApiServer] Run execution process for … (SIGKILL)."
            # (its first sentence: the rest guesses at memory, which a kill by hand is not)
            crashed = event.message[event.message.index(CRASHED) :].strip().split(". ")[0].rstrip(".") + "."
    if crashed:
        return crashed
    run = instance.get_run_by_id(run_id)
    return f"run {run.status.value.lower()}" if run else "run not found"


def failure_message(error) -> str:
    """A step's error in one line: a ``Failure``'s own description rather than Dagster's wrapper around it."""
    while error.cause is not None and "DagsterExecutionStepExecutionError" in (error.cls_name or ""):
        error = error.cause
    lines = error.message.strip().splitlines()
    if not lines:
        return error.cls_name or "failed"
    head, _, rest = lines[0].partition(": ")
    return rest if rest and " " not in head else lines[0]  # "dagster…Failure: why" → "why"


def track(instance, submission: Submission, label: str) -> bool:
    """Update a submitted run's state; print a line when it changes. True once it has ended."""
    from dagster import DagsterRunStatus

    record = instance.get_run_record_by_id(submission.run_id)
    if record is None:
        return False
    run = record.dagster_run
    status = run.status.value
    if status != submission.status:
        submission.status = status
        if run.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):
            # the run's own start and end as the instance recorded them (a short run may start and end between polls)
            if record.start_time is not None and record.end_time is not None:
                submission.seconds = max(record.end_time - record.start_time, 0.0)
            if run.status != DagsterRunStatus.SUCCESS:
                submission.why = run_failure(instance, submission.run_id)
        extra = f" ({submission.seconds:.0f} s)" if submission.seconds else ""
        print(f"  {label}: {status.lower()}{extra}", file=sys.stderr, flush=True)
    return run.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def run_nation(plan: NationRun, settings: dict, home: Path, concurrency: int, national: bool = True) -> int:
    """Submit the province-years (years of a province in order), wait for them, then each year's national roll-up;
    print the table of results. Exit code 0 when every run succeeded."""
    import dagster as dg

    configure_queue(home, concurrency)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        location = serve_code_location(home)
        daemon = None if daemon_running(instance) else start_daemon(home, location)
        try:
            _province_years(plan, settings, location, instance)
            if national:
                _national_years(plan, settings, location, instance)
        finally:
            if daemon is not None:
                stop_process(daemon)
                # its last heartbeat would pass for a running daemon for a minute: the next command would wait
                # for it and leave its runs queued
                instance.wipe_daemon_heartbeats()
            stop_process(location.process)
    print_results(plan)
    failed = [s for s in [*plan.submissions.values(), *plan.national.values()] if s.status != "SUCCESS"]
    return 1 if failed else 0


def _province_years(plan: NationRun, settings: dict, location: CodeLocation, instance) -> None:
    for province in plan.provinces:
        for year in plan.years:
            plan.submissions[(province, year)] = Submission(province, year)
    pending = {province: list(plan.years) for province in plan.provinces}
    active: dict[str, Submission] = {}
    while pending or active:
        for province in list(pending):
            if province in active:
                continue
            year = pending[province].pop(0)
            if not pending[province]:
                del pending[province]
            submission = plan.submissions[(province, year)]
            try:
                submission.run_id = launch(
                    instance, location, "annual_accounts", settings, province_tags(province, year)
                )
                submission.status = "SUBMITTED"
                print(f"  {province} {year}: submitted (run {submission.run_id[:8]})", file=sys.stderr, flush=True)
                active[province] = submission
            except RuntimeError as exc:
                submission.status, submission.why = "FAILURE", str(exc)
                _skip_rest(plan, pending, province, year)
        time.sleep(POLL_SECONDS)
        for province, submission in list(active.items()):
            if track(instance, submission, f"{province} {submission.year}"):
                del active[province]
                if submission.status != "SUCCESS":
                    _skip_rest(plan, pending, province, submission.year)


def _skip_rest(plan: NationRun, pending: dict[str, list[int]], province: str, failed_year: int) -> None:
    for year in pending.pop(province, []):
        skipped = plan.submissions[(province, year)]
        skipped.status, skipped.why = "SKIPPED", f"its year before ({failed_year}) did not succeed"


def _national_years(plan: NationRun, settings: dict, location: CodeLocation, instance) -> None:
    for year in plan.years:
        submission = Submission("national", year)
        plan.national[year] = submission
        try:
            submission.run_id = launch(
                instance,
                location,
                "national_accounts",
                settings,
                {"dagster/partition": str(year), "nrledger/national": str(year)},
            )
        except RuntimeError as exc:
            submission.status, submission.why = "FAILURE", str(exc)
            continue
        while not track(instance, submission, f"national {year}"):
            time.sleep(POLL_SECONDS)


def print_results(plan: NationRun) -> None:
    print("\nprovince  year  result     seconds  why")
    for s in [*plan.submissions.values(), *plan.national.values()]:
        seconds = f"{s.seconds:7.0f}" if s.seconds else "       "
        print(f"{s.province:<9} {s.year}  {s.status.lower():<10} {seconds}  {s.why}")
