"""Price levels by overlay (DOMAIN §6): which 基准地价 级别 prices a parcel, or with what weights.

A parcel is overlaid with the level polygons of its own land use (parent class 05 commercial, 07 residential,
06 industrial, other construction 'other', 农用地 classes 'agricultural', as the land model prices them). Its
pieces (one per level it meets, plus the part outside every level) are adjusted (平差) to its TBMJ; a level
holding more than 90 % of the TBMJ prices the parcel alone ('dominant', weight 1), else the levels are weighted
by their pieces over the pieces inside levels ('weighted', weights to 10 decimals adding up exactly to 1), and a
parcel inside no level is 'outside' (unpriced, with that reason).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assets_pipeline.spatial.adjust import SHARE_UNITS, SLIVER_M2, adjust, weights
from assets_pipeline.spatial.zones import PolygonIndex, intersection_pairs, polygon_index, tiled, union_parts

CONSTRUCTION_PARENTS = ("05", "06", "07", "08", "09", "10")
USE_OF_PARENT = {"05": "commercial", "07": "residential", "06": "industrial"}


def land_use_of_classes(land_classes: pa.Table) -> dict[str, str]:
    """Land use per land class code (and its K form) from the year's land_classes snapshot: construction classes
    by parent class, 农用地 classes 'agricultural'; classes of neither (unused land) have none."""
    codes = land_classes.column("land_class").to_pylist()
    parents = land_classes.column("parent_class").to_pylist()
    groups = land_classes.column("land_group").to_pylist()
    uses: dict[str, str] = {}
    for code, parent, group in zip(codes, parents, groups, strict=True):  # the code list, not parcels
        level1 = parent or code
        if level1 in CONSTRUCTION_PARENTS:
            uses[code] = USE_OF_PARENT.get(level1, "other")
        elif group == "agricultural":
            uses[code] = "agricultural"
    uses.update({f"{code}K": use for code, use in list(uses.items())})
    return uses


def parcel_land_use(land_class: pa.ChunkedArray | pa.Array, uses: dict[str, str]) -> np.ndarray:
    """Each parcel's land use (None for classes priced by no level polygons)."""
    found = pc.index_in(land_class, value_set=pa.array(list(uses), pa.string()))
    names = np.array(list(uses.values()) + [None], dtype=object)
    return names[pc.fill_null(found, len(uses)).to_numpy(zero_copy_only=False)]


def level_index(geometry: np.ndarray, levels: np.ndarray) -> PolygonIndex:
    """One land use's level polygons: each level's union as disjoint parts, labelled by the level's position in
    the sorted level codes (``np.unique``), so overlapping polygons of one level never count twice."""
    codes, code_of = np.unique(levels.astype(str), return_inverse=True)
    parts, labels = [], []
    for k in range(len(codes)):  # a loop over the price levels, not the parcels
        level_parts = tiled(union_parts(geometry[code_of == k]))
        parts.append(level_parts)
        labels.append(np.full(len(level_parts), k, dtype=np.int64))
    return polygon_index(
        np.concatenate(parts) if parts else np.zeros(0, dtype=object),
        np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64),
        codes.astype(object),
    )


def price_weights(
    parcels: np.ndarray, parcel_area: np.ndarray, official_cents: np.ndarray, index: PolygonIndex
) -> dict[str, np.ndarray]:
    """The rows of price_weights for parcels of one land use: ``parcel_index``, ``level`` (its code, None when
    outside), ``weight_units`` (1e-10, -1 when outside) and ``rule``."""
    n = len(parcels)
    parcel_area = np.asarray(parcel_area, dtype=np.float64)
    parcel_i, part_j, area = intersection_pairs(parcels, parcel_area, index)
    shared = area > SLIVER_M2  # a level the parcel only touches is no piece of it
    parcel_i, part_j, area = parcel_i[shared], part_j[shared], area[shared]
    codes = index.codes if index.codes is not None else np.zeros(0, dtype=object)
    n_levels = max(len(codes), 1)
    # one piece per (parcel, level), levels in code order
    key, piece_of = np.unique(parcel_i * n_levels + index.labels[part_j], return_inverse=True)
    level_area = np.bincount(piece_of, weights=area, minlength=len(key))
    level_parcel, level = key // n_levels, key % n_levels
    inside = np.bincount(level_parcel, weights=level_area, minlength=n)
    outside = np.maximum(parcel_area - inside, 0.0)
    met = np.flatnonzero(inside > 0)
    groups = np.concatenate([level_parcel, met])
    cents = adjust(groups, np.concatenate([level_area, outside[met]]), official_cents)[: len(key)]

    level_cents = cents
    dominant = level_cents * 10 > 9 * official_cents[level_parcel]
    dominant_parcels = np.zeros(n, dtype=bool)
    dominant_parcels[level_parcel[dominant]] = True
    weighted = ~dominant_parcels[level_parcel] & (level_cents > 0)
    weighted_parcels = np.zeros(n, dtype=bool)
    weighted_parcels[level_parcel[weighted]] = True
    outside_parcels = np.flatnonzero(~dominant_parcels & ~weighted_parcels)
    w = weights(level_parcel[weighted], level_cents[weighted])

    parcel_index = np.concatenate([level_parcel[dominant], level_parcel[weighted], outside_parcels])
    rows = {
        "parcel_index": parcel_index,
        "level": np.concatenate([codes[level[dominant]], codes[level[weighted]], np.full(len(outside_parcels), None)]),
        "weight_units": np.concatenate(
            [np.full(int(dominant.sum()), SHARE_UNITS, dtype=np.int64), w, np.full(len(outside_parcels), -1)]
        ),
        "rule": np.concatenate(
            [
                np.full(int(dominant.sum()), "dominant", dtype=object),
                np.full(int(weighted.sum()), "weighted", dtype=object),
                np.full(len(outside_parcels), "outside", dtype=object),
            ]
        ),
    }
    order = np.lexsort((rows["level"].astype(str), parcel_index))
    return {name: values[order] for name, values in rows.items()}
