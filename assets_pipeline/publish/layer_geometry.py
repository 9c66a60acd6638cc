"""Geometry as the layers handed back hold it (DOMAIN §6): polygons only, one coordinate system per file, the
pieces of an overlay cut again from the shapes they came from, and GeoParquet's ``geo`` metadata.

Everything here works on whole arrays of geometries (shapely 2, pyproj): a county's features at once, never one
feature at a time.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyproj
import shapely

from assets_pipeline.spatial.crs import CGCS2000, reproject

POLYGON = 3  # shapely.get_type_id of a Polygon
EMPTY = shapely.from_wkt("MULTIPOLYGON EMPTY")


def multipolygons(geometries: np.ndarray) -> np.ndarray:
    """Every geometry as a MultiPolygon of its polygonal parts: a layer is typed (a FileGDB feature class holds one
    geometry type), and an intersection may leave lines or points where two shapes only touch. A geometry with no
    polygonal part becomes an empty MultiPolygon."""
    parts, index = shapely.get_parts(geometries, return_index=True)
    keep = shapely.get_type_id(parts) == POLYGON
    out = np.empty(len(geometries), dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=index[keep], out=out)
    out[shapely.is_missing(out)] = EMPTY
    return out


def in_epsg(geometries: np.ndarray, epsgs: np.ndarray, target: int) -> np.ndarray:
    """The geometries in EPSG ``target``: each group of features in another system reprojected at once (a county's
    layers are normally all in its own zone; a layer delivered projected in a neighbour's zone is kept so by
    ingest, DOMAIN §6)."""
    out = np.asarray(geometries, dtype=object).copy()
    epsgs = np.asarray(epsgs)
    present = ~shapely.is_missing(out)
    for epsg in np.unique(epsgs[(epsgs != target) & present]):
        mask = (epsgs == epsg) & present
        out[mask] = reproject(out[mask], pyproj.CRS.from_epsg(int(epsg)), pyproj.CRS.from_epsg(int(target)))
    return out


def main_epsg(epsgs: np.ndarray) -> int:
    """The zone most of a county's features are in: the one its layer files are written in."""
    values, counts = np.unique(np.asarray(epsgs), return_counts=True)
    return int(values[np.argmax(counts)])


def pieces_on_bases(inventory: np.ndarray, base: np.ndarray) -> np.ndarray:
    """A piece on a base parcel: the inventory row's shape cut by that parcel's."""
    return multipolygons(shapely.intersection(inventory, base))


def pieces_outside(inventory: np.ndarray, covers: np.ndarray, owner: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The piece outside every base parcel: the inventory row's shape less each base parcel it lies on.

    ``covers`` are the base parcels' shapes, ``owner`` the index (into ``inventory``) of the row each lies under,
    ``rank`` its number within that row (1, 2, …). The parcels are taken away one rank at a time, each round a
    single vectorised difference over every row that has a parcel of that rank — as many rounds as the most
    parcels one row lies on, not one per row."""
    out = np.asarray(inventory, dtype=object).copy()
    for r in range(1, int(rank.max(initial=0)) + 1):
        here = rank == r
        out[owner[here]] = shapely.difference(out[owner[here]], covers[here])
    return multipolygons(out)


def crs_projjson(epsg: int) -> dict:
    return json.loads(pyproj.CRS.from_epsg(epsg).to_json())


def geoparquet_schema(schema: pa.Schema, epsg: int) -> pa.Schema:
    """``schema`` with GeoParquet 1.1 ``geo`` metadata: the WKB column ``geometry``, MultiPolygons, its CRS as
    PROJJSON."""
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["MultiPolygon"],
                "crs": crs_projjson(epsg),
                "edges": "planar",
            }
        },
    }
    return schema.with_metadata({**(schema.metadata or {}), b"geo": json.dumps(geo).encode("utf-8")})


def province_epsg(epsgs: list[int]) -> int:
    """The system of the province-wide GeoParquet: the counties' one zone if they share it, else geographic
    CGCS2000 (EPSG:4490), as a file holds one system; each feature keeps its zone in ``epsg``."""
    distinct = sorted(set(int(e) for e in epsgs))
    return distinct[0] if len(distinct) == 1 else CGCS2000
