"""Base parcels overlapping each other (DOMAIN §6): the same ground counted twice in the land survey.

Neighbouring parcels share boundaries, so "intersects" holds for nearly every neighbour, and the DE-9IM tests that
tell touching from overlapping (``overlaps``, ``touches``) cost a relate per pair, ten times an STRtree query. So
each parcel is shrunk towards its centre by a relative 1e-7 (5 µm on a 50 m parcel, far above the coordinates'
precision) and the shrunk parcels are queried against the tree of the real ones with the prepared "intersects":
a neighbour that only touches no longer meets, while a parcel that crosses, holds or duplicates another still does.
The few candidate pairs then get their exact intersection area; a pair counts when it shares more than half a cent
(0.005 m², what the accounts' 0.01 m² would show; only slivers thinner than the shrink could slip through, and
those are far below it). Each pair once, the lower index (the smaller parcel id, parcels being in id order) first.
"""

from __future__ import annotations

import numpy as np
import shapely

from assets_pipeline.spatial.adjust import SLIVER_M2, round_half_up

SHRINK = 1e-7


def shrunk(parcels: np.ndarray, factor: float = 1 - SHRINK) -> np.ndarray:
    """Each parcel scaled by ``factor`` about the centre of its bounding box, every coordinate at once. (Any centre
    will do: every point moves by at most 1e-7 of its distance to it, so what only touched may at worst still meet —
    a candidate whose exact shared area is then zero — and the bounding box is cheaper than the centroid.)"""
    box = shapely.bounds(parcels)
    cx, cy = (box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2
    owner = np.repeat(np.arange(len(parcels)), shapely.get_num_coordinates(parcels))
    x0, y0 = cx[owner], cy[owner]
    return shapely.transform(
        parcels, lambda xy: np.column_stack([x0 + (xy[:, 0] - x0) * factor, y0 + (xy[:, 1] - y0) * factor])
    )


def overlapping_pairs(parcels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, overlap in cents) for each pair of parcels sharing more than 0.005 m², a < b."""
    if len(parcels) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    pairs = shapely.STRtree(parcels).query(shrunk(parcels), predicate="intersects")
    pairs = pairs[:, pairs[0] != pairs[1]]
    pairs = np.unique(np.sort(pairs, axis=0), axis=1)
    a, b = pairs[0].astype(np.int64), pairs[1].astype(np.int64)
    area = shapely.area(shapely.intersection(parcels[a], parcels[b]))
    keep = area > SLIVER_M2
    return a[keep], b[keep], round_half_up(area[keep] * 100)
