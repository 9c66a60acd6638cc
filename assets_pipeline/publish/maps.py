"""Maps people look at rather than read (DOMAIN §6 deliverables back): ``<year>/maps/value_per_ha.png``, the value
of the mapped resources (land, forest, grassland, wetland) per 公顷 of each county's base map, and
``<year>/maps/inconsistent_area.png``, each county's inconsistent area (不一致图斑) in 亩.

The counties are drawn from the administrative boundaries the province delivered (``<input>/<year>/zones/admin``
or ``行政区``, any layer format, field ``region_code`` or ``XZQDM`` whose first six digits name the county), else
from the parcels themselves: each county's base parcels (or, with no land layer, its inventory polygons) merged
and simplified. Everything is drawn in the Gauss-Krüger zone of the province's centre, so the scale bar is true.

A year without any geometry and without boundaries draws no map (and removes the maps of a previous run).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.publish.layer_geometry import in_epsg, main_epsg
from assets_pipeline.publish.layer_views import register_views
from assets_pipeline.spatial.crs import CGCS2000, gk_zone_epsg, reproject

MAPS = ("value_per_ha", "inconsistent_area")
ADMIN_STEMS = ("admin", "行政区")
ADMIN_FIELDS = ("region_code", "region_cod", "xzqdm")  # a Shapefile's .dbf cuts names to 10 characters
LAYER_SUFFIXES = (".gpkg", ".shp", ".gdb", ".parquet")


@dataclass
class MapsResult:
    """What ``draw_maps`` drew, for the run's metadata: the PNGs by name, the counties drawn, where their shapes
    came from (``admin`` or ``parcels``), the CJK font used (None: English labels and codes)."""

    maps: dict[str, Path] = field(default_factory=dict)
    counties: int = 0
    boundaries: str | None = None
    font: str | None = None
    notes: list[str] = field(default_factory=list)


def maps_folder(layout: YearLayout) -> Path:
    return layout.root / "maps"


def map_path(layout: YearLayout, name: str) -> Path:
    return maps_folder(layout) / f"{name}.png"


def draw_maps(layout: YearLayout, input_dir: Path | None, lang: str = "zh") -> MapsResult:
    """Draw both maps, in Chinese with English (``zh``, when a CJK font is installed) or English (``en``)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"map language must be 'zh' or 'en', not {lang!r}")
    # matplotlib only where maps are drawn: a year of tables, and every process that only loads the definitions,
    # does not pay for importing it
    from assets_pipeline.publish.map_drawing import Choropleth, cjk_font, draw_choropleth

    result = MapsResult(font=cjk_font() if lang == "zh" else None)
    admin = admin_layer(input_dir, layout.year) if input_dir is not None else None
    with connect(layout.stages / "duckdb_tmp") as con:
        present = register_views(con, layout)
        counties, shapes = (None, None)
        if admin is not None:
            counties, shapes = _admin_shapes(admin, result.notes)
            result.boundaries = "admin" if counties is not None else None
        if counties is None and present["geometry"]:
            counties, shapes = _parcel_shapes(con, layout)
            result.boundaries = "parcels" if len(counties) else None
        values = _figures(con, "map_values", "value_wan_yuan_per_ha") if present["valued"] else {}
        _findings_view(con, layout)
        inconsistent = _figures(con, "map_inconsistent", "area_mu")
    if counties is None or not len(counties):
        shutil.rmtree(maps_folder(layout), ignore_errors=True)
        result.boundaries = None
        return result
    result.counties = len(counties)
    checked = layout.inconsistencies.exists() or present["pieces"]
    names, province = _names(layout)
    zh = result.font is not None
    labels = [names.get(c, c) if zh else c for c in counties]
    where = f"{province[1]}{layout.year}年" if zh else f"{province[0]}, {layout.year}"
    maps = {
        "value_per_ha": Choropleth(
            shapes,
            _values(counties, values, missing=np.nan),
            labels,
            f"{where}各县（市、区）单位面积自然资源资产价值\nValue of natural resource assets per hectare by county"
            if zh
            else f"Value of natural resource assets per hectare by county, {where}",
            "万元/公顷 (10⁴ yuan/ha)" if zh else "10⁴ yuan per ha",
            "无数据 No data" if zh else "No data",
            "YlGn",
            2,
        ),
        "inconsistent_area": Choropleth(
            shapes,
            # a county without a finding has none, when the year was checked at all
            _values(counties, inconsistent, missing=0.0 if checked else np.nan),
            labels,
            f"{where}各县（市、区）不一致图斑面积\nArea of inconsistent parcels by county"
            if zh
            else f"Area of inconsistent parcels by county, {where}",
            "亩 (mu)" if zh else "mu (1 mu = 666.67 m²)",
            "无数据 No data" if zh else "No data",
            "OrRd",
            2,
        ),
    }
    for name, map_ in maps.items():
        with atomic_path(map_path(layout, name)) as tmp:
            draw_choropleth(map_, tmp, result.font)
        result.maps[name] = map_path(layout, name)
    return result


