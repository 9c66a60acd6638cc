"""平差 (DOMAIN §6): the pieces an overlay cuts a parcel into, adjusted so they add up exactly to its official area.

A parcel's TBMJ is the survey's official area; the area shapely computes for its polygon differs from it by the
survey's own rounding and by the projection. So computed areas are only ever used as proportions: piece i of a
parcel of official area T (cents of m²) whose pieces' computed areas a_i add up to A gets round-half-up(T·a_i/A)
cents, and the rounding remainder T − Σ piece_i goes to the largest piece (ties: the first in piece order), so the
pieces add up to T exactly. Everything is integer cents (int64), vectorised over all parcels at once.

Shares and weights are kept to 10 decimals as integer units of 1e-10, computed from cents without a float in
between, so a published share is exactly the adjusted area over the official one, rounded half up.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# pieces under half a cent of m² are slivers of drawing, not ground: rounding at 0.01 m² would drop them anyway
SLIVER_M2 = 0.005
SHARE_UNITS = 10**10  # a share or weight of 1 in units of 1e-10
_HALF_SHARE = 10**5  # SHARE_UNITS = _HALF_SHARE², so cents × 1e5 never leaves int64


def to_cents(area_m2: np.ndarray) -> np.ndarray:
    """Areas in m² (as delivered, two decimals) as int64 cents, rounded half up."""
    return np.floor(np.asarray(area_m2, dtype=np.float64) * 100 + 0.5).astype(np.int64)


def round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5).astype(np.int64)


def adjust_pair(inside: np.ndarray, outside: np.ndarray, official: np.ndarray) -> np.ndarray:
    """The adjusted cents of the inside piece of parcels cut in two (inside a zone, outside it).

    ``inside`` and ``outside`` are computed areas (any unit), ``official`` the TBMJ in cents; the outside piece is
    ``official`` − the result. The remainder goes to the larger piece, the inside one on a tie (it comes first).
    """
    total = inside + outside
    safe = np.where(total > 0, total, 1.0)
    pin = round_half_up(official * (inside / safe))
    pout = round_half_up(official * (outside / safe))
    remainder = official - pin - pout
    # a parcel of no computed area (a degenerate polygon) has nothing inside: its TBMJ stays outside every zone
    return np.where((inside >= outside) & (total > 0), pin + remainder, pin)


def group_order(groups: np.ndarray, computed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pieces sorted by parcel, the largest first within each (ties: piece order), and where each parcel starts."""
    order = np.lexsort((np.arange(len(groups)), -computed, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]) if len(order) else order
    return order, starts


def adjust(groups: np.ndarray, computed: np.ndarray, official: np.ndarray) -> np.ndarray:
    """The adjusted cents of each piece: ``groups[i]`` is the index of piece i's parcel in ``official`` (TBMJ in
    cents), ``computed[i]`` its computed area. Every parcel named in ``groups`` gets pieces adding up to its TBMJ."""
    groups = np.asarray(groups, dtype=np.int64)
    computed = np.asarray(computed, dtype=np.float64)
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    total = np.bincount(groups, weights=computed, minlength=len(official))
    parcel_total = total[groups]
    fraction = np.divide(computed, parcel_total, out=np.zeros_like(computed), where=parcel_total > 0)
    pieces = round_half_up(official[groups] * fraction)
    order, starts = group_order(groups, computed)
    sums = np.add.reduceat(pieces[order], starts)
    largest = order[starts]
    pieces[largest] += official[groups[largest]] - sums
    return pieces


def share_units(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole (int64 cents) in units of 1e-10, rounded half up; 0 where whole is 0. Exact integer arithmetic:
    (part·1e5 // whole)·1e5 plus the rounded rest, so no product leaves int64 for parcels up to 10⁹ m²."""
    part = np.asarray(part, dtype=np.int64)
    whole = np.asarray(whole, dtype=np.int64)
    safe = np.where(whole > 0, whole, 1)
    high, rest = np.divmod(part * _HALF_SHARE, safe)
    low = (2 * rest * _HALF_SHARE + safe) // (2 * safe)
    return np.where(whole > 0, high * _HALF_SHARE + low, 0)


def weights(groups: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """Each piece's weight within its parcel (units of 1e-10): its cents over the parcel's pieces' cents, rounded,
    the remainder to the largest piece so a parcel's weights add up to exactly 1 (parcels of positive total)."""
    groups = np.asarray(groups, dtype=np.int64)
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    order, starts = group_order(groups, cents.astype(np.float64))
    totals = np.add.reduceat(cents[order], starts)
    whole = np.empty(len(groups), dtype=np.int64)
    whole[order] = np.repeat(totals, np.diff(np.r_[starts, len(order)]))
    units = share_units(cents, whole)
    sums = np.add.reduceat(units[order], starts)
    largest = order[starts]
    units[largest] += np.where(totals > 0, SHARE_UNITS - sums, 0)
    return units


def unscaled_decimal(values: np.ndarray, scale: int, valid: np.ndarray | None = None, precision: int = 18) -> pa.Array:
    """A decimal128(precision, scale) Arrow array whose unscaled integers are ``values`` (cents → scale 2, share
    units → scale 10), null where ``valid`` is False: built from the buffers, exact, no per-value conversion."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # two's complement sign extension to 128 bits (little endian)
    bitmap = None if valid is None else pa.array(np.asarray(valid, dtype=bool)).buffers()[1]
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(values), [bitmap, pa.py_buffer(words.tobytes())])
