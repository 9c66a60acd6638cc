"""The control and price layers of a year (DOMAIN §6): where they are, what each is, and their polygons.

``<input>/<year>/zones/`` holds one layer per zone, the file's stem naming it (生态保护红线 redline, 永久基本农田
farmland, 自然保护地 protected, 自然保护地核心区 core, 城镇开发边界 urban; 行政区 admin is for maps only);
``<input>/<year>/price_zones/`` the land-price level (基准地价 级别) polygons, each with its level code and land
use. A layer is recognised by its content, whichever its name: a GeoPackage, a Shapefile set (the ``.shp``; its
siblings are part of it), a FileGDB folder or a GeoParquet file. Each is read whole (province-wide layers of a
few thousand polygons), its coordinate system accepted only if CGCS2000, and its polygons repaired.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.spatial.crs import accept_crs

# zone keys in their canonical order, and the stems that name them
ZONES = ("redline", "farmland", "protected", "core", "urban")
ZONE_STEMS = {
    "redline": "redline",
    "生态保护红线": "redline",
    "basic_farmland": "farmland",
    "永久基本农田": "farmland",
    "protected_area": "protected",
    "自然保护地": "protected",
    "protected_core": "core",
    "自然保护地核心区": "core",
    "urban_boundary": "urban",
    "城镇开发边界": "urban",
}
MAP_ONLY_STEMS = {"admin", "行政区"}
# the land survey column stating each zone's area, where the delivery states it
DELIVERED_COLUMNS = {
    "redline": "redline_area_m2",
    "farmland": "basic_farmland_area_m2",
    "protected": "protected_area_m2",
    "core": "protected_core_area_m2",
    "urban": "urban_boundary_area_m2",
}
PRICE_ZONE_FIELDS = ("price_zone", "jbdm", "级别代码", "地价级别")
LAND_USE_FIELDS = ("land_use", "yt", "用途")
LAND_USES = {
    "commercial": "commercial",
    "商服": "commercial",
    "residential": "residential",
    "住宅": "residential",
    "industrial": "industrial",
    "工业": "industrial",
    "other": "other",
    "其他": "other",
    "agricultural": "agricultural",
    "农用地": "agricultural",
}
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class PolygonLayer:
    """A layer's polygons (repaired, polygonal parts only) in its own coordinate system, with its fields."""

    path: Path
    sha256: str
    crs: pyproj.CRS
    geometry: np.ndarray
    attributes: pa.Table


def layer_kind(path: Path) -> str | None:
    """'gpkg', 'shp', 'gdb' or 'geoparquet' by content; None for anything else (a Shapefile's siblings too)."""
    if path.is_dir():
        return "gdb" if path.suffix.lower() == ".gdb" or any(path.glob("*.gdbtable")) else None
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head.startswith(SQLITE_MAGIC):
        return "gpkg"
    if head.startswith(SHAPEFILE_MAGIC) and path.suffix.lower() == ".shp":
        return "shp"
    if head.startswith(b"PAR1"):
        try:
            return "geoparquet" if b"geo" in (pq.read_schema(path).metadata or {}) else None
        except (OSError, pa.ArrowInvalid):
            return None
    return None


def layer_files(folder: Path) -> list[Path]:
    """The layer deliveries in a folder, by content, in name order."""
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.iterdir()) if not p.name.startswith(".") and layer_kind(p)]


def zone_files(input_dir: Path, year: int) -> dict[str, Path]:
    """The year's zone layers by zone key; a layer whose stem names no zone is refused."""
    found: dict[str, Path] = {}
    for path in layer_files(Path(input_dir) / str(year) / "zones"):
        stem = path.stem if path.suffix.lower() != ".gdb" else path.name[: -len(".gdb")]
        if stem.lower() in MAP_ONLY_STEMS or stem in MAP_ONLY_STEMS:
            continue
        zone = ZONE_STEMS.get(stem.lower(), ZONE_STEMS.get(stem))
        if zone is None:
            raise InputFileError(
                path,
                f"not a zone layer: name it one of {', '.join(sorted(ZONE_STEMS))} or admin / 不是可识别的管控图层",
            )
        if zone in found:
            raise InputFileError(path, f"the zone {zone} is delivered twice (also {found[zone].name}) / 管控图层重复")
        found[zone] = path
    return found


def price_files(input_dir: Path, year: int) -> list[Path]:
    return layer_files(Path(input_dir) / str(year) / "price_zones")


