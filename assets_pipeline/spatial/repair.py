"""Geometry faults of delivered polygons (DOMAIN §6): what is kept, what is repaired, what rejects the feature.

A feature with no geometry, or an empty one, cannot be placed on the base map: its row is rejected, with its file
and feature number, so the county redraws it. An invalid polygon (a bow-tie, a ring crossing itself) is what
digitising leaves behind every day; refusing it would reject good parcels for a drawing slip, so it is repaired
with ``shapely.make_valid`` and listed with its area before and after, for the county to see what was changed.
Only polygonal parts are kept: a repair can leave a stray line or point, which has no area to account for.
Everything is done at once over the batch (shapely 2's vectorised functions), never feature by feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

POLYGON, MULTIPOLYGON = 3, 6  # shapely.get_type_id
MISSING, EMPTY, NOT_POLYGON = "geometry_missing", "geometry_empty", "geometry_not_polygon"


@dataclass
class CleanPolygons:
    """A batch's geometries made fit for areas, and what was wrong with each feature."""

    geometry: np.ndarray  # polygonal geometries, None where the feature has no usable one
    fault: np.ndarray  # object: None, or MISSING / EMPTY / NOT_POLYGON (the feature's row is rejected)
    repaired: np.ndarray  # bool: an invalid polygon repaired
    problem: np.ndarray  # object: shapely.is_valid_reason of a repaired polygon, else None
    area_before: np.ndarray  # float: a repaired polygon's area as delivered, else NaN


def clean_polygons(geometries: np.ndarray) -> CleanPolygons:
    """Missing, empty and non-polygonal features marked; invalid polygons repaired; polygonal parts kept."""
    geometries = np.asarray(geometries, dtype=object)
    n = len(geometries)
    missing = shapely.is_missing(geometries)
    empty = ~missing & shapely.is_empty(geometries)
    present = ~missing & ~empty
    invalid = present & ~shapely.is_valid(geometries)
    problem = np.full(n, None, dtype=object)
    area_before = np.full(n, np.nan)
    out = geometries.copy()
    if invalid.any():
        problem[invalid] = shapely.is_valid_reason(geometries[invalid])
        area_before[invalid] = shapely.area(geometries[invalid])
        out[invalid] = shapely.make_valid(geometries[invalid])
    types = shapely.get_type_id(out)
    mixed = present & (types != POLYGON) & (types != MULTIPOLYGON)
    if mixed.any():
        out[mixed] = polygonal_parts(out[mixed])
    not_polygon = present & (shapely.is_missing(out) | shapely.is_empty(out))
    out[~present | not_polygon] = None
    fault = np.full(n, None, dtype=object)
    fault[missing], fault[empty], fault[not_polygon] = MISSING, EMPTY, NOT_POLYGON
    return CleanPolygons(out, fault, invalid, problem, area_before)


def polygonal_parts(geometries: np.ndarray) -> np.ndarray:
    """Each geometry's polygons as one MultiPolygon (None where it has none): the lines and points a collection
    holds are dropped. Nested collections are opened down to their polygons."""
    geometries = np.asarray(geometries, dtype=object)
    parts, owner = geometries, np.arange(len(geometries))
    for _ in range(8):  # a collection nested deeper than this is not a digitised parcel
        types = shapely.get_type_id(parts)
        if not np.isin(types, (MULTIPOLYGON, 7)).any():  # 7: GeometryCollection
            break
        parts, index = shapely.get_parts(parts, return_index=True)
        owner = owner[index]
    keep = shapely.get_type_id(parts) == POLYGON
    result = np.full(len(geometries), None, dtype=object)
    if keep.any():
        owners = np.unique(owner[keep])  # parts come in their owners' order
        result[owners] = shapely.multipolygons(parts[keep], indices=np.searchsorted(owners, owner[keep]))
    return result
