"""Validated rows with geometry side files, and control layers, written by hand for the overlay's tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.schema.categories import SPECS
from assets_pipeline.validate.rows import validated_schema

EPSG = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (Shanxi's eastern counties)
X0, Y0 = 500_000.0, 4_200_000.0  # an origin inside the zone: the tests' squares sit near it


def square(x: float, y: float, w: float, h: float | None = None) -> shapely.Polygon:
    """A w × h rectangle at (X0 + x, Y0 + y)."""
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def write_rows(layout: YearLayout, category: str, rows: list[dict], geometry: list, part: int = 0) -> None:
    """A validated part and its geometry part: ``rows`` give the columns that matter, the rest are null."""
    schema = validated_schema(SPECS[category])
    ids = [(part << 32) | i for i in range(len(rows))]
    columns = {}
    for f in schema:
        if f.name == "_row_id":
            columns[f.name] = pa.array(ids, pa.int64())
        elif f.name == "_source_file":
            columns[f.name] = pa.array([f"{category}.gpkg"] * len(rows))
        elif f.name == "_source_row":
            columns[f.name] = pa.array(range(1, len(rows) + 1), pa.int64())
        else:
            columns[f.name] = pa.array([r.get(f.name) for r in rows], f.type)
    folder = layout.validated(category)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), folder / f"part-{part:05d}.parquet")
    geometry = np.array(geometry, dtype=object)
    side = pa.table(
        {
            "_row_id": pa.array(ids, pa.int64()),
            "geometry": pa.array(shapely.to_wkb(geometry), pa.binary()),
            "epsg": pa.array([EPSG] * len(rows), pa.int32()),
            "geometry_area_m2": pa.array(shapely.area(geometry), pa.float64()),
        }
    )
    layout.geometry(category).mkdir(parents=True, exist_ok=True)
    pq.write_table(side, layout.geometry(category) / f"part-{part:05d}.parquet")


def write_geoparquet(path: Path, geometry: list, fields: dict | None = None, epsg: int | None = EPSG) -> Path:
    """A GeoParquet layer (WKB, ``geo`` metadata with the CRS as PROJJSON)."""
    table = pa.table({**(fields or {}), "geometry": pa.array(shapely.to_wkb(np.array(geometry, dtype=object)))})
    column = {"encoding": "WKB", "geometry_types": []}
    if epsg is not None:
        column["crs"] = pyproj.CRS.from_epsg(epsg).to_json_dict()
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}}
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata({b"geo": json.dumps(geo).encode()}), path)
    return path


def write_gpkg(path: Path, geometry: list, fields: dict | None = None, epsg: int = EPSG) -> Path:
    """A GeoPackage layer written by GDAL."""
    wkb = pa.array(shapely.to_wkb(np.array(geometry, dtype=object)), pa.binary())
    table = pa.table({**(fields or {}), "geometry": wkb})
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_arrow(
        table, path, driver="GPKG", geometry_name="geometry", geometry_type="Polygon", crs=f"EPSG:{epsg}"
    )
    return path


def to_geographic(geometry: list) -> list:
    """Polygons from the tests' zone to geographic CGCS2000 (degrees), vertex by vertex."""
    move = pyproj.Transformer.from_crs(EPSG, 4490, always_xy=True)
    arr = np.array(geometry, dtype=object)
    return list(shapely.transform(arr, lambda xy: np.column_stack(move.transform(xy[:, 0], xy[:, 1]))))
