"""In-process DuckDB connections with bounded memory, one per step (DuckDB allows one writing process).

A connection is a cursor on a database kept for the process, one per setting of temp folder, threads and memory
limit: making a DuckDB database costs about 40 ms (it registers every built-in function), and a small year opens
about seventy connections, three seconds of a run spent before any query. A cursor is a connection of its own:
its temporary tables, views and variables are its own and go when it closes, so a step sees nothing of another's;
the steps sharing a database share its memory limit, which bounds the process as a whole."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import duckdb

MEMORY_LIMIT = "1500MB"
_KEPT = 4  # databases kept per process; a test session opens years in many folders, a run in one
_databases: OrderedDict[tuple, duckdb.DuckDBPyConnection] = OrderedDict()
_lock = threading.Lock()


def sql_path(path: Path) -> str:
    """A path of our own making inside a COPY statement (COPY takes no parameters): quotes doubled."""
    return str(path).replace("'", "''")


def connect(
    temp_dir: Path | None = None, threads: int | None = None, memory_limit: str = MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """A connection that spills to ``temp_dir`` instead of growing past ``memory_limit``.

    Its database also defines the two multiplications the valuation models use:

    - ``dec_mul``: DECIMAL(38,10) × DECIMAL(38,12), kept at 10 decimals, so chains of factors (unit
      conversion × price × date correction …) never overflow DECIMAL(38). Models apply it once per price
      key, or per row only where a factor varies by row (plot ratio, owner equity, annuity).
    - ``row_value``: a quantity with 2 decimals (m², m³ as surveyed) × a key's unit value with 10 decimals =
      DECIMAL(38,12), exact. No rounding happens per row — that rescaling is what makes decimal arithmetic
      slow — and every row value of every model is DECIMAL(38,12) 元.
    """
    if temp_dir is not None:
        # made again if a folder was removed since: DuckDB creates it only at the database's first spill
        Path(temp_dir).mkdir(parents=True, exist_ok=True)
    key = (None if temp_dir is None else str(Path(temp_dir).resolve()), threads, memory_limit)
    with _lock:
        database = _databases.get(key)
        if database is None:
            database = _open_database(*key)
            _databases[key] = database
            while len(_databases) > _KEPT:
                # forgotten, not closed: a cursor still open keeps its database until it closes
                _databases.popitem(last=False)
        else:
            _databases.move_to_end(key)
        return database.cursor()


def _open_database(temp_dir: str | None, threads: int | None, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # a step's log is not a terminal
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_dir is not None:
        con.execute(f"SET temp_directory = '{sql_path(Path(temp_dir))}'")
    con.execute(
        "CREATE MACRO dec_mul(a, b) AS CAST(CAST(a AS DECIMAL(38, 10)) * CAST(b AS DECIMAL(38, 12)) AS DECIMAL(38, 10))"
    )
    con.execute(
        "CREATE MACRO row_value(quantity, unit_value) AS "
        "CAST(CAST(quantity AS DECIMAL(18, 2)) * CAST(unit_value AS DECIMAL(38, 10)) AS DECIMAL(38, 12))"
    )
    return con