def delivery_sha256(path: Path) -> str:
    """The hash of a delivery: its bytes, or for a Shapefile set or a FileGDB folder, its files' in name order."""
    if path.is_dir():
        members = sorted(p for p in path.rglob("*") if p.is_file())
    elif layer_kind(path) == "shp":
        members = sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    else:
        members = [path]
    digest = hashlib.sha256()
    for member in members:
        with open(member, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def read_polygons(path: Path, declared_crs: str | None = None) -> PolygonLayer:
    """A control or price layer read whole: its CRS accepted (DOMAIN §6), invalid polygons repaired."""
    kind = layer_kind(path)
    if kind == "geoparquet":
        table = pq.read_table(path)
        geo = json.loads(table.schema.metadata[b"geo"])
        column = geo.get("primary_column", "geometry")
        crs_json = (geo.get("columns", {}).get(column) or {}).get("crs")
        crs = pyproj.CRS.from_json_dict(crs_json) if crs_json else None
    else:
        layers = pyogrio.list_layers(path)
        if len(layers) != 1:
            raise InputFileError(
                path,
                f"holds {len(layers)} layers ({', '.join(str(n) for n in layers[:, 0])}): deliver one / 须为单一图层",
            )
        options = {}
        if kind == "shp" and not path.with_suffix(".cpg").exists():
            options["encoding"] = "GBK"  # .dbf text without a .cpg is GBK (DOMAIN §6)
        meta, table = pyogrio.read_arrow(path, **options)
        table = pa.table(table) if not isinstance(table, pa.Table) else table
        column = meta["geometry_name"] or "wkb_geometry"
        crs = pyproj.CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    crs = accept_crs(crs, path, declared_crs)
    geometry = polygonal(shapely.from_wkb(table.column(column).to_numpy(zero_copy_only=False)))
    return PolygonLayer(path, delivery_sha256(path), crs, geometry, table.drop_columns([column]))


def polygonal(geometry: np.ndarray) -> np.ndarray:
    """Valid polygons only: invalid ones made valid, then their polygonal parts kept (lines and points dropped)."""
    geometry = np.where(shapely.is_valid(geometry), geometry, shapely.make_valid(geometry))
    mixed = shapely.get_type_id(geometry) == shapely.GeometryType.GEOMETRYCOLLECTION
    if mixed.any():
        parts, index = shapely.get_parts(geometry[mixed], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
        rebuilt = np.full(int(mixed.sum()), None, dtype=object)
        rebuilt[:] = shapely.multipolygons(parts[keep], indices=index[keep]) if keep.any() else None
        geometry = geometry.copy()
        geometry[mixed] = rebuilt
    return geometry


def field(layer: PolygonLayer, names: tuple[str, ...]) -> pa.ChunkedArray:
    """The layer's field under any of ``names`` (case-insensitive), as text; missing → refused naming them."""
    by_lower = {n.lower(): n for n in layer.attributes.column_names}
    for name in names:
        if name.lower() in by_lower:
            return pc.utf8_trim_whitespace(layer.attributes.column(by_lower[name.lower()]).cast(pa.string()))
    raise InputFileError(layer.path, f"has no field {' / '.join(names)} (fields: {', '.join(by_lower.values())})")


def price_levels(layer: PolygonLayer) -> tuple[np.ndarray, np.ndarray]:
    """The price layer's level code and land use (canonical) per polygon; an unknown land use is refused with
    the feature's number."""
    codes = field(layer, PRICE_ZONE_FIELDS)
    blank = np.flatnonzero(~pc.fill_null(pc.greater(pc.utf8_length(codes), 0), False).to_numpy(zero_copy_only=False))
    if len(blank):
        raise InputFileError(layer.path, f"feature {int(blank[0]) + 1}: no price_zone (级别代码) / 缺少地价级别代码")
    zone = codes.to_numpy(zero_copy_only=False).astype(object)
    use = field(layer, LAND_USE_FIELDS)
    found = pc.index_in(pc.utf8_lower(use), value_set=pa.array(list(LAND_USES)))
    unknown = np.flatnonzero(~pc.is_valid(found).to_numpy(zero_copy_only=False))
    if len(unknown):
        row = int(unknown[0])
        raise InputFileError(
            layer.path,
            f"feature {row + 1}: land_use {use[row].as_py()!r} is not one of {', '.join(LAND_USES)} / 用途不可识别",
        )
    canonical = np.array(list(LAND_USES.values()), dtype=object)
    return zone, canonical[found.to_numpy(zero_copy_only=False).astype(np.int64)]
