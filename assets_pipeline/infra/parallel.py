"""Using both cores: independent pieces of a step (files, row-group ranges, counties) in worker processes.

The work that dominates at provincial scale (parsing, Pandera checks) holds Python's GIL, so threads
would not help; processes do. Small inputs stay in the calling process, where starting workers would
cost more than it saves. Workers are started with ``spawn`` (never ``fork`` a process that runs
DuckDB and Dagster threads) and reused by every step of the run.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, wait

_POOL: ProcessPoolExecutor | None = None

# Below this much delivered input, reading it stays in one process: starting workers would cost more than it saves.
# Layers cost far more to read per byte than tables (GDAL, the polygons), so workers pay for them much sooner.
PARALLEL_BYTES = 16 << 20
PARALLEL_LAYER_BYTES = 1 << 20
# Below this many features with geometry in a year, the polygon steps (overlay, layers handed back) stay in one
# process. Polygons cost far more per row than table rows, so workers pay from a few thousand of them on.
PARALLEL_GEOMETRY_ROWS = 2_000


def worker_count() -> int:
    """``NRLEDGER_WORKERS`` if set, else one per core (at most 4: beyond that I/O is the limit)."""
    configured = os.environ.get("NRLEDGER_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


def _pool() -> ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=worker_count(), mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL


def run_tasks(fn: Callable, tasks: Sequence[tuple], parallel: bool) -> Iterator:
    """``fn(*task)`` for each task, in worker processes when ``parallel`` and it can help.

    Results come in task order, so what is written does not depend on which worker ran first, and each as soon as
    it and those before it are done, so the caller can write it away while later tasks run. When the caller stops
    early (an error), the tasks not started are cancelled and the running ones finish before it goes on: none is
    left writing into a folder the caller removes.
    """
    if not parallel or len(tasks) < 2 or worker_count() < 2:
        for task in tasks:
            yield fn(*task)
        return
    futures = [_pool().submit(fn, *task) for task in tasks]
    try:
        for future in futures:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()
        wait(futures)
