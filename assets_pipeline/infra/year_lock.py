"""One run per year at a time: a file lock beside the year's output folder.

Two runs of one year writing the same folder would interleave their outputs (one run's ledgers beside
the other's manifest). A run therefore holds ``<output>/.<year>.lock`` from its start to its end, taken
with ``filelock`` (``flock`` on Linux and macOS, ``LockFileEx`` on Windows). The operating system releases
the lock when the process ends, however it ends (even killed), so a stale lock file never blocks the next
run. The file records who holds it (pid, host, start time, run id), which a refused run prints; the file
itself stays when the lock is given back (removing it would race a waiter).

The command line takes the lock before it starts the Dagster run; the run's ``settings`` resource takes
it too (runs launched from the Dagster UI). Within one process the lock is re-entrant, so the two do
not refuse each other.

When the lock is taken, what a killed run left behind is cleared: temporary files and folders of the
atomic writers (``.<name>.*.part``, ``.<name>.*.old``) and DuckDB's spill folder. Nothing else can be
writing there at that moment, so nothing in use is removed. When the run gives the lock back, its own spill
folder goes too: a finished run leaves no working files but ``_stages/``'s records.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from assets_pipeline.infra.errors import OutputFolderError, RunInProgressError

_HELD: dict[Path, _Held] = {}
_GUARD = threading.Lock()
# Windows locks the lock file's first byte against every other process, reads included: the holder's details
# are written after it, where a refused run can still read them.
_DETAILS_FROM = 1


@dataclass
class _Held:
    lock: FileLock
    count: int
    reader: bool = False  # held to read another year's outputs, not to write them


def lock_path(output_dir: Path, year: int) -> Path:
    return Path(output_dir) / f".{int(year)}.lock"


def _holder(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(_DETAILS_FROM)
            info = json.loads(f.read().decode("utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process (no details recorded)"
    run = f", run {info['run_id']}" if info.get("run_id") else ""
    return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')}{run}"


def _record_holder(run_id: str | None):
    """What the lock file says while this process holds it, written through the lock's own descriptor."""

    def record(fd: int) -> None:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "run_id": run_id,
        }
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, b"\n" * _DETAILS_FROM + json.dumps(info).encode())
        except OSError:
            pass  # a full disk: the lock holds all the same, only the holder's details are missing

    return record


def acquire(output_dir: Path, year: int, run_id: str | None = None, wait=None) -> Path | None:
    """Take the year's lock or raise ``RunInProgressError`` naming the holder.

    With ``wait`` (a callable given the holder's description), wait for the holder to finish instead: a
    run that reads another year's outputs (the balance accounts read last year's) waits for that year's
    run, so it never reads a half-written year. Such a reader leaves that year's folder as it is (no
    clean-up, no write test, not even created when absent). When that year has no folder at all there is
    nothing to read and nothing to protect: no lock is taken (and no lock file left for a year never
    compiled there) and ``None`` is returned. The reader then treats that year as never compiled; a run of
    that year started at the same moment is not held back (compile the years in order, as ``--years`` does)."""
    output_dir = Path(output_dir)
    path = lock_path(output_dir, year)
    if wait is not None and path not in _HELD and not (output_dir / str(int(year))).is_dir():
        return None
    with _GUARD:
        held = _HELD.get(path)
        if held is not None:
            held.count += 1
            return path
        lock = FileLock(path, thread_local=False, preserve_lock_file=True, on_acquired=_record_holder(run_id))
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            try:
                lock.acquire(blocking=False)
            except Timeout:
                if wait is None:
                    raise RunInProgressError(year, output_dir / str(year), _holder(path)) from None
                wait(_holder(path))
                lock.acquire()
        except OSError as exc:
            raise OutputFolderError.from_os_error(output_dir, exc) from None
        _HELD[path] = _Held(lock, 1, reader=wait is not None)
    if wait is not None:
        return path
    try:
        clear_leftovers(output_dir / str(year))
        _probe(output_dir / str(year))
    except OutputFolderError:
        release(output_dir, year)
        raise
    return path


def _probe(year_root: Path) -> None:
    """Fail early, with the folder and the cause, when the year's folder cannot be written."""
    import tempfile

    try:
        year_root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-test.", suffix=".part", dir=year_root)
        try:
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        raise OutputFolderError.from_os_error(year_root, exc) from None


def release(output_dir: Path, year: int) -> None:
    path = lock_path(output_dir, year)
    with _GUARD:
        held = _HELD.get(path)
        if held is None:
            return
        held.count -= 1
        if held.count:
            return
        del _HELD[path]
        if not held.reader:  # still the only one in the folder: the run's spill folder is of no more use
            shutil.rmtree(spill_folder(Path(output_dir) / str(int(year))), ignore_errors=True)
        held.lock.release()


def is_held(output_dir: Path, year: int) -> bool:
    """Whether this process holds the year's lock."""
    return lock_path(output_dir, year) in _HELD


def clear_leftovers(year_root: Path) -> list[Path]:
    """Remove what an interrupted run left: the atomic writers' temporary files and folders, the spill folder.

    Called with the year's lock held. Published files are never touched; a folder moved aside as
    ``.<name>.*.old`` whose replacement never arrived is moved back first.
    """
    removed: list[Path] = []
    if not year_root.is_dir():
        return removed
    for dirpath, dirnames, filenames in os.walk(year_root):
        here = Path(dirpath)
        for name in list(dirnames):
            if name.startswith(".") and name.endswith(".old"):
                for inner in (here / name).iterdir():  # the folder moved aside, if its replacement is missing
                    if not (here / inner.name).exists():
                        os.replace(inner, here / inner.name)
            if name.startswith(".") and (name.endswith(".part") or name.endswith(".old")):
                shutil.rmtree(here / name, ignore_errors=True)
                removed.append(here / name)
                dirnames.remove(name)
        for name in filenames:
            if name.startswith(".") and name.endswith(".part"):
                (here / name).unlink(missing_ok=True)
                removed.append(here / name)
    spill = spill_folder(year_root)
    if spill.exists():
        shutil.rmtree(spill, ignore_errors=True)
    return removed


def spill_folder(year_root: Path) -> Path:
    """Where the steps' DuckDB connections spill beyond their memory limit (``layout.stages / "duckdb_tmp"``)."""
    return Path(year_root) / "_stages" / "duckdb_tmp"
