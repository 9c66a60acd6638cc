"""Layers handed back (DOMAIN §6 deliverables back): per county its valued parcels and inconsistent pieces as a
GeoPackage and a FileGDB, and every valued parcel of the province as GeoParquet for analysts.

A county that delivered layers wants its parcels back on its own map, with what the accounts made of them: the
value (元 and 万元), the price key and level, the consistency findings and the share inside each control zone as
attributes. So beside the county's fix-and-send-back workbook in ``to_counties/`` come

- ``<code>_<name>_图层_<year>.gpkg`` with the layers ``valued_parcels`` (one feature per parcel counted in the
  accounts, status valued or unpriced: the components of a parcel — forest land and its trees — are one feature
  whose value is their sum and whose price keys are listed in component order) and ``inconsistent_pieces`` (the
  overlay's pieces with a finding: the inventory row's shape cut by the base parcel's, or the part outside every
  base parcel, with the adjusted area ``piece_area_m2`` and the computed ``geometry_area_m2``);
- ``<code>_<name>_图层_<year>.gdb``, the same two layers as a FileGDB, written for every county: desktop GIS of
  either family opens one of the two, and a province need not keep a list of which county uses which.

Both are in the county's Gauss-Krüger zone (the one most of its features are in). The province-wide
``<year>/layers/valued_parcels.parquet`` is GeoParquet 1.1 (WKB, ``geo`` metadata with the CRS as PROJJSON): in
the counties' zone when they share one, else in geographic CGCS2000 (EPSG:4490), as a file holds one system; each
feature keeps its zone in ``epsg`` and its measured area in ``geometry_area_m2`` and official one in ``area_m2``, so
nobody takes areas in degrees.

Memory stays bounded: DuckDB joins the rows to their geometry once and writes them partitioned by county, then
each county is read, cut and written on its own. Each file appears whole or not at all.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.parallel import PARALLEL_GEOMETRY_ROWS, run_tasks
from assets_pipeline.infra.storage import atomic_parquet_writer
from assets_pipeline.publish.layer_geometry import (
    geoparquet_schema,
    in_epsg,
    main_epsg,
    multipolygons,
    pieces_on_bases,
    pieces_outside,
    province_epsg,
)
from assets_pipeline.publish.layer_views import has_geometry, register_views

PARCELS_LAYER = "valued_parcels"
PIECES_LAYER = "inconsistent_pieces"
MARK = "图层"


@dataclass
class LayersResult:
    """What ``write_layers`` wrote, for the run's metadata."""

    geopackages: list[Path] = field(default_factory=list)
    filegdbs: list[Path] = field(default_factory=list)
    geoparquet: Path | None = None
    geoparquet_epsg: int | None = None
    parcels: int = 0
    pieces: int = 0
    counties: list[str] = field(default_factory=list)


def layers_folder(layout: YearLayout) -> Path:
    return layout.root / "layers"


def geoparquet_path(layout: YearLayout) -> Path:
    return layers_folder(layout) / f"{PARCELS_LAYER}.parquet"


