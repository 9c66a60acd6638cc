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

    Also defines ``dec_mul``, the exact multiplication the valuation models use: DECIMAL(38,10) ×
    DECIMAL(38,12), kept at 10 decimals (10^-10 元), so chains of factors never overflow DECIMAL(38).
    """
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_dir is not None:
        Path(temp_dir).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{sql_path(temp_dir)}'")
    con.execute(
        "CREATE MACRO dec_mul(a, b) AS CAST(CAST(a AS DECIMAL(38, 10)) * CAST(b AS DECIMAL(38, 12)) AS DECIMAL(38, 10))"
    )
    return con
