"""Repeated ids: which rows of an id delivered more than once are rejected, decided by county (DOMAIN §2).

Uniqueness spans the whole category, so it is found before the batches are validated, by one DuckDB query
over every ingested part (``duplicate_rows.sql``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.schema.columns import CategorySpec


def id_pieces(spec: CategorySpec) -> dict[str, sql.Literal]:
    """The category's id columns as the query names them: the list, the first, all present, and the region
    column the query also reads when it is not one of them."""
    keys = [sql.identifier(k) for k in spec.id_columns]
    return {
        "keys": sql.Literal(", ".join(keys)),
        "first": keys[0],
        "not_null": sql.Literal(" AND ".join(f"{k} IS NOT NULL" for k in keys)),
        "region": sql.Literal("" if "region_code" in spec.id_columns else ", region_code"),
    }


def duplicate_rows(ingested_parts: str, spec: CategorySpec, temp_dir: Path, counties: list[str]) -> pd.DataFrame:
    """The rows rejected because their id is delivered more than once in the year, each with why (``check``).

    Which row of an id is kept is decided by counties, never by file order (DOMAIN §2, one parcel, one county):

    - the id's own county is the county code it starts with (``140105…``, ``KQ140105…``; a code of the
      province), else the county of the row's file (the code its name starts with, ``140105_小店区.csv``, else
      the code most of its rows carry);
    - a row *agrees* when its region code is the id's county and its file delivers that county (or names none);
    - exactly one agreeing row: it is kept and the others are rejected, naming it (a neighbour's stray row
      carrying this county's parcel id cannot displace the county's own row);
    - otherwise, rows in several files: every row is rejected, each naming the others (which one is right is the
      counties' call, not the order of the file names);
    - otherwise, rows in one file (a county listing an id twice): the later rows are rejected, naming the first.

    Ids are first grouped by a 64-bit hash (ten million hashes fit in a few hundred MB where the
    strings would not); only ids whose hash repeats are then compared as themselves.
    """
    query = sql.load(__file__, "duplicate_rows", **id_pieces(spec))
    # runs beside nothing else, but before the workers start: a small limit keeps this process small
    with connect(temp_dir, memory_limit="400MB") as con:
        return con.execute(query, {"path": ingested_parts, "counties": list(counties)}).df()
