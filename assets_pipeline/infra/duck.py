"""In-process DuckDB connections with bounded memory, one per step (DuckDB allows one writing process)."""

from __future__ import annotations

from pathlib import Path

import duckdb

MEMORY_LIMIT = "1500MB"


def sql_path(path: Path) -> str:
    """A path of our own making inside a COPY statement (COPY takes no parameters): quotes doubled."""
    return str(path).replace("'", "''")


def connect(
    temp_dir: Path | None = None, threads: int | None = None, memory_limit: str = MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """A connection that spills to ``temp_dir`` instead of growing past ``memory_limit``.

    Also defines the two multiplications the valuation models use:

    - ``dec_mul``: DECIMAL(38,10) × DECIMAL(38,12), kept at 10 decimals, so chains of factors (unit
      conversion × price × date correction …) never overflow DECIMAL(38). Models apply it once per price
      key, or per row only where a factor varies by row (plot ratio, owner equity, annuity).
    - ``row_value``: a quantity with 2 decimals (m², m³ as surveyed) × a key's unit value with 10 decimals =
      DECIMAL(38,12), exact. No rounding happens per row — that rescaling is what makes decimal arithmetic
      slow — and every row value of every model is DECIMAL(38,12) 元.
    """
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # a step's log is not a terminal
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_dir is not None:
        Path(temp_dir).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{sql_path(temp_dir)}'")
    con.execute(
        "CREATE MACRO dec_mul(a, b) AS CAST(CAST(a AS DECIMAL(38, 10)) * CAST(b AS DECIMAL(38, 12)) AS DECIMAL(38, 10))"
    )
    con.execute(
        "CREATE MACRO row_value(quantity, unit_value) AS "
        "CAST(CAST(quantity AS DECIMAL(18, 2)) * CAST(unit_value AS DECIMAL(38, 10)) AS DECIMAL(38, 12))"
    )
    return con
