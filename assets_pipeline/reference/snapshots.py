"""The year's reference snapshots: the rows of each table in force for the accounting year (price tables: the
latest table year on or before it), written as typed Parquet beside the year's outputs with a record (file,
SHA-256, rows, price year) for the manifest, and read back by later steps.

Every step that joins a code list or a price reads the same snapshot as a view ``ref_<table>``, beside the region
hierarchy derived from the administrative divisions (``regions``), so what a step saw is what an auditor can open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from assets_pipeline.infra import sql
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_json, write_parquet
from assets_pipeline.reference.tables import TABLES, ReferenceTable


@dataclass(frozen=True)
class YearSnapshot:
    rows: pa.Table
    price_years_in_file: list[int]  # price tables only: every year the file holds prices for
    price_year_used: int | str | None  # price tables only: the year in force ("none" when no row is)


def write_year_snapshot(name: str, table: ReferenceTable, layout: YearLayout) -> YearSnapshot:
    """Write the table's rows in force for ``layout.year`` and the record of them."""
    rows = table.to_arrow(layout.year)
    write_parquet(rows, layout.reference(name))
    years, used = [], None
    if table.spec.price_table:
        years = sorted({int(y) for y in table.frame["year"]})
        in_force = rows.column("year").to_pylist()
        used = in_force[0] if in_force else "none"
    write_json(
        {
            "table": name,
            "file": table.file or f"reference_tables/{table.spec.file}",
            "sha256": table.sha256,
            "rows_in_force": rows.num_rows,
            "price_year": "" if used is None else used,
        },
        layout.record("reference", name),
    )
    return YearSnapshot(rows, years, used)


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
