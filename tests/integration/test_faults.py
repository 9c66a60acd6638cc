"""Faults a real run meets: killed at any moment, run twice at once, a full or read-only output folder.

Every test starts the real command line (``python -m assets_pipeline.cli run``) as a process of its own on a
small sample province and reads back what is left in the output folder: Parquet with pyarrow, workbooks
with openpyxl, the manifest as JSON. A run is killed with SIGKILL (its whole process group: the pipeline
starts worker processes) by the atomic writer itself, the moment a chosen temporary file (``.<name>.*.part``,
see ``assets_pipeline/storage.py``, ``NRLEDGER_KILL_AFTER_WRITING``) is complete and not yet in place: never
after a guessed time, never a race with the run.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.publish.manifest import verify_outputs
from assets_pipeline.publish.report_words import TEXT
from assets_pipeline.sample.generate import generate_sample
from assets_pipeline.schema.categories import CATEGORIES

YEAR, OTHER_YEAR = 2023, 2022
PARCELS = 3000
SAFETY_TIMEOUT = 600  # a hung run fails the test instead of hanging the suite; no step depends on it

# the tests here start the real command line on a generated province, again and again (minutes)
pytestmark = pytest.mark.slow


# ------------------------------------------------------------------------------------------------ helpers


def start_run(inputs: Path, out: Path, year: int = YEAR, log: Path | None = None, **popen) -> subprocess.Popen:
    """The command line in a process group of its own, so that killing it kills its workers too."""
    log = log or out.parent / f"run-{year}-{time.monotonic_ns()}.log"
    cmd = [
        sys.executable,
        "-m",
        "assets_pipeline.cli",
        "run",
        "--year",
        str(year),
        "--input-dir",
        str(inputs),
        "--output-dir",
        str(out),
    ]
    handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - the child process writes to it for its whole life
    proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    proc.log = log  # type: ignore[attr-defined]
    handle.close()
    return proc


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    try:
        code = proc.wait(timeout=SAFETY_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return code, Path(proc.log).read_text(encoding="utf-8")


def run_killed_after_writing(inputs: Path, out: Path, folder: Path, pattern: str) -> str:
    """A run that kills itself (SIGKILL to its process group) once a temporary file named ``pattern`` is written
    in ``folder`` (the writer's fault point, ``assets_pipeline.infra.storage.KILL_AFTER_WRITING``)."""
    from assets_pipeline.infra.storage import KILL_AFTER_WRITING

    proc = start_run(inputs, out, env={**os.environ, KILL_AFTER_WRITING: str(folder / pattern)})
    code, log = finish(proc)
    assert code == -signal.SIGKILL, f"the run was not killed after writing {pattern} (exit code {code}):\n{log}"
    return log


def published(layout: YearLayout) -> list[Path]:
    """Every file of the year a user opens."""
    return [
        layout.ledger_physical,
        layout.ledger_value,
        layout.breakdown_physical,
        layout.breakdown_value,
        layout.unpriced,
        layout.rejects_parquet,
        layout.rejects_workbook,
        layout.report(),
        layout.manifest,
        *(layout.valued(c) for c in CATEGORIES),
        layout.balance_physical,
        layout.balance_value,
        layout.land_transitions,
        layout.inconsistencies,
        layout.inconsistencies_workbook,
        layout.scorecard,
        *sorted((layout.root / "to_counties").glob("*.xlsx")),
    ]  # the county packs


def workbook_values(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values; on the cover, the run's own id and time are left out."""
    own = {TEXT[lang][key] for lang in TEXT for key in ("run_time", "run_id")}
    wb = load_workbook(path)
    return {ws.title: [row for row in ws.iter_rows(values_only=True) if row[0] not in own] for ws in wb.worksheets}


def manifest_content(path: Path) -> dict:
    """The manifest without what differs from run to run: its id and time, and the report's hash (its cover has both)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("run")
    document["outputs"].pop(f"report_{document['year']}.xlsx")
    return document


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.name.endswith((".part", ".old"))]


def snapshot(layout: YearLayout) -> dict[str, object]:
    """What each published file holds, read back: Parquet tables, workbook cells, the manifest's content."""
    out: dict[str, object] = {}
    for path in published(layout):
        name = path.relative_to(layout.root).as_posix()
        if path.suffix == ".parquet":
            out[name] = pq.read_table(path)
        elif path.suffix == ".xlsx":
            out[name] = workbook_values(path)
        else:
            out[name] = manifest_content(path)
    return out


def assert_same_content(layout: YearLayout, expected: dict[str, object]) -> None:
    got = snapshot(layout)
    assert sorted(got) == sorted(expected)
    for name, value in expected.items():
        if name.endswith(".parquet"):
            assert got[name].equals(value), name
        else:
            assert got[name] == value, name


def file_bytes(layout: YearLayout) -> dict[str, bytes]:
    return {p.relative_to(layout.root).as_posix(): p.read_bytes() for p in published(layout)}


# ----------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """Two years of a small sample province, and a first complete run of 2023 (the outputs to protect)."""
    root = tmp_path_factory.mktemp("faults")
    generate_sample(root / "inputs", [OTHER_YEAR, YEAR], parcels=PARCELS, seed=11, layers="none")
    out = root / "out"
    code, log = finish(start_run(root / "inputs", out))
    assert code == 0, log
    layout = YearLayout(out, YEAR)
    return {
        "root": root,
        "inputs": root / "inputs",
        "out": out,
        "layout": layout,
        "content": snapshot(layout),
        "bytes": file_bytes(layout),
        "log": log,
    }


# -------------------------------------------------------------------------------------------------- tests


def test_first_run_publishes_every_output_and_a_manifest_with_their_hashes(province):
    layout = province["layout"]
    assert all(p.exists() for p in published(layout))
    manifest = json.loads(layout.manifest.read_text(encoding="utf-8"))
    assert set(manifest["outputs"]) == {p.relative_to(layout.root).as_posix() for p in published(layout)} - {
        "manifest.json"
    }
    assert verify_outputs(layout) == []
    assert leftovers(layout.root) == []
    # no working files left: DuckDB's spill folder goes with the run, and 2022, never compiled in this
    # folder, has neither a folder nor a lock file (the balance step had no outputs of it to wait for)
    assert not (layout.stages / "duckdb_tmp").exists()
    assert sorted(p.name for p in province["out"].iterdir()) == [f".{YEAR}.lock", str(YEAR)]
    # a normal run prints no library warning
    assert "Warning" not in province["log"] and "warn" not in province["log"].lower(), province["log"]


def test_a_stopped_run_says_so_in_words_and_the_previous_outputs_stay(province):
    """SIGTERM (as `kill <pid>` or a service manager sends) while the ledger is written: the run stops, says so
    without any class name, and every published file is still the first run's."""
    from assets_pipeline.infra.storage import KILL_AFTER_WRITING, KILL_SIGNAL

    layout = province["layout"]
    env = {
        **os.environ,
        KILL_AFTER_WRITING: str(layout.root / ".ledger_physical.parquet.*.part"),
        KILL_SIGNAL: "SIGTERM",
    }
    code, log = finish(start_run(province["inputs"], province["out"], env=env))
    assert code == 130, log
    errors = [line for line in log.splitlines() if line.startswith("error:")]
    assert errors == [f"error: interrupted; the previous outputs of {YEAR} are intact"], log
    assert "dagster." not in log and "Error:" not in log and "Traceback" not in log
    assert file_bytes(layout) == province["bytes"] and leftovers(layout.root) == []


KILL_POINTS = [
    # (what is being written, folder watched, temporary name); each run gets further than the last
    ("validation", ("_stages", "validated"), ".land.*.part"),
    ("ledger Parquet", (), ".ledger_physical.parquet.*.part"),
    ("report workbook", (), f".report_{YEAR}.xlsx.*.part"),
]


def test_a_run_killed_at_any_moment_leaves_the_previous_outputs_and_the_next_run_completes(province):
    layout, inputs, out = province["layout"], province["inputs"], province["out"]
    left = []
    for moment, folder, pattern in KILL_POINTS:
        run_killed_after_writing(inputs, out, layout.root.joinpath(*folder), pattern)
        temporary = [p for p in layout.root.joinpath(*folder).iterdir() if fnmatch.fnmatch(p.name, pattern)]
        assert len(temporary) == 1, f"killed during the {moment}: its temporary file stays behind"
        left += temporary
        # every published file is readable and holds what the first run wrote, byte for byte (the
        # outputs this run did replace before it was killed are its own, equal ones: runs are deterministic)
        assert_same_content(layout, province["content"])
        assert file_bytes(layout) == province["bytes"], f"killed during the {moment}"
        assert verify_outputs(layout) == []

    # the next run needs no cleaning up: it clears what the killed ones left and completes
    code, log = finish(start_run(inputs, out))
    assert code == 0, log
    assert not any(p.exists() for p in left) and leftovers(layout.root) == []
    assert_same_content(layout, province["content"])
    now = file_bytes(layout)
    assert {k: v for k, v in now.items() if k.endswith(".parquet") or k.startswith("rejects")} == {
        k: v for k, v in province["bytes"].items() if k.endswith(".parquet") or k.startswith("rejects")
    }
    assert verify_outputs(layout) == []


def test_verify_names_a_file_a_later_unfinished_run_replaced(province, tmp_path, capsys):
    from assets_pipeline.cli import main

    copy = tmp_path / "out"
    shutil.copytree(province["layout"].root, copy / str(YEAR), ignore=shutil.ignore_patterns("_stages"))
    layout = YearLayout(copy, YEAR)
    assert main(["verify", "--year", str(YEAR), "--output-dir", str(copy)]) == 0
    # a run killed between the ledgers and the manifest: the ledger is a different run's
    pq.write_table(pq.read_table(layout.ledger_value).slice(1), layout.ledger_value)
    layout.unpriced.unlink()
    assert main(["verify", "--year", str(YEAR), "--output-dir", str(copy)]) == 1
    err = capsys.readouterr().err
    run = json.loads(layout.manifest.read_text(encoding="utf-8"))["run"]
    published_by = f"run {run['run_id']} of {run['written_at']}"
    assert verify_outputs(layout) == [
        f"{layout.ledger_value} differs from the manifest: replaced after {published_by}, which manifest.json "
        "describes, by a run that failed, was stopped or was killed",
        f"{layout.unpriced} is missing (published by {published_by})",
    ]
    assert all(f"error: {problem}" in err for problem in verify_outputs(layout))


def _wait_for_holder(lock: Path, pid: int, proc: subprocess.Popen) -> dict:
    """The lock file's record once process ``pid`` holds the lock (it writes it just after taking it)."""
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            info = json.loads(lock.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        if info.get("pid") == pid:
            return info
        time.sleep(0.01)
    pytest.fail(f"process {pid} never held {lock}")


def test_a_second_run_of_the_same_year_is_refused_while_another_year_runs_alongside(province, tmp_path):
    inputs, out = province["inputs"], tmp_path / "out"
    first = start_run(inputs, out)
    holder = _wait_for_holder(out / f".{YEAR}.lock", first.pid, first)

    second = start_run(inputs, out)
    other_year = start_run(inputs, out, year=OTHER_YEAR)
    code, log = finish(second)
    assert code == 75
    message = log.strip().splitlines()[-1]
    assert message.startswith(
        f"error: a run of {YEAR} is already in progress (pid {first.pid} on {socket.gethostname()}, "
        f"started {holder['started']})"
    )
    assert str(out / str(YEAR)) in message and "Traceback" not in log

    assert finish(first)[0] == 0
    assert finish(other_year)[0] == 0
    # the refused run wrote nothing: the year's outputs are one run's, equal to a single run's
    layout = YearLayout(out, YEAR)
    mine, theirs = file_bytes(layout), province["bytes"]

    # the balance accounts are against last year, which ran alongside here (and not in the single run): they aside
    def own_year(files):
        return {
            k: v
            for k, v in files.items()
            if k.endswith(".parquet") and not k.startswith(("balance_", "land_transitions"))
        }

    assert own_year(mine) == own_year(theirs)
    assert verify_outputs(layout) == [] and verify_outputs(YearLayout(out, OTHER_YEAR)) == []
    # the runs have ended, and with them their locks
    from assets_pipeline.infra import year_lock

    year_lock.acquire(out, YEAR)
    year_lock.release(out, YEAR)


def test_a_run_launched_as_from_the_dagster_ui_takes_the_same_lock(province, tmp_path):
    """A run launched from the UI has no command line around it: its settings resource holds the lock."""
    import dagster as dg

    from assets_pipeline.defs.definitions import defs

    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from assets_pipeline.infra import year_lock; "
            f"year_lock.acquire({str(out)!r}, {YEAR}); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        job = defs.resolve_job_def("annual_accounts")
        config = {"resources": {"settings": {"config": {"input_dir": str(province["inputs"]), "output_dir": str(out)}}}}
        result = job.execute_in_process(
            run_config=config,
            instance=dg.DagsterInstance.get(),
            partition_key=dg.MultiPartitionKey({"province": "140000", "year": str(YEAR)}),
            raise_on_error=False,
        )
        assert not result.success
        errors = [getattr(e.event_specific_data, "error", None) for e in result.all_events]
        messages = " ".join(error.to_string() for error in errors if error is not None)
        assert f"a run of {YEAR} is already in progress (pid {holder.pid}" in messages
        assert not (out / str(YEAR) / "_stages").exists()  # nothing was written
    finally:
        holder.stdin.close()
        holder.wait()
    # the holder has gone, and with it the lock
    from assets_pipeline.infra import year_lock

    year_lock.acquire(out, YEAR)
    year_lock.release(out, YEAR)


# ------------------------------------------------------------------------------------- full, read-only disk


def _mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(
            f"mounting a small tmpfs is not permitted here ({done.stderr.strip()}): "
            "a full or read-only output folder cannot be made"
        )


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _copy_published(province, out: Path) -> YearLayout:
    layout = YearLayout(out, YEAR)
    for path in published(province["layout"]):
        target = layout.root / path.relative_to(province["layout"].root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return layout


def _fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` until about ``leave`` bytes are free."""
    free = shutil.disk_usage(folder).free - leave
    with open(folder / "filler.bin", "wb") as f:
        block = b"\0" * (1 << 20)
        while free > 0:
            try:
                f.write(block[: min(len(block), free)])
                f.flush()
            except OSError:
                break
            free -= len(block)


@pytest.mark.parametrize("leave", [0, 600_000], ids=["full before the run", "full during the run"])
def test_a_full_output_folder_gives_one_clear_error_and_keeps_the_previous_outputs(province, tmp_path, leave):
    mount = tmp_path / "disk"
    _mount_tmpfs(mount, "24m")
    try:
        out = mount / "out"
        layout = _copy_published(province, out)
        before = file_bytes(layout)
        _fill(mount, leave)
        code, log = finish(start_run(province["inputs"], out, log=tmp_path / "run.log"))
        assert code != 0
        last = log.strip().splitlines()
        error = [line for line in last if line.startswith("error:")]
        assert error == [
            f"error: output folder {layout.root}: no space left on the device; no output was left half-written"
        ], log
        assert "Traceback" not in log
        assert file_bytes(layout) == before
        assert leftovers(layout.root) == []
    finally:
        _umount(mount)


def test_a_read_only_output_folder_gives_one_clear_error_and_keeps_the_previous_outputs(province, tmp_path):
    mount = tmp_path / "disk"
    _mount_tmpfs(mount, "24m")
    try:
        out = mount / "out"
        layout = _copy_published(province, out)
        before = file_bytes(layout)
        (out / f".{YEAR}.lock").touch()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        code, log = finish(start_run(province["inputs"], out, log=tmp_path / "run.log"))
        assert code == 73
        assert log.strip().splitlines()[-1] == (
            f"error: output folder {out}: not writable (permission denied or read-only file system); "
            "no output was left half-written"
        )
        assert "Traceback" not in log
        assert file_bytes(layout) == before
    finally:
        _umount(mount)


def test_what_a_killed_run_leaves_is_cleared_when_the_next_run_takes_the_lock(tmp_path):
    """Including the one moment a stage folder is missing: moved aside, its replacement not yet in place."""
    from assets_pipeline.infra import year_lock

    root = tmp_path / str(YEAR)
    aside = root / "_stages" / "validated" / ".land.k3j2.old" / "land"
    aside.mkdir(parents=True)
    (aside / "part-00000.parquet").write_bytes(b"previous")
    (root / "_stages" / "validated" / ".land.x9.part").mkdir()
    (root / f".report_{YEAR}.xlsx.ab12.part").write_bytes(b"half")
    (root / "_stages" / "duckdb_tmp").mkdir()
    (root / "ledger_value.parquet").write_bytes(b"published")

    year_lock.acquire(tmp_path, YEAR)
    year_lock.release(tmp_path, YEAR)
    assert (root / "_stages" / "validated" / "land" / "part-00000.parquet").read_bytes() == b"previous"
    assert (root / "ledger_value.parquet").read_bytes() == b"published"
    assert leftovers(root) == [] and not (root / "_stages" / "duckdb_tmp").exists()
    assert sorted(p.name for p in (root / "_stages" / "validated").iterdir()) == ["land"]
