"""Layer deliveries (DOMAIN §6): which files are layers, which layer of a file is read, and its features in batches.

A county may deliver its land survey or an inventory as polygons rather than a table. A layer is recognised by
what the file holds, never by its name alone: a GeoPackage (a SQLite database with a ``gpkg_contents`` table), a
Shapefile set (the ``.shp`` with its ``.shx`` and ``.dbf``; ``.prj``, ``.cpg`` and the index files beside it
belong to it), a FileGDB folder (``*.gdb`` holding ``.gdbtable`` files) or a GeoParquet file (Parquet whose
metadata carries ``geo``). Features are read in bounded batches (pyogrio's Arrow stream, pyarrow for GeoParquet),
so a county's survey of millions of parcels never sits in memory whole; geometry comes as WKB and is decoded by
shapely at once for the batch.

A Shapefile's ``.dbf`` text is GBK, the encoding of the survey's own tools, unless its ``.cpg`` names another:
GDAL's default (ISO-8859-1 when the ``.dbf`` says nothing) would turn 小店区 into mojibake.
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from assets_pipeline.infra.errors import InputFileError

SHP_MAGIC = b"\x00\x00\x27\x0a"
SQLITE_MAGIC = b"SQLite format 3\x00"
# files beside ``x.shp`` that are part of the set (``x.shp.xml`` too: ArcGIS metadata)
SHAPEFILE_SIBLINGS = (".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".xml")
SHAPEFILE_REQUIRED = (".shx", ".dbf")
DEFAULT_DBF_ENCODING = "GBK"

# the layer a category's file is read from when it holds several (compared in lower case)
CATEGORY_LAYERS = {
    "land": ("dltb", "地类图斑", "land"),
    "forest": ("slzyzc", "forest"),
    "grassland": ("cyzyzc", "grassland"),
    "wetland": ("sdzyzc", "wetland"),
}


@dataclass
class LayerChunk:
    """A batch of a layer's features: their own fields, their geometry, and where the batch starts."""

    attributes: pa.Table  # the layer's own fields, as text/number columns as delivered
    geometry: np.ndarray  # shapely geometries (may contain None / empty), same length
    first_row: int  # 1-based feature number of the chunk's first feature in the layer


# ---------------------------------------------------------------------------------------------- what a file is


def layer_format(path: Path) -> str | None:
    """``gpkg``, ``shapefile``, ``filegdb`` or ``geoparquet`` by what the file (or folder) holds; None otherwise.

    A delivery is asked this by every step that lists, hashes or reads it: the answer is kept for as long as the
    file's size and modification time stay the same."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return None
    return _layer_format(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _layer_format(name: str, _mtime_ns: int, _size: int) -> str | None:
    path = Path(name)
    if path.is_dir():
        return "filegdb" if path.suffix.lower() == ".gdb" and any(path.glob("*.gdbtable")) else None
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head.startswith(SHP_MAGIC):
        return "shapefile"
    if head.startswith(SQLITE_MAGIC):
        return "gpkg" if _has_gpkg_contents(path) else None
    if head.startswith(b"PAR1"):
        return "geoparquet" if _geo_metadata(path) is not None else None
    return None


def is_layer_delivery(path: Path) -> bool:
    return layer_format(path) is not None


def _has_gpkg_contents(path: Path) -> bool:
    try:
        with sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True) as con:
            found = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'gpkg_contents'").fetchone()[0]
        return bool(found)
    except sqlite3.Error:
        return False


def _geo_metadata(path: Path) -> dict | None:
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError):
        return None
    if b"geo" not in metadata:
        return None
    try:
        return json.loads(metadata[b"geo"])
    except ValueError:
        return None


def shapefile_members(path: Path) -> list[Path]:
    """The files of a Shapefile set, the ``.shp`` first: the siblings of its stem (any case of extension)."""
    path = Path(path)
    stem = path.stem.lower()
    wanted = {stem + ext for ext in SHAPEFILE_SIBLINGS} | {path.name.lower() + ".xml"}
    siblings = sorted(path.parent / name for name in _files_in(path.parent) if name.lower() in wanted)
    return [path, *siblings]


def _files_in(folder: Path) -> tuple[str, ...]:
    """The names of the files in a folder (kept while the folder's modification time stays the same)."""
    try:
        return _listing(str(folder), folder.stat().st_mtime_ns)
    except OSError:
        return ()


@functools.lru_cache(maxsize=1024)
def _listing(folder: str, _mtime_ns: int) -> tuple[str, ...]:
    with os.scandir(folder) as entries:
        return tuple(entry.name for entry in entries if entry.is_file())


def missing_shapefile_parts(path: Path) -> list[str]:
    """The required files of a Shapefile set that are not beside its ``.shp`` (``.shx``, ``.dbf``)."""
    present = {p.suffix.lower() for p in shapefile_members(path)[1:]}
    return [Path(path).stem + ext for ext in SHAPEFILE_REQUIRED if ext not in present]


def delivery_members(path: Path) -> list[Path]:
    """The files one delivery is made of, in the order its hash takes them: a Shapefile set's files, a FileGDB
    folder's files (relative name order), else the file itself."""
    path = Path(path)
    if path.is_dir():
        return sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: p.relative_to(path).as_posix())
    if layer_format(path) == "shapefile":
        return sorted(shapefile_members(path), key=lambda p: p.name)
    return [path]


