"""The year's reference snapshots, as later steps read them: typed Parquet written by the reference step, one file
a table, holding the rows in force for the accounting year (price tables: the latest table year on or before it).

Every step that joins a code list or a price reads the same snapshot as a view ``ref_<table>``, beside the region
hierarchy derived from the administrative divisions (``regions``), so what a step saw is what an auditor can open.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from assets_pipeline.infra import sql
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.reference.tables import TABLES


def register_reference_views(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """Views ``ref_<table>`` over the year's reference snapshots, and ``regions``: each division with its city and
    the province."""
    for name in TABLES:
        path = layout.reference(name)
        if path.exists():
            con.register(f"ref_{name}", con.read_parquet(str(path)))
    con.execute(sql.load(__file__, "regions"))


def snapshot_frame(path: Path) -> pd.DataFrame:
    """A typed snapshot read back as the text frame the code lists are built from."""
    frame = pd.read_parquet(path)
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        col = frame[name]
        if col.dtype == bool or str(col.dtype) == "boolean":
            out[name] = col.map({True: "true", False: "false"}).fillna("")
        else:
            out[name] = col.map(lambda v: "" if v is None or v != v else str(v)).astype(str)
    return out
