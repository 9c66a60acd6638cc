"""Writing a layer the way its county sends it (DOMAIN §6): a GeoPackage, a Shapefile set with a GBK .dbf (with or
without its .cpg), a FileGDB folder or a GeoParquet file, with the survey's field names (BSM, DLBM, TBMJ …) or, in
a Shapefile, the Chinese ones where they fit the .dbf's 10 bytes.

GDAL (through pyogrio) writes the first three; GeoParquet is Parquet with the 'geo' metadata key (WKB geometry,
PROJJSON coordinate system), written with pyarrow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from assets_pipeline.sample.writers import is_chinese
from assets_pipeline.schema.categories import CategorySpec

# GeoPackages stamp their contents with the time of writing; a fixed one keeps the sample's bytes a function of
# its seed.
pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2024-01-01T00:00:00.000Z"})

LAYER_NAMES = {"land": "DLTB", "forest": "SLZYZC", "grassland": "CYZYZC", "wetland": "SDZYZC"}
DRIVERS = {"gpkg": "GPKG", "shp": "ESRI Shapefile", "gdb": "OpenFileGDB"}
DBF_NAME_BYTES = 10
# No spatial index in a county's small files (readers scan them whole); writing is twice as fast without.
FAST_OPTIONS = {"gpkg": {"SPATIAL_INDEX": "NO"}}
# Fields the schema may not name yet (SPATIAL contract): survey and Chinese names of the zone areas.
EXTRA_FIELDS = {
    "protected_core_area_m2": ("HXQMJ", "核心保护区面积"),
    "urban_boundary_area_m2": ("CZKFBJMJ", "城镇开发边界面积"),
    "land_class_name": ("DLMC", "地类名称"),
}
LONG_REGION_NAMES = {"survey": "ZLDWDM", "chinese": "坐落单位代码"}


def field_names(
    spec: CategorySpec, names: Sequence[str], style: str, long_region_code: bool, shapefile: bool
) -> list[str]:
    """A layer's field names: the survey's short names ("survey"), or the Chinese ones ("chinese"), falling back to
    the short name where a Shapefile's .dbf cannot hold the Chinese one (10 bytes of GBK)."""
    known = {c.name for c in spec.columns}
    result = []
    for name in names:
        if name == "region_code" and long_region_code:
            options = [LONG_REGION_NAMES["survey"], LONG_REGION_NAMES["chinese"]]
        elif name in known:
            aliases = spec.column(name).aliases
            options = [a for a in aliases if a.isascii()][:1] + [a for a in aliases if is_chinese(a)]
        else:
            options = list(EXTRA_FIELDS.get(name, (name,)))
        ascii_name = next((o for o in options if o.isascii()), name)
        chosen = ascii_name
        if style == "chinese":
            fitting = [
                o for o in options if is_chinese(o) and (not shapefile or len(o.encode("gbk")) <= DBF_NAME_BYTES)
            ]
            chosen = fitting[0] if fitting else ascii_name
        result.append(chosen)
    if len(set(result)) != len(result):
        raise ValueError(f"duplicate field names for {spec.name}: {result}")
    return result


def write_layer(
    path: Path, table: pa.Table, geometry: np.ndarray, epsg: int, layer_format: str, layer: str | None, cpg: bool = True
) -> None:
    """One layer file (or FileGDB folder) with ``table``'s columns as fields and ``geometry`` as polygons."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wkb = pa.array(shapely.to_wkb(geometry, output_dimension=2), type=pa.binary())
    if layer_format == "geoparquet":
        write_geoparquet(path, table, wkb, epsg)
        return
    # 32-bit integers: FileGDB before ArcGIS Pro 3.2 has no 64-bit integer field (GDAL would write a real)
    table = pa.table(
        [c.cast(pa.int32()) if pa.types.is_int64(c.type) else c for c in table.columns], names=table.column_names
    )
    data = table.append_column("geometry", wkb)
    encoding = "GBK" if layer_format == "shp" else None
    pyogrio.write_arrow(
        data,
        path,
        layer=layer,
        driver=DRIVERS[layer_format],
        geometry_name="geometry",
        geometry_type="Polygon",
        crs=f"EPSG:{epsg}",
        encoding=encoding,
        append=layer_format == "gpkg" and path.exists(),
        layer_options=FAST_OPTIONS.get(layer_format),
    )
    if layer_format == "shp" and not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)


def write_geoparquet(path: Path, table: pa.Table, wkb: pa.Array, epsg: int) -> None:
    """GeoParquet 1.1: the geometry as WKB, described in the file's 'geo' metadata with its PROJJSON system."""
    geometry = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    bounds = shapely.total_bounds(geometry[~shapely.is_empty(geometry)]) if len(geometry) else [np.nan] * 4
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["Polygon"],
                "crs": json.loads(pyproj.CRS.from_epsg(epsg).to_json()),
                "bbox": [float(b) for b in bounds],
            }
        },
    }
    data = table.append_column("geometry", wkb)
    metadata = dict(data.schema.metadata or {})
    metadata[b"geo"] = json.dumps(geo, ensure_ascii=False).encode("utf-8")
    pq.write_table(data.replace_schema_metadata(metadata), path, compression="snappy")