def shapefile_encoding(path: Path) -> str:
    """The ``.dbf``'s text encoding: the one its ``.cpg`` names (``UTF-8``, ``936``, ``ANSI 936`` …), else GBK."""
    cpg = next((p for p in shapefile_members(path) if p.suffix.lower() == ".cpg"), None)
    if cpg is None:
        return DEFAULT_DBF_ENCODING
    named = cpg.read_bytes().decode("ascii", errors="replace").strip()
    word = named.upper().removeprefix("ANSI").strip()
    if word.isdigit():
        word = {"65001": "UTF-8", "936": "GBK", "88591": "ISO-8859-1", "54936": "GB18030"}.get(word, f"cp{word}")
    try:
        codecs.lookup(word)
    except LookupError:
        raise InputFileError(cpg, f"names an unknown text encoding {named!r} / 编码无法识别") from None
    return word


def layer_encoding(path: Path) -> str | None:
    """The encoding to read the layer's text with: a Shapefile's (see ``shapefile_encoding``); the others are UTF-8."""
    return shapefile_encoding(path) if layer_format(path) == "shapefile" else None


# ---------------------------------------------------------------------------------------------- which layer


def layer_names(path: Path) -> list[str]:
    """The layers of a delivery that hold geometry (a GeoParquet file is one layer, named by its stem)."""
    path = Path(path)
    if layer_format(path) == "geoparquet":
        return [path.stem]
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio's DataSourceError and GDAL's own
        raise InputFileError(path, f"the layer file cannot be opened ({_short(exc)}) / 图层文件无法打开") from None
    return [str(name) for name, geometry in listed if geometry is not None]


def choose_layer(path: Path, category: str | None, declared: str | None) -> str:
    """The one layer to read: the only one, else the one named for the category (DLTB, SLZYZC …), else the run's
    ``--layer``; a choice the file does not settle stops it, listing its layers (DOMAIN §6)."""
    names = layer_names(path)
    if not names:
        raise InputFileError(path, "holds no layer with geometry / 文件中没有空间图层")
    if len(names) == 1:
        return names[0]
    wanted = CATEGORY_LAYERS.get(category or "", ())
    named = [n for n in names if n.lower() in wanted]
    if len(named) == 1:
        return named[0]
    if declared:
        chosen = [n for n in names if n.lower() == declared.lower()]
        if chosen:
            return chosen[0]
    listed = ", ".join(names)
    expected = " / ".join(n.upper() if n.isascii() else n for n in wanted) or "the category"
    said = f"; it has no layer {declared!r} (--layer)" if declared else ""
    raise InputFileError(
        path,
        f"holds {len(names)} layers ({listed}) and none is named for the {category or ''} inventory ({expected})"
        f"{said}: name the layer with --layer / 文件含多个图层，请用 --layer 指定",
    )


# ---------------------------------------------------------------------------------------------- its coordinates


@dataclass(frozen=True)
class LayerDescription:
    """What is known of a layer before its features are read: its coordinate system as delivered (None when it
    carries none), its own fields' names and its bounding box (xmin, ymin, xmax, ymax; NaN without geometry)."""

    crs: pyproj.CRS | None
    fields: list[str]
    bounds: tuple[float, float, float, float]


def describe_layer(path: Path, layer: str) -> LayerDescription:
    """The layer's coordinate system, fields and bounds, from one look at the file (GDAL's layer information, or
    a GeoParquet file's ``geo`` metadata and schema). A GeoParquet column without ``crs`` is taken as carrying
    none, not as the OGC:CRS84 default the format assumes."""
    path = Path(path)
    if layer_format(path) == "geoparquet":
        geo = _geo_metadata(path) or {}
        column = geo.get("columns", {}).get(geo.get("primary_column", ""), {})
        crs = column.get("crs")
        geometry_columns = set(geo.get("columns", {})) | {geo.get("primary_column", "geometry")}
        fields = [name for name in pq.read_schema(path).names if name not in geometry_columns]
        return LayerDescription(
            pyproj.CRS.from_json_dict(crs) if isinstance(crs, dict) else None, fields, _geoparquet_bounds(path)
        )
    try:
        info = pyogrio.read_info(path, layer=layer, encoding=layer_encoding(path), force_total_bounds=True)
    except Exception as exc:
        raise InputFileError(path, f"layer {layer}: cannot be read ({_short(exc)}) / 图层无法读取") from None
    bounds = info.get("total_bounds")
    return LayerDescription(
        pyproj.CRS.from_user_input(info["crs"]) if info.get("crs") else None,
        [str(name) for name in info["fields"]],
        tuple(float(b) for b in bounds) if bounds is not None else (np.nan,) * 4,
    )


def layer_crs(path: Path, layer: str) -> pyproj.CRS | None:
    """The layer's coordinate system as delivered, or None when it carries none."""
    return describe_layer(path, layer).crs