def county_layer_stem(layout: YearLayout, county: str, name: str) -> str:
    """``<code>_<name>_图层_<year>``: the county's layers beside its workbook ``<code>_<name>.xlsx``; the name comes
    from the reference table a province edits, so path and reserved characters are replaced."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")[:40]
    return f"{county}_{safe}_{MARK}_{layout.year}" if safe else f"{county}_{MARK}_{layout.year}"


def write_layers(layout: YearLayout, input_dir: Path | None = None, parallel: bool | None = None) -> LayersResult:
    """Write the counties' GeoPackages and FileGDBs and the province's GeoParquet when the year has geometry; a
    year of tables only writes nothing (and removes layers a previous run of the year left). ``input_dir`` is
    not read: everything comes from the stage files (it keeps the signature of ``draw_maps``). Counties are
    written in worker processes when ``parallel``, or by default when the year has enough parcels with geometry;
    the files are the same either way."""
    result = LayersResult()
    folder = layout.root / "to_counties"
    if not has_geometry(layout):
        _remove_stale(layout, folder, set())
        return result
    work = Path(tempfile.mkdtemp(prefix=".layers.", dir=_mkdir(layout.stages)))
    try:
        with connect(layout.stages / "duckdb_tmp") as con:
            present = register_views(con, layout)
            if present["valued"]:
                con.execute(sql.load(__file__, "layer_parcels", target=sql.path_literal(work / "parcels")))
            if present["pieces"]:
                con.execute(sql.load(__file__, "layer_pieces", target=sql.path_literal(work / "pieces")))
                con.execute(sql.load(__file__, "layer_cover", target=sql.path_literal(work / "cover")))
            zones = [r[0] for r in con.execute("SELECT DISTINCT epsg FROM geometry WHERE epsg IS NOT NULL").fetchall()]
        names = _county_names(layout)
        counties = sorted(_partitions(work / "parcels") | _partitions(work / "pieces"))
        result.geoparquet_epsg = province_epsg(zones) if zones else None
        (work / "province").mkdir()
        tasks = [
            (work, county, folder / county_layer_stem(layout, county, names.get(county, "")), result.geoparquet_epsg)
            for county in counties
        ]
        written: set[Path] = set()
        with ExitStack() as stack:
            writer = None
            for county, done in zip(
                counties,
                run_tasks(write_county_layers, tasks, _parallel(work) if parallel is None else parallel),
                strict=True,
            ):
                written |= {done.geopackage, done.filegdb}
                result.geopackages.append(done.geopackage)
                result.filegdbs.append(done.filegdb)
                result.parcels += done.parcels
                result.pieces += done.pieces
                result.counties.append(county)
                if done.province_rows is not None:  # appended in county order, one county in memory at a time
                    table = pq.read_table(done.province_rows)
                    if writer is None:
                        schema = geoparquet_schema(table.schema, result.geoparquet_epsg)
                        writer = stack.enter_context(atomic_parquet_writer(geoparquet_path(layout), schema))
                    writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
                    done.province_rows.unlink()
            if writer is not None:
                result.geoparquet = geoparquet_path(layout)
        if result.geoparquet is None and geoparquet_path(layout).exists():
            geoparquet_path(layout).unlink()
        _remove_stale(layout, folder, written)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class CountyLayers:
    """What ``write_county_layers`` wrote for one county."""

    geopackage: Path
    filegdb: Path
    parcels: int
    pieces: int
    province_rows: Path | None  # its parcels as the province-wide GeoParquet holds them, for the caller to append


def write_county_layers(work: Path, county: str, stem: Path, geoparquet_epsg: int | None) -> CountyLayers:
    """One county's GeoPackage and FileGDB (``stem`` + ``.gpkg``/``.gdb``) from its partitions in ``work``, and its
    rows of the province-wide GeoParquet as a file in ``work/province``. Counties are independent, so they may be
    written in worker processes (``infra.parallel``)."""
    parcels = _county_parcels(_read(work / "parcels", county))
    pieces = _county_pieces(_read(work / "pieces", county), _read(work / "cover", county))
    epsg = main_epsg(np.concatenate([parcels[1], pieces[1]]))
    parcel_shapes = multipolygons(in_epsg(parcels[2], parcels[1], epsg))
    parcel_table = _with_geometry(parcels[0], parcel_shapes)
    piece_table = _with_geometry(pieces[0], in_epsg(pieces[2], pieces[1], epsg))  # cut as MultiPolygons
    gpkg, gdb = stem.with_name(f"{stem.name}.gpkg"), stem.with_name(f"{stem.name}.gdb")
    _write_county(gpkg, "GPKG", parcel_table, piece_table, epsg)
    _write_county(gdb, "OpenFileGDB", _for_filegdb(parcel_table), _for_filegdb(piece_table), epsg)
    rows = None
    if parcel_table.num_rows:
        table = _province_rows(parcel_table, parcel_shapes, epsg, geoparquet_epsg, parcels[1])
        table = table.append_column("region_code", pa.array([county] * table.num_rows, pa.string()))
        rows = work / "province" / f"{county}.parquet"
        pq.write_table(table, rows)
    return CountyLayers(gpkg, gdb, parcel_table.num_rows, piece_table.num_rows, rows)


def _parallel(work: Path) -> bool:
    """Counties in worker processes once the year has enough parcels with geometry to pay for them."""
    files = list((work / "parcels").rglob("*.parquet")) if (work / "parcels").exists() else []
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files) >= PARALLEL_GEOMETRY_ROWS


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _partitions(folder: Path) -> set[str]:
    return {p.name.split("=", 1)[1] for p in folder.glob("region_code=*")} if folder.exists() else set()


def _read(folder: Path, county: str) -> pa.Table | None:
    files = sorted((folder / f"region_code={county}").glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else None


def _county_parcels(table: pa.Table | None) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """A county's parcels: attributes, each feature's zone, its shape (as delivered, in that zone)."""
    if table is None:
        return _EMPTY_PARCELS, np.array([], np.int64), np.array([], dtype=object)
    table = table.sort_by([("category", "ascending"), ("parcel_id", "ascending")])
    geometry = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    return table.drop_columns(["geometry", "epsg"]), table.column("epsg").to_numpy(), geometry


def _county_pieces(table: pa.Table | None, cover: pa.Table | None) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """A county's inconsistent pieces cut again from the shapes they came from (DOMAIN §6): on a base parcel the
    inventory row's shape ∩ the parcel's; outside every base parcel the row's shape less the parcels it lies on."""
    if table is None:
        return _EMPTY_PIECES, np.array([], np.int64), np.array([], dtype=object)
    table = table.sort_by([("category", "ascending"), ("parcel_id", "ascending"), ("base_parcel_id", "ascending")])
    epsg = table.column("inventory_epsg").to_numpy()
    inventory = shapely.from_wkb(table.column("inventory_geometry").to_numpy(zero_copy_only=False))
    base_epsg = table.column("base_epsg").fill_null(0).to_numpy()
    base = shapely.from_wkb(table.column("base_geometry").to_numpy(zero_copy_only=False))
    on = table.column("base_parcel_id").is_valid().to_numpy(zero_copy_only=False)
    shapes = np.empty(len(inventory), dtype=object)
    if on.any():  # a base parcel without geometry (delivered as a table) leaves the piece empty
        shapes[on] = pieces_on_bases(inventory[on], _align(base[on], base_epsg[on], epsg[on]))
    off = np.flatnonzero(~on)
    if len(off):
        owner, rank, covers = _covers(table, off, cover, epsg)
        shapes[off] = pieces_outside(inventory[off], covers, owner, rank)
    attributes = table.drop_columns(["inventory_geometry", "inventory_epsg", "base_geometry", "base_epsg"])
    return attributes, epsg, shapes


