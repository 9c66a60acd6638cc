"""Using both cores: independent pieces of a step (files, row-group ranges) in worker processes.

The work that dominates at provincial scale (parsing, Pandera checks) holds Python's GIL, so threads
would not help; processes do. Small inputs stay in the calling process, where starting workers would
cost more than it saves. Workers are started with ``spawn`` (never ``fork`` a process that runs
DuckDB and Dagster threads) and reused by every step of the run.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

_POOL: ProcessPoolExecutor | None = None

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


def run_tasks(fn: Callable, tasks: Sequence[tuple], parallel: bool) -> list:
    """``[fn(*task) for task in tasks]``, in worker processes when ``parallel`` and it can help.

    Results come back in task order, so what is written does not depend on which worker ran first.
    """
    if not parallel or len(tasks) < 2 or worker_count() < 2:
        return [fn(*task) for task in tasks]
    futures = [_pool().submit(fn, *task) for task in tasks]
    return [f.result() for f in futures]
