"""Base parcels overlapping each other (DOMAIN §6): the same ground counted twice in the land survey.

Two parcels of one county whose interiors meet — one crossing the other's boundary (``overlaps``) or one holding
the other (``contains``, equal polygons included) — are found with prepared predicates in an STRtree, which
leaves out the neighbours that only share a boundary (most pairs) without computing their intersection. A pair
counts when the area it shares is over half a cent (0.005 m²), what the accounts' 0.01 m² would show; each pair
once, the lower index (the smaller parcel id, parcels being in id order) first.
"""

from __future__ import annotations

import numpy as np
import shapely

from assets_pipeline.spatial.adjust import SLIVER_M2, round_half_up


def overlapping_pairs(parcels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, overlap in cents) for each pair of parcels sharing more than 0.005 m², a < b."""
    if len(parcels) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    tree = shapely.STRtree(parcels)
    crossing = tree.query(parcels, predicate="overlaps")
    holding = tree.query(parcels, predicate="contains")
    pairs = np.concatenate([crossing, holding], axis=1)
    pairs = pairs[:, pairs[0] != pairs[1]]
    pairs = np.unique(np.sort(pairs, axis=0), axis=1)
    a, b = pairs[0].astype(np.int64), pairs[1].astype(np.int64)
    area = shapely.area(shapely.intersection(parcels[a], parcels[b]))
    keep = area > SLIVER_M2
    return a[keep], b[keep], round_half_up(area[keep] * 100)
