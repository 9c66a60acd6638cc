"""Writing outputs so that a failed or killed run never leaves half a file.

Every file is written under a temporary name in its final folder and renamed into place only
once complete (``os.replace`` is atomic on one file system); a failure removes the temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_UMASK = os.umask(0)
os.umask(_UMASK)  # read once: temporary files are created private, published ones follow the umask

# Fault point for the tests of a killed run (tests/test_faults.py): when set to a path pattern (fnmatch, e.g.
# "*/_stages/validated/.land.*.part"), the process group is killed (SIGKILL, as a power cut would) the moment a
# temporary file or folder whose path matches is complete and not yet moved into place. A test thus kills a run at a chosen point instead of racing it.
KILL_AFTER_WRITING = "NRLEDGER_KILL_AFTER_WRITING"
KILL_SIGNAL = "NRLEDGER_KILL_SIGNAL"  # SIGTERM to the process alone instead

PARQUET_OPTIONS = dict(compression="zstd", compression_level=1, write_statistics=True)
# Text columns whose values are mostly distinct: a dictionary would only grow until the writer gives it up.
DISTINCT_TEXT = frozenset({"parcel_id", "base_parcel_id", "deposit_id", "value", "message", "message_zh", "message_en"})


def parquet_options(schema: pa.Schema) -> dict:
    """The writer's options for a table: dictionary encoding for the text columns of few values (codes, files,
    reasons), none for ids and numbers — about 30 % faster to write than a dictionary on every column, and smaller."""
    text = [
        f.name
        for f in schema
        if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)) and f.name not in DISTINCT_TEXT
    ]
    return {**PARQUET_OPTIONS, "use_dictionary": text}


def _fault_point(tmp: Path) -> None:
    import fnmatch

    pattern = os.environ.get(KILL_AFTER_WRITING)
    if pattern and fnmatch.fnmatch(str(tmp), pattern):
        import signal

        if os.environ.get(KILL_SIGNAL) == "SIGTERM":  # as `kill <pid>` would: the process may end in good order
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            os.killpg(os.getpgrp(), signal.SIGKILL)


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; move it into place when the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fault_point(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_parquet_writer(final: Path, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
    """A streaming Parquet writer whose file appears only when every batch has been written."""
    with atomic_path(final) as tmp:
        writer = pq.ParquetWriter(tmp, schema, **parquet_options(schema))
        try:
            yield writer
        finally:
            writer.close()


def write_parquet(table: pa.Table, final: Path) -> None:
    with atomic_path(final) as tmp:
        pq.write_table(table, tmp, **parquet_options(table.schema))


def write_json(obj, final: Path) -> None:
    """A small JSON record (sorted keys, so equal content gives equal bytes)."""
    import json

    with atomic_path(final) as tmp:
        tmp.write_text(
            json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )


def read_json(path: Path):
    import json

    return json.loads(Path(path).read_text(encoding="utf-8"))


@contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``final``; it replaces ``final`` when the block succeeds.

    The old folder is moved aside first and removed after, so readers see either the old parts or the
    new ones, never a mix.
    """
    import shutil

    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent))
    try:
        yield tmp
        _fault_point(tmp)
        os.chmod(tmp, 0o777 & ~_UMASK)
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
            os.replace(final, old / final.name)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
