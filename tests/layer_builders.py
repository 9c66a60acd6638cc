"""Layer deliveries written for tests: GeoPackage, Shapefile set, FileGDB folder and GeoParquet, from a table of
fields and shapely polygons (GDAL writes them through pyogrio; GeoParquet through pyarrow with its ``geo`` key)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

DRIVERS = {"gpkg": "GPKG", "shapefile": "ESRI Shapefile", "filegdb": "OpenFileGDB"}
SUFFIXES = {"gpkg": ".gpkg", "shapefile": ".shp", "filegdb": ".gdb", "geoparquet": ".parquet"}


def write_layer(
    path: Path,
    fields: dict[str, list],
    geometries: list,
    fmt: str = "gpkg",
    crs: str | None = "EPSG:4547",
    layer: str | None = "DLTB",
    encoding: str | None = None,
    append: bool = False,
) -> Path:
    """Write one layer; ``crs`` None writes a layer without a coordinate system (for a Shapefile: no ``.prj``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wkb = shapely.to_wkb(np.array(geometries, dtype=object))
    table = pa.table({**{k: pa.array(v) for k, v in fields.items()}, "geometry": pa.array(wkb, pa.binary())})
    if fmt == "geoparquet":
        column = {"encoding": "WKB", "geometry_types": ["Polygon", "MultiPolygon"]}
        if crs is not None:
            column["crs"] = pyproj.CRS.from_user_input(crs).to_json_dict()
        geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}
        pq.write_table(table.replace_schema_metadata({"geo": json.dumps(geo)}), path)
        return path
    options = {"encoding": encoding} if encoding else {}
    with warnings.catch_warnings():  # no crs is what the test wants
        warnings.simplefilter("ignore", UserWarning)
        _write(table, path, fmt, crs, layer, append, options)
    return path


def _write(table: pa.Table, path: Path, fmt: str, crs: str | None, layer: str | None, append: bool, options) -> None:
    pyogrio.write_arrow(
        table,
        path,
        layer=layer if fmt != "shapefile" else None,
        driver=DRIVERS[fmt],
        geometry_name="geometry",
        geometry_type="Polygon" if fmt != "filegdb" else "MultiPolygon",
        crs=crs,
        append=append,
        **options,
    )


def square(x: float, y: float, side: float = 100.0) -> shapely.Polygon:
    return shapely.box(x, y, x + side, y + side)


def bowtie(x: float, y: float, side: float = 100.0) -> shapely.Polygon:
    """A ring crossing itself at its centre: two triangles of side²/4 each, a signed area of 0 as drawn."""
    return shapely.Polygon([(x, y), (x + side, y + side), (x + side, y), (x, y + side), (x, y)])
