"""A county's base map and inventories year by year: the first year drawn afresh, each later year changed from the
one before (DOMAIN §5 balance accounts), with the inventories following their base parcels."""

from __future__ import annotations

import numpy as np

from assets_pipeline.sample.base_map import CountyState, Rows, assign_parcel_attributes, new_parcels, quantise_area
from assets_pipeline.sample.counties import County
from assets_pipeline.sample.inventories import refresh_inventories
from assets_pipeline.sample.province_figures import (
    APPEAR_SHARE,
    CLASS_CHANGE_SHARE,
    CLASS_TRANSITIONS,
    MERGE_SHARE,
    SPLIT_SHARE,
    VANISH_SHARE,
)
from assets_pipeline.sample.reference import Reference
from assets_pipeline.sample.streams import choose, stream


def first_county_state(county: County, ref: Reference, seed: int, year: int) -> CountyState:
    rng = stream(seed, "parcels", int(county.code), year)
    parcels = new_parcels(rng, county.parcels, 1, county, ref)
    state = CountyState(parcels, county.parcels + 1, Rows(), Rows(), Rows())
    refresh_inventories(state, county, ref, stream(seed, "inventories", int(county.code), year))
    return state


def evolve_county_state(state: CountyState, county: County, ref: Reference, seed: int, year: int) -> CountyState:
    """Next year's base map: most parcels persist with their id; some change class, are split, merged, vanish
    or appear (DOMAIN §5 balance accounts). Inventories follow their base parcels."""
    rng = stream(seed, "evolve", int(county.code), year)
    parcels = state.parcels.copy()
    n = len(parcels)
    u = rng.random(n)
    change = u < CLASS_CHANGE_SHARE
    split = (u >= CLASS_CHANGE_SHARE) & (u < CLASS_CHANGE_SHARE + SPLIT_SHARE)
    vanish = (u >= CLASS_CHANGE_SHARE + SPLIT_SHARE) & (u < CLASS_CHANGE_SHARE + SPLIT_SHARE + VANISH_SHARE)
    untouched = ~(change | split | vanish)

    # Merges: neighbours (i, i+1) of the same class, both otherwise untouched; the merged parcel gets a new id.
    land_class = parcels["land_class"]
    first = np.arange(0, n - 1, 2)
    pairable = first[(land_class[first] == land_class[first + 1]) & untouched[first] & untouched[first + 1]]
    merged_first = np.sort(
        rng.choice(pairable, size=min(len(pairable), int(round(MERGE_SHARE / 2 * n))), replace=False)
    )
    merged = np.zeros(n, dtype=bool)
    merged[merged_first] = merged[merged_first + 1] = True

    # Reclassified parcels keep their id; everything that follows from the class is drawn again.
    changed = parcels.take(change)
    changed["land_class"] = reclassify(changed["land_class"], rng, ref)
    changed = assign_parcel_attributes(changed, rng, county, ref)
    for name, values in changed.columns.items():
        column = parcels[name] if parcels[name].dtype == values.dtype else parcels[name].astype(object)
        column[change] = values
        parcels[name] = column

    next_serial = state.next_serial
    halves = parcels.take(np.repeat(np.flatnonzero(split), 2))  # each split parcel twice, in a row
    first_half = np.arange(len(halves)) % 2 == 0
    fraction = np.repeat(rng.uniform(0.3, 0.7, len(halves) // 2), 2)
    part_a = quantise_area(halves["area"] * fraction, county.delivery.area_unit)
    halves["area"] = np.where(first_half, part_a, np.round(halves["area"] - np.roll(part_a, 1), 2))
    halves["redline"] = np.minimum(halves["redline"], halves["area"])
    halves["serial"] = np.arange(next_serial, next_serial + len(halves), dtype=np.int64)
    next_serial += len(halves)

    unions = parcels.take(merged_first)
    unions["area"] = np.round(unions["area"] + parcels["area"][merged_first + 1], 2)
    unions["serial"] = np.arange(next_serial, next_serial + len(unions), dtype=np.int64)
    next_serial += len(unions)

    appearing = int(rng.binomial(n, APPEAR_SHARE))
    newcomers = new_parcels(rng, appearing, next_serial, county, ref)
    next_serial += appearing

    kept = parcels.take(~(split | vanish | merged))
    evolved = CountyState(
        Rows.concat([kept, halves, unions, newcomers]), next_serial, state.forest, state.grassland, state.wetland
    )
    refresh_inventories(evolved, county, ref, stream(seed, "inventories", int(county.code), year))
    return evolved


def reclassify(land_class: np.ndarray, rng: np.random.Generator, ref: Reference) -> np.ndarray:
    """New classes of changed parcels, drawn per group of the old class (cropland → construction …)."""
    classes = ref.classes
    groups = classes.groups[land_class]
    result = land_class.copy()
    known = set(classes.codes)
    for group, targets in CLASS_TRANSITIONS.items():
        match = groups == group
        codes = [c for c in targets if c in known]
        if not match.any() or not codes:
            continue
        picks = choose(rng, [targets[c] for c in codes], int(match.sum()))
        result[match] = classes.index(codes)[picks]
    return result
