"""A reference table's rows in force for the accounting year, snapshotted beside the year's outputs and recorded
(file, SHA-256, rows, price year) for the manifest.

Price tables keep only the rows of the latest year on or before the accounting year, so the snapshot is exactly
what the valuation models will see.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_json, write_parquet
from assets_pipeline.reference.tables import ReferenceTable


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
        {"table": name, "file": f"reference_tables/{table.spec.file}", "sha256": table.sha256,
         "rows_in_force": rows.num_rows, "price_year": "" if used is None else used},
        layout.record("reference", name),
    )
    return YearSnapshot(rows, years, used)