def _align(shapes: np.ndarray, epsgs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Each shape in the zone of the feature it is cut with (its own zone is almost always that one)."""
    out = shapes.copy()
    for target in np.unique(targets):
        here = targets == target
        out[here] = in_epsg(shapes[here], epsgs[here], int(target))
    return out


def _covers(
    table: pa.Table, off: np.ndarray, cover: pa.Table | None, epsg: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the pieces outside every base parcel (rows ``off`` of ``table``), the base parcels their inventory row
    lies on: the index into ``off`` each belongs to, its rank within the row, its shape in the row's zone."""
    empty = (np.array([], np.int64), np.array([], np.int64), np.array([], dtype=object))
    if cover is None or cover.num_rows == 0:
        return empty
    outside = table.take(pa.array(off)).select(["category", "row_id"])
    outside = outside.append_column("owner", pa.array(np.arange(len(off)), pa.int64()))
    joined = cover.join(outside, ["category", "row_id"], join_type="inner")
    if joined.num_rows == 0:
        return empty
    owner = joined.column("owner").to_numpy()
    shapes = shapely.from_wkb(joined.column("base_geometry").to_numpy(zero_copy_only=False))
    shapes = _align(shapes, joined.column("base_epsg").to_numpy(), epsg[off][owner])
    return owner, joined.column("rank").to_numpy(), shapes


def _with_geometry(attributes: pa.Table, shapes: np.ndarray) -> pa.Table:
    """The attributes with each feature's shape (MultiPolygons) as WKB and its area measured in its zone: a
    parcel's as ingest measured it, a piece's taken here."""
    if "geometry_area_m2" not in attributes.column_names:
        attributes = attributes.append_column("geometry_area_m2", pa.array(shapely.area(shapes), pa.float64()))
    return attributes.append_column("geometry", pa.array(shapely.to_wkb(shapes), pa.binary()))


def _province_rows(table: pa.Table, shapes: np.ndarray, epsg: int, target: int, zones: np.ndarray) -> pa.Table:
    """A county's parcels as the province-wide GeoParquet holds them: in ``target``'s system (the county's WKB
    kept when it is the same), each with the zone it was delivered in."""
    if target != epsg:
        moved = in_epsg(shapes, np.full(len(shapes), epsg), target)
        table = table.set_column(
            table.column_names.index("geometry"), "geometry", pa.array(shapely.to_wkb(moved), pa.binary())
        )
    return table.append_column("epsg", pa.array(zones, pa.int32()))


def _for_filegdb(table: pa.Table) -> pa.Table:
    """A FileGDB of the desktop GIS still in use has no 64-bit integer field: the row id goes as a double (exact
    to 2⁵³, far beyond any part × row number)."""
    if "row_id" not in table.column_names:
        return table
    i = table.column_names.index("row_id")
    return table.set_column(i, "row_id", table.column("row_id").cast(pa.float64()))


def _write_county(final: Path, driver: str, parcels: pa.Table, pieces: pa.Table, epsg: int) -> None:
    """Both layers into one GeoPackage file or FileGDB folder, written in a temporary folder beside ``final`` and
    moved into place whole (as ``infra.storage`` does for Parquet; GDAL needs the final extension, so it writes
    ``layers.<ext>`` inside the temporary folder)."""
    crs = pyproj.CRS.from_epsg(epsg).to_wkt()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent))
    try:
        target = tmp / f"layers{final.suffix}"
        for i, (layer, table) in enumerate(((PARCELS_LAYER, parcels), (PIECES_LAYER, pieces))):
            pyogrio.write_arrow(
                table,
                target,
                layer=layer,
                driver=driver,
                geometry_name="geometry",
                geometry_type="MultiPolygon",
                crs=crs,
                append=i > 0,
            )
        _replace(target, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace(source: Path, final: Path) -> None:
    """Move a finished file or folder over ``final``; an old folder is moved aside first and removed after."""
    if final.is_dir():
        aside = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
        os.replace(final, aside / final.name)
        os.replace(source, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(source, final)


def _remove_stale(layout: YearLayout, folder: Path, written: set[Path]) -> None:
    """Layers of this year a previous run wrote for counties that have none now."""
    for old in folder.glob(f"*_{MARK}_{layout.year}.*") if folder.exists() else []:
        if old not in written and old.suffix in (".gpkg", ".gdb"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    if not written and geoparquet_path(layout).exists():
        geoparquet_path(layout).unlink()


def _county_names(layout: YearLayout) -> dict[str, str]:
    path = layout.reference("admin_divisions")
    if not path.exists():
        return {}
    table = pq.read_table(path, columns=["region_code", "name"])
    return dict(zip(table.column("region_code").to_pylist(), table.column("name").to_pylist(), strict=True))


_PARCEL_FIELDS = [
    ("category", pa.string()), ("parcel_id", pa.string()), ("base_parcel_id", pa.string()),
    ("item_code", pa.string()), ("status", pa.string()), ("components", pa.string()), ("area_m2", pa.float64()),
    ("value_yuan", pa.float64()), ("value_wan_yuan", pa.float64()), ("price_key", pa.string()),
    ("price_level", pa.string()), ("consistency_findings", pa.string()), ("consistency_resolution", pa.string()),
    *((s, pa.float64()) for s in ("redline_share", "farmland_share", "protected_share", "core_share", "urban_share")),
    ("source_file", pa.string()), ("source_row", pa.int32()), ("row_id", pa.int64()),
]  # fmt: skip
_PIECE_FIELDS = [
    ("category", pa.string()), ("parcel_id", pa.string()), ("base_parcel_id", pa.string()),
    ("finding_type", pa.string()), ("finding_zh", pa.string()), ("finding_en", pa.string()),
    ("base_land_class", pa.string()), ("inventory_land_class", pa.string()), ("piece_area_m2", pa.float64()),
    ("source_file", pa.string()), ("source_row", pa.int32()), ("row_id", pa.int64()),
]  # fmt: skip
_EMPTY_PARCELS = pa.schema(_PARCEL_FIELDS).empty_table()
_EMPTY_PIECES = pa.schema(_PIECE_FIELDS).empty_table()