def layer_bounds(path: Path, layer: str) -> tuple[float, float, float, float]:
    """The layer's bounding box (xmin, ymin, xmax, ymax) in its own coordinates, NaN when it has no geometry."""
    return describe_layer(path, layer).bounds


def _geoparquet_bounds(path: Path) -> tuple[float, float, float, float]:
    boxes = [shapely.total_bounds(chunk.geometry) for chunk in read_layer(path)]
    if not boxes:
        return (np.nan,) * 4
    stacked = np.array(boxes)
    with np.errstate(all="ignore"):
        return (
            float(np.nanmin(stacked[:, 0])),
            float(np.nanmin(stacked[:, 1])),
            float(np.nanmax(stacked[:, 2])),
            float(np.nanmax(stacked[:, 3])),
        )


# ---------------------------------------------------------------------------------------------- its features


def read_layer(
    path: Path, layer: str | None = None, batch_rows: int = 200_000, geometry: bool = True
) -> Iterator[LayerChunk]:
    """The layer's features in batches of at most ``batch_rows``, numbered from 1 in the layer's order; without
    ``geometry`` their fields only (the chunks' geometry all None), for what reads a layer as a table."""
    path = Path(path)
    fmt = layer_format(path)
    if fmt is None:
        raise InputFileError(path, "is not a layer (GeoPackage, Shapefile, FileGDB or GeoParquet) / 不是空间图层文件")
    if fmt == "geoparquet":
        yield from _geoparquet_chunks(path, batch_rows, geometry)
        return
    layer = layer or choose_layer(path, None, None)
    first = 1
    try:
        with pyogrio.open_arrow(
            path,
            layer=layer,
            encoding=layer_encoding(path),
            batch_size=batch_rows,
            use_pyarrow=True,
            read_geometry=geometry,
        ) as (meta, reader):
            geometry_name = meta.get("geometry_name") or "wkb_geometry"
            for batch in reader:
                table = pa.Table.from_batches([batch])
                wkb = table.column(geometry_name) if geometry_name in table.column_names else None
                attributes = table.drop_columns([geometry_name]) if wkb is not None else table
                yield LayerChunk(attributes, _from_wkb(path, wkb, table.num_rows), first)
                first += table.num_rows
    except InputFileError:
        raise
    except Exception as exc:  # GDAL's errors on a damaged file or a bad encoding
        raise InputFileError(
            path, f"layer {layer}: cannot be read after feature {first - 1} ({_short(exc)}) / 图层无法读取"
        ) from None
    if first == 1:  # no features: the fields are still checked
        names = pyogrio.read_info(path, layer=layer, encoding=layer_encoding(path))["fields"]
        empty = pa.table({str(n): pa.array([], pa.string()) for n in names})
        yield LayerChunk(empty, np.array([], dtype=object), 1)


def _geoparquet_chunks(path: Path, batch_rows: int, geometry: bool = True) -> Iterator[LayerChunk]:
    geo = _geo_metadata(path) or {}
    primary = geo.get("primary_column", "geometry")
    encoding = str(geo.get("columns", {}).get(primary, {}).get("encoding", "WKB"))
    if encoding.upper() != "WKB":
        raise InputFileError(path, f"GeoParquet geometry encoded as {encoding}: deliver WKB / 几何编码须为WKB")
    geometry_columns = list(geo.get("columns", {})) or [primary]
    parquet = pq.ParquetFile(path)
    if primary not in parquet.schema_arrow.names:
        raise InputFileError(path, f"GeoParquet has no geometry column {primary!r} / 缺少几何字段")
    first = 1
    fields = [name for name in parquet.schema_arrow.names if name not in geometry_columns]
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=None if geometry else fields):
        table = pa.Table.from_batches([batch])
        attributes = table.drop_columns([c for c in geometry_columns if c in table.column_names])
        wkb = table.column(primary) if geometry else None
        yield LayerChunk(attributes, _from_wkb(path, wkb, table.num_rows), first)
        first += table.num_rows
    if first == 1:
        fields = [f for f in parquet.schema_arrow if f.name not in geometry_columns]
        yield LayerChunk(pa.schema(fields).empty_table(), np.array([], dtype=object), 1)


def _from_wkb(path: Path, wkb, n: int) -> np.ndarray:
    """WKB → shapely geometries (None stays None); a feature whose WKB does not decode is a missing geometry."""
    if wkb is None:
        return np.full(n, None, dtype=object)
    array = wkb.combine_chunks() if isinstance(wkb, pa.ChunkedArray) else wkb
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    try:
        geometry = shapely.from_wkb(array.to_numpy(zero_copy_only=False), on_invalid="ignore")
    except NotImplementedError:  # GEOS has no arcs: CircularString, CurvePolygon, MultiSurface …
        raise InputFileError(
            path,
            "the layer holds curved geometries (arcs, CurvePolygon / MultiSurface): export it with arcs densified "
            "to polygons / 图层含曲线要素，请将曲线加密为折线后重新导出",
        ) from None
    return shapely.force_2d(geometry) if shapely.has_z(geometry).any() else geometry  # heights carry no area


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
