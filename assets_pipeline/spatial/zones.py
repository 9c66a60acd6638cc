"""Zone shares (DOMAIN §6): each parcel's adjusted area inside a control zone (生态保护红线, 永久基本农田 …) and the
delivered figures that disagree with it.

A zone is the union of its layer's polygons (overlapping polygons must not count ground twice), kept as the
union's disjoint parts (large ones cut into tiles) in an STRtree: a parcel's computed area inside the zone is the sum of its intersections
with the parts it meets, a parcel wholly inside one part taking its own area without an intersection. The parcel
is then cut in two pieces, inside and outside, adjusted (平差) to its TBMJ, so the inside area is what the
ledgers' "of which" memos use and the share is that area over TBMJ, both exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from assets_pipeline.spatial.adjust import adjust_pair, share_units, to_cents


@dataclass
class PolygonIndex:
    """Disjoint polygons (the parts of a union) with a label each, prepared and indexed for queries."""

    parts: np.ndarray
    labels: np.ndarray  # a label per part (a price level's position in ``codes``)
    tree: shapely.STRtree
    codes: np.ndarray | None = None  # what the labels stand for (price level codes)


def union_parts(geometry: np.ndarray) -> np.ndarray:
    """The polygons of the union of ``geometry``: disjoint, so their areas add up without double counting."""
    geometry = geometry[~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)]
    if not len(geometry):
        return np.zeros(0, dtype=object)
    return shapely.get_parts(shapely.union_all(geometry))


MAX_VERTICES = 256  # a part with more is cut into tiles: an intersection costs the vertices of both polygons


def tiled(parts: np.ndarray, max_vertices: int = MAX_VERTICES) -> np.ndarray:
    """Large parts cut along a grid into tiles of about ``max_vertices`` vertices. The tiles of a part are
    disjoint, so their areas still add up to the part's; a parcel then meets a few small tiles instead of one
    province-long polygon, and most parcels lie wholly inside one tile."""
    counts = shapely.get_num_coordinates(parts)
    big = np.flatnonzero(counts > max_vertices)
    if not len(big):
        return parts
    pieces = [np.delete(parts, big)]
    for k in big:  # a loop over the few large parts of a zone
        side = int(np.ceil(np.sqrt(counts[k] / max_vertices)))
        x0, y0, x1, y1 = shapely.bounds(parts[k])
        xs, ys = np.linspace(x0, x1, side + 1), np.linspace(y0, y1, side + 1)
        gx, gy = np.meshgrid(np.arange(side), np.arange(side))
        tiles = shapely.box(xs[gx.ravel()], ys[gy.ravel()], xs[gx.ravel() + 1], ys[gy.ravel() + 1])
        cut = shapely.get_parts(shapely.intersection(parts[k], tiles))
        pieces.append(cut[shapely.get_type_id(cut) == shapely.GeometryType.POLYGON])
    return np.concatenate(pieces)


def polygon_index(parts: np.ndarray, labels: np.ndarray | None = None, codes: np.ndarray | None = None) -> PolygonIndex:
    shapely.prepare(parts)
    labels = np.zeros(len(parts), dtype=np.int64) if labels is None else labels
    return PolygonIndex(parts, labels, shapely.STRtree(parts), codes)


def zone_index(geometry: np.ndarray) -> PolygonIndex:
    return polygon_index(tiled(union_parts(geometry)))


def intersection_pairs(
    parcels: np.ndarray, parcel_area: np.ndarray, index: PolygonIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (parcel, part) pair that meets, with the computed area they share: the parcel's own area where the
    part holds it whole (a prepared test, no intersection), else the intersection's area."""
    if not len(parcels) or not len(index.parts):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    parcel_i, part_j = index.tree.query(parcels, predicate="intersects")
    whole = shapely.contains_properly(index.parts[part_j], parcels[parcel_i])
    area = parcel_area[parcel_i].astype(np.float64)
    cut = ~whole
    area[cut] = shapely.area(shapely.intersection(parcels[parcel_i[cut]], index.parts[part_j[cut]]))
    return parcel_i, part_j, area


def inside_area(parcels: np.ndarray, parcel_area: np.ndarray, index: PolygonIndex) -> np.ndarray:
    """Each parcel's computed area inside the index's union, at most its own area."""
    parcel_i, _, area = intersection_pairs(parcels, parcel_area, index)
    inside = np.bincount(parcel_i, weights=area, minlength=len(parcels))
    return np.minimum(inside, parcel_area)


@dataclass
class ZoneShares:
    area_cents: np.ndarray  # adjusted area inside the zone, cents
    share_units: np.ndarray  # area / TBMJ in units of 1e-10
    delivered_cents: np.ndarray  # the delivery's own figure, cents (0 where not delivered)
    delivered: np.ndarray  # bool: the delivery states the figure
    finding: np.ndarray  # bool: delivered and computed differ beyond the tolerance


def zone_shares(
    parcels: np.ndarray,
    parcel_area: np.ndarray,
    official_cents: np.ndarray,
    index: PolygonIndex,
    delivered_m2: np.ndarray | None,
    tolerance: float,
) -> ZoneShares:
    """One zone's adjusted areas and shares for a county's parcels, and the delivered figures beyond tolerance
    (more than ``tolerance`` × TBMJ and more than 0.01 m² apart, DOMAIN §6)."""
    parcel_area = np.asarray(parcel_area, dtype=np.float64)
    inside = inside_area(parcels, parcel_area, index)
    cents = adjust_pair(inside, parcel_area - inside, official_cents)
    if delivered_m2 is None:
        delivered = np.zeros(len(parcels), dtype=bool)
        delivered_cents = np.zeros(len(parcels), dtype=np.int64)
    else:
        delivered_m2 = np.asarray(delivered_m2, dtype=np.float64)
        delivered = ~np.isnan(delivered_m2)
        delivered_cents = np.where(delivered, to_cents(np.nan_to_num(delivered_m2)), 0)
    difference = np.abs(delivered_cents - cents)
    finding = delivered & (difference > 1) & (difference > tolerance * official_cents)
    return ZoneShares(cents, share_units(cents, official_cents), delivered_cents, delivered, finding)