def admin_layer(input_dir: Path, year: int) -> Path | None:
    """The delivered administrative boundaries: ``zones/admin`` or ``zones/行政区`` in a layer format."""
    folder = Path(input_dir) / str(year) / "zones"
    if not folder.is_dir():
        return None
    found = [
        p
        for p in sorted(folder.iterdir())
        if p.stem.casefold() in ADMIN_STEMS
        and p.suffix.lower() in LAYER_SUFFIXES
        and (p.is_dir() == (p.suffix.lower() == ".gdb"))
    ]
    return found[0] if found else None


def _admin_shapes(path: Path, notes: list[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The counties of the boundary layer, each merged from its features, in the drawing zone; None (with a note
    saying why) when the layer cannot serve and the parcels must."""
    try:
        codes, geometries, crs = _read_admin(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, KeyError, ValueError) as e:
        notes.append(f"{path.name}: {e}; counties drawn from the parcels")
        return None, None
    if codes is None:
        notes.append(f"{path.name} has no field region_code or XZQDM; counties drawn from the parcels")
        return None, None
    if crs is None:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geometries)
        if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
            notes.append(f"{path.name} has no coordinate system; counties drawn from the parcels")
            return None, None
        crs = pyproj.CRS.from_epsg(CGCS2000)  # degrees without a .prj: taken as geographic CGCS2000
    counties = np.asarray(sorted(set(codes.tolist()) - {""}))
    merged = np.array([shapely.union_all(geometries[codes == c]) for c in counties], dtype=object)  # per county
    return counties, _to_drawing(merged, crs)


def _read_admin(path: Path) -> tuple[np.ndarray | None, np.ndarray, pyproj.CRS | None]:
    if path.suffix.lower() == ".parquet":
        table = pq.read_table(path)
        geo = json.loads(table.schema.metadata[b"geo"])
        column = geo["primary_column"]
        crs_json = geo["columns"][column].get("crs")
        crs = pyproj.CRS.from_json_dict(crs_json) if crs_json else pyproj.CRS.from_epsg(4326)
        wkb = table.column(column)
    else:
        layers = pyogrio.list_layers(path)[:, 0].tolist()
        layer = next((name for name in layers if str(name).casefold() in ADMIN_STEMS + ("xzq",)), layers[0])
        info = pyogrio.read_info(path, layer=layer)
        fields = [f for f in info["fields"].tolist() if f.casefold() in ADMIN_FIELDS]
        meta, table = pyogrio.read_arrow(path, layer=layer, columns=fields[:1])
        crs = pyproj.CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
        wkb = table.column(meta["geometry_name"] or "wkb_geometry")
    name = next((f for f in table.column_names if f.casefold() in ADMIN_FIELDS), None)
    geometries = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    if name is None:
        return None, geometries, crs
    codes = pc.utf8_slice_codeunits(table.column(name).cast(pa.string()).fill_null(""), 0, 6)
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=object), geometries, crs


def _parcel_shapes(con, layout: YearLayout) -> tuple[np.ndarray, np.ndarray]:
    """Each county as the union of its parcels (the base map's, else the inventories'), simplified to what a map of
    the province shows; the parcels are read county by county from a partitioned copy."""
    work = Path(tempfile.mkdtemp(prefix=".maps.", dir=layout.stages))
    try:
        con.execute(sql.load(__file__, "map_parcels", target=sql.path_literal(work)))
        counties = sorted(p.name.split("=", 1)[1] for p in work.glob("region_code=*"))
        shapes, zones = [], []
        for county in counties:  # one county's parcels in memory at a time
            table = pa.concat_tables([pq.read_table(f) for f in sorted((work / f"region_code={county}").glob("*"))])
            epsgs = table.column("epsg").to_numpy()
            zone = main_epsg(epsgs)
            parts = in_epsg(shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False)), epsgs, zone)
            shapes.append(_simplified(_merged(parts)))
            zones.append(zone)
        zones = np.asarray(zones)
        out = np.empty(len(shapes), dtype=object)
        out[:] = shapes
        out = in_epsg(out, zones, CGCS2000)
        return np.asarray(counties, dtype=object), _to_drawing(out, pyproj.CRS.from_epsg(CGCS2000))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _merged(parts: np.ndarray):
    """A county's parcels as one shape: as a coverage (parcels that only share edges, fast), else by a full union
    where parcels overlap (a finding of the overlay, DOMAIN §6)."""
    parts = parts[~shapely.is_missing(parts) & ~shapely.is_empty(parts)]
    try:
        merged = shapely.coverage_union_all(parts)
        if shapely.is_valid(merged):
            return merged
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(parts)


def _simplified(shape):
    xmin, ymin, xmax, ymax = shapely.bounds(shape)
    return shapely.simplify(shape, max(xmax - xmin, ymax - ymin) / 500)


def _to_drawing(shapes: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """The shapes in the Gauss-Krüger zone of their centre (metres: the scale bar is true)."""
    geographic = shapes if crs.to_epsg() == CGCS2000 else reproject(shapes, crs, pyproj.CRS.from_epsg(CGCS2000))
    xmin, _, xmax, _ = shapely.total_bounds(geographic)
    target = pyproj.CRS.from_epsg(gk_zone_epsg((xmin + xmax) / 2))
    return reproject(geographic, pyproj.CRS.from_epsg(CGCS2000), target)


def _findings_view(con, layout: YearLayout) -> None:
    """``findings``: the consistency report's inconsistent parcels, or none."""
    if layout.inconsistencies.exists():
        source = f"read_parquet({sql.path_literal(layout.inconsistencies)})"
        con.execute(
            "CREATE OR REPLACE TEMP VIEW findings AS SELECT region_code, category, parcel_id, finding_type, "
            f"CAST(area_m2 AS DECIMAL(18, 2)) AS area_m2 FROM {source}"
        )
    else:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW findings AS SELECT NULL::VARCHAR AS region_code, NULL::VARCHAR AS category, "
            "NULL::VARCHAR AS parcel_id, NULL::VARCHAR AS finding_type, NULL::DECIMAL(18, 2) AS area_m2 WHERE false"
        )


def _figures(con, query: str, column: str) -> dict[str, float]:
    table = con.sql(sql.load(__file__, query)).to_arrow_table()
    return {
        c: float(v)
        for c, v in zip(table.column("region_code").to_pylist(), table.column(column).to_pylist(), strict=True)
        if v is not None
    }


def county_figures(layout: YearLayout) -> dict[str, dict[str, object]]:
    """The figures the maps colour, exact (Decimal), by map and county: for checking what a map shows."""
    with connect(layout.stages / "duckdb_tmp") as con:
        present = register_views(con, layout)
        _findings_view(con, layout)
        out = {}
        for name, query, column in (
            ("value_per_ha", "map_values", "value_wan_yuan_per_ha"),
            ("inconsistent_area", "map_inconsistent", "area_mu"),
        ):
            if name == "value_per_ha" and not present["valued"]:
                out[name] = {}
                continue
            table = con.sql(sql.load(__file__, query)).to_arrow_table()
            out[name] = dict(
                zip(table.column("region_code").to_pylist(), table.column(column).to_pylist(), strict=True)
            )
        return out


def _values(counties: np.ndarray, figures: dict[str, float], missing: float) -> np.ndarray:
    return np.array([figures.get(c, missing) for c in counties.tolist()], dtype=float)


def _names(layout: YearLayout) -> tuple[dict[str, str], tuple[str, str]]:
    """County code → name, and the province's (code, name), from the year's divisions table."""
    path = layout.reference("admin_divisions")
    if not path.exists():
        return {}, ("", "")
    table = pq.read_table(path, columns=["region_code", "name", "level"])
    rows = list(zip(*(table.column(k).to_pylist() for k in ("region_code", "name", "level")), strict=True))
    province = next(((c, n) for c, n, level in rows if level == "province"), ("", ""))
    return {c: n for c, n, _ in rows}, province
