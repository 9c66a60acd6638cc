"""Where the sample goes and the record of what was written: the files, their rows, the planted dirty rows and
inconsistencies, and the README that explains them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from assets_pipeline.sample.counties import Delivery
from assets_pipeline.sample.county_layers import PLANTED_GEOMETRY_COLUMNS
from assets_pipeline.sample.defects import Planted
from assets_pipeline.sample.inconsistencies import INCONSISTENCY_COLUMNS, UnpricedBudget
from assets_pipeline.sample.layer_writers import LAYER_NAMES, field_names, write_layer
from assets_pipeline.sample.province_figures import COUNTY_CATEGORIES
from assets_pipeline.sample.writers import user_row_numbers, write_delivered
from assets_pipeline.schema.categories import SPECS

README_TEXT = (
    "This folder belongs to a synthetic Shanxi-like province (140000) written by assets_pipeline.sample.generate for "
    "trying the pipeline: one land-survey file (the base map) and forest, grassland and wetland inventories per "
    "county, a province water table and a province mineral table per year, delivered in the mixed encodings, "
    "formats and headers real counties use. It is NOT real data: every parcel, deposit and volume is drawn at "
    "random to resemble the province's composition, and prices come from the illustrative reference tables. "
    "planted_<year>.csv lists every dirty row that was planted on purpose (category, file relative to the year "
    "folder, row number as the user sees it: CSV line, Excel row or Parquet record, column and the rule it "
    "breaks), so the rejections of a pipeline run can be checked against it. planted_inconsistencies_<year>.csv "
    "lists the inconsistencies planted between the base map and the inventories (county, category, finding type, "
    "base parcel id, inventory parcel id, area concerned in m²), which a run must report in inconsistencies.parquet.\n"
)
LAYERS_TEXT = (
    "Counties delivering layers (GeoPackage, Shapefile, FileGDB, GeoParquet; nrledger sample --layers) come with "
    "<year>/zones/ (red line, basic farmland, protected areas and their core zones, urban boundary, admin) and "
    "<year>/price_zones/ (land-price levels); planted_geometry_<year>.csv lists what was planted in their geometry: "
    "empty and self-intersecting polygons, an overlapping pair of base parcels (overlap in m²), stated zone areas off "
    "by 5 % (stated and computed m²), inventory polygons across two base parcels or half on a 0103 旱地 parcel (the "
    "piece on their own base parcel in m²) and inventory rows delivered without their base parcel id (unlinked).\n"
)


class SampleBook:
    """Where the sample goes, and the record of what was written."""

    def __init__(self, out_dir: Path, years: list[int]):
        self.out_dir = out_dir
        self.files: dict[int, list[str]] = {y: [] for y in years}
        self.rows: dict[int, dict[str, int]] = {y: {c: 0 for c in SPECS} for y in years}
        self.planted: dict[int, list[pd.DataFrame]] = {y: [] for y in years}
        self.inconsistencies: dict[int, list[pd.DataFrame]] = {y: [] for y in years}
        self.budgets: dict[int, dict[str, UnpricedBudget]] = {y: {} for y in years}  # unpriced rows planted
        self.geometry: dict[int, list[pd.DataFrame]] = {y: [] for y in years}  # planted in the layers

    def clear_year(self, year: int) -> None:
        """Remove the files a previous sample left for this year, so no stale county file is read as input."""
        year_dir = self.out_dir / str(year)
        for category in COUNTY_CATEGORIES + ("zones", "price_zones"):
            if (year_dir / category).is_dir():
                shutil.rmtree(year_dir / category)
        for name in ("water", "minerals"):
            for extension in ("csv", "xlsx", "parquet"):
                (year_dir / f"{name}.{extension}").unlink(missing_ok=True)

    def write(
        self, year: int, relative: str, category: str, table: pa.Table, planted: Planted, delivery: Delivery
    ) -> None:
        write_delivered(self.out_dir / str(year) / relative, table, SPECS[category], planted, delivery)
        self.record(year, relative, category, table.num_rows, planted, delivery)

    def write_layer(
        self,
        year: int,
        relative: str,
        category: str,
        table: pa.Table,
        geometry: np.ndarray,
        epsg: int,
        planted: Planted,
        delivery: Delivery,
        empty_rows: np.ndarray,
    ) -> None:
        """A county's layer, recorded like a table; rows delivered with an empty geometry are rejected rows, listed
        with the dirty ones (column "geometry", rule "geometry")."""
        names = field_names(
            SPECS[category],
            table.column_names,
            delivery.headers,
            delivery.long_region_code,
            delivery.file_format == "shp",
        )
        path = self.out_dir / str(year) / relative
        write_layer(
            path, table.rename_columns(names), geometry, epsg, delivery.file_format, LAYER_NAMES[category], delivery.cpg
        )
        rows = np.concatenate([planted.rows, empty_rows])
        columns = np.concatenate([planted.columns, np.full(len(empty_rows), "geometry", dtype=object)])
        rules = np.concatenate([planted.rules, np.full(len(empty_rows), "geometry", dtype=object)])
        self.record(year, relative, category, table.num_rows, Planted(rows, columns, rules, {}), delivery)

    def record(self, year: int, relative: str, category: str, rows: int, planted: Planted, delivery: Delivery) -> None:
        self.files[year].append(relative)
        self.rows[year][category] += rows
        if len(planted):
            self.planted[year].append(
                pd.DataFrame(
                    {
                        "category": category,
                        "source_file": relative,
                        "source_row": user_row_numbers(planted.rows, delivery),
                        "column": planted.columns,
                        "rule": planted.rules,
                    }
                )
            )

    def write_records(self) -> None:
        folder = self.out_dir / "_sample"
        folder.mkdir(parents=True, exist_ok=True)
        layers = any(self.geometry.values())
        (folder / "README.txt").write_text(README_TEXT + (LAYERS_TEXT if layers else ""), encoding="utf-8")
        columns = ["category", "source_file", "source_row", "column", "rule"]
        for year, frames in self.planted.items():
            record = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
            record = record.sort_values(["source_file", "source_row"], kind="stable")
            record.to_csv(folder / f"planted_{year}.csv", index=False, columns=columns, lineterminator="\n")
        for year, frames in self.inconsistencies.items():
            record = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=INCONSISTENCY_COLUMNS)
            record = record.sort_values(
                ["region_code", "category", "finding_type", "base_parcel_id", "parcel_id"], kind="stable"
            )
            record.to_csv(
                folder / f"planted_inconsistencies_{year}.csv",
                index=False,
                columns=INCONSISTENCY_COLUMNS,
                lineterminator="\n",
            )
        for year, frames in self.geometry.items():
            (folder / f"planted_geometry_{year}.csv").unlink(missing_ok=True)
            if not frames:
                continue
            record = pd.concat(frames, ignore_index=True).sort_values(
                ["source_file", "source_row", "kind"], kind="stable"
            )
            record.to_csv(
                folder / f"planted_geometry_{year}.csv",
                index=False,
                columns=PLANTED_GEOMETRY_COLUMNS,
                lineterminator="\n",
            )
