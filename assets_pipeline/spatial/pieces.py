"""Inventory rows on the base map by overlay (DOMAIN §6, §2): the pieces of a forest, grassland or wetland polygon
delivered without a base-parcel id, each on one base parcel or outside every one, and what each piece finds.

A row's pieces are its intersections with the base parcels it meets, plus what lies outside them all; slivers
under PIECE_SLIVER_M2 (1 m²) are not pieces: two surveys digitised apart leave gaps and overshoots of that size
along every shared edge, and reporting each as an inconsistent piece would bury the real ones (decision; their
area goes to the row's other pieces by the 平差). The pieces are adjusted
(平差) to the row's delivered area, so the inconsistent area reported is part of what the inventory delivered.

Findings per piece, the first that applies (as ``consistency.findings`` orders them for linked rows):
``missing_base`` (outside every base parcel), ``class_mismatch`` (the base class's category, by
``reference_tables/land_classes.csv`` with a trailing K keeping its stem's, is not the inventory's),
``ownership_mismatch`` (state 10/20 against collective; forest compares its land ownership), ``county_mismatch``.

The row's link is the base parcel of its largest piece on the base map (adjusted area); on a tie the piece
without a finding, then the smallest base parcel id: a row half on its own class and half on another is linked
to the parcel of its own class. A row outside every base parcel links to none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from assets_pipeline.spatial.adjust import adjust
from assets_pipeline.spatial.overlaps import shrunk

PIECE_SLIVER_M2 = 1.0  # pieces under this are digitising slivers, no pieces (see the module's docstring)

INVENTORY_CATEGORIES = ("forest", "grassland", "wetland")
OWNERSHIP_COLUMN = {"forest": "land_ownership", "grassland": "ownership", "wetland": "ownership"}


def base_categories(land_classes: pa.Table) -> dict[str, str]:
    """Category of each land class code and its K form: forest, grassland, wetland, else 'land'."""
    codes = land_classes.column("land_class").to_pylist()
    categories = land_classes.column("category").to_pylist()
    found = {c: (k if k in INVENTORY_CATEGORIES else "land") for c, k in zip(codes, categories, strict=True)}
    found.update({f"{c}K": k for c, k in list(found.items())})
    return found


@dataclass
class Pieces:
    row: np.ndarray  # index of the inventory row
    base: np.ndarray  # index of the base parcel, -1 outside every one
    cents: np.ndarray  # adjusted area, cents


def cut_pieces(rows: np.ndarray, row_area: np.ndarray, row_cents: np.ndarray, base: np.ndarray) -> Pieces:
    """The pieces of each row on the base parcels (STRtree, one vectorised intersection) and outside them,
    adjusted to the rows' delivered areas. Every row has at least one piece. Pieces are ordered by row, then base
    parcel index, the outside piece last."""
    row_area = np.asarray(row_area, dtype=np.float64)
    if len(base) and len(rows):
        # shrunk rows: base parcels the row only touches are no candidates (overlaps.shrunk)
        row_i, base_j = shapely.STRtree(base).query(shrunk(rows), predicate="intersects")
        area = shapely.area(shapely.intersection(rows[row_i], base[base_j]))
        # what the base map covers, slivers included: a sliver dropped below is no part of the outside piece
        covered = np.bincount(row_i, weights=area, minlength=len(rows))
        keep = area > PIECE_SLIVER_M2
        row_i, base_j, area = row_i[keep], base_j[keep], area[keep]
    else:
        row_i, base_j, area = (np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0),)
        covered = np.zeros(len(rows))
    outside = row_area - covered
    has_piece = np.bincount(row_i, minlength=len(rows)) > 0
    out = np.flatnonzero((outside > PIECE_SLIVER_M2) | ~has_piece)
    row_i = np.concatenate([row_i, out]).astype(np.int64)
    base_j = np.concatenate([base_j, np.full(len(out), -1)]).astype(np.int64)
    area = np.concatenate([area, np.maximum(outside[out], 0.0)])
    order = np.lexsort((np.where(base_j < 0, np.iinfo(np.int64).max, base_j), row_i))
    row_i, base_j, area = row_i[order], base_j[order], area[order]
    return Pieces(row_i, base_j, adjust(row_i, area, np.asarray(row_cents, dtype=np.int64)))


FINDING_TYPES = ("missing_base", "class_mismatch", "ownership_mismatch", "county_mismatch")


def piece_findings(
    pieces: Pieces,
    category: str,
    base_category: np.ndarray,
    base_state: np.ndarray,
    base_region: np.ndarray,
    row_state: np.ndarray,
    row_region: np.ndarray,
) -> np.ndarray:
    """Each piece's finding (object array, None where consistent), the first that applies."""
    j = np.maximum(pieces.base, 0)
    outside = pieces.base < 0
    if len(base_category):
        other_class = base_category[j] != category
        other_owner = base_state[j] != row_state[pieces.row]
        other_county = base_region[j] != row_region[pieces.row]
    else:
        other_class = other_owner = other_county = np.zeros(len(j), dtype=bool)
    finding = np.full(len(j), None, dtype=object)
    for applies, name in reversed(
        list(zip((outside, other_class, other_owner, other_county), FINDING_TYPES, strict=True))
    ):
        finding[applies] = name  # the four findings, the first listed winning
    return finding


def links(pieces: Pieces, findings: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the base parcel index its largest base piece stands on (-1 when none) and its number of pieces."""
    on_base = np.flatnonzero(pieces.base >= 0)
    order = np.lexsort(
        (pieces.base[on_base], findings[on_base] != None, -pieces.cents[on_base], pieces.row[on_base])  # noqa: E711
    )
    ranked = on_base[order]
    first = np.r_[True, pieces.row[ranked][1:] != pieces.row[ranked][:-1]] if len(ranked) else np.zeros(0, bool)
    link = np.full(n_rows, -1, dtype=np.int64)
    link[pieces.row[ranked[first]]] = pieces.base[ranked[first]]
    return link, np.bincount(pieces.row, minlength=n_rows)


def lookup(codes: pa.ChunkedArray | pa.Array, mapping: dict, default) -> np.ndarray:
    """``mapping[code]`` for each code (``default`` for codes not in it), through one Arrow hash lookup."""
    found = pc.index_in(codes, value_set=pa.array(list(mapping), pa.string()))
    values = np.array(list(mapping.values()) + [default], dtype=object)
    return values[pc.fill_null(found, len(mapping)).to_numpy(zero_copy_only=False)]
