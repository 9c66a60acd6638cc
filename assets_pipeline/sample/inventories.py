"""Inventories (DOMAIN §2, §3): one row per base parcel of their category (forest: sometimes two
sub-compartments), carried from year to year while their base parcel is unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets_pipeline.sample.base_map import CountyState, Rows, quantise_area
from assets_pipeline.sample.counties import County
from assets_pipeline.sample.province_figures import (
    AGE_SHARES,
    AGE_SHARES_DEFAULT,
    AGEING_SHARE,
    BAMBOO_STEMS_PER_HA,
    FOREST_GROWTH,
    FOREST_SPLIT_SHARE,
    FOREST_TYPE_SHARES,
    HARVEST_SHARE,
    HAY_SIGMA,
    INVENTORIES,
    LAND_GRADE_SHARES,
    M2_PER_HA,
    NATURAL_ORIGIN_SHARE,
    PROTECTION_SHARES,
    PROTECTION_STATUSES,
    SOWN_PASTURE_YIELD_FACTOR,
    SPECIES_GROUP_BY_CLASS,
    STOCK_FACTOR_BY_CLASS,
    STOCK_M3_PER_HA_BY_AGE,
    TREE_GROUP_SHARES,
    TREE_OWNERSHIP_FLIP,
    WETLAND_FINER_TYPE_SHARE,
)
from assets_pipeline.sample.reference import Reference
from assets_pipeline.sample.streams import choose

BASE_COLUMNS = ("serial", "land_class", "adjustable", "area", "ownership", "is_state", "village")


def refresh_inventories(state: CountyState, county: County, ref: Reference, rng: np.random.Generator) -> None:
    """Inventory rows for this year's base parcels: last year's rows where the base parcel is unchanged (aged by
    a year), new rows otherwise. Rows follow the order of their base parcels."""
    parcels = state.parcels
    category = ref.classes.categories[parcels["land_class"]]
    makers = {"forest": new_forest_rows, "grassland": new_grassland_rows, "wetland": new_wetland_rows}
    for name in INVENTORIES:
        base = Rows({c: parcels[c] for c in BASE_COLUMNS}).take(category == name)
        base_position = pd.Index(base["serial"])
        previous: Rows = getattr(state, name)
        pieces = []
        covered = np.zeros(len(base), dtype=bool)
        if len(previous):
            at = base_position.get_indexer(previous["serial"])
            found = at >= 0
            same = found.copy()
            for column in ("land_class", "adjustable", "ownership"):
                same[found] &= previous[column][found] == base[column][at[found]]
            carried = previous.take(same)
            covered[at[same]] = True
            pieces.append(age_forest(carried, rng) if name == "forest" else carried)
        pieces.append(makers[name](base.take(~covered), rng, county, ref))
        rows = Rows.concat(pieces)
        order = np.lexsort((rows["sub"], base_position.get_indexer(rows["serial"]))) if len(rows) else []
        setattr(state, name, rows.take(np.asarray(order, dtype=np.int64)))


def new_forest_rows(base: Rows, rng: np.random.Generator, county: County, ref: Reference) -> Rows:
    """Sub-compartments of forest-class base parcels: ~10 % split in two whose areas sum to the base area."""
    n = len(base)
    split = rng.random(n) < FOREST_SPLIT_SHARE
    rows = base.take(np.repeat(np.arange(n), 1 + split))
    m = len(rows)
    serial = rows["serial"]
    second = np.r_[False, serial[1:] == serial[:-1]] if m else np.zeros(0, dtype=bool)
    rows["sub"] = np.where(second, 2, 1)
    first_of_split = np.repeat(split, 1 + split) & ~second
    area = rows["area"]
    part_a = quantise_area(area * rng.uniform(0.3, 0.7, m), county.delivery.area_unit)
    area_out = np.where(first_of_split, part_a, area)
    area_out[second] = np.round(area[second] - part_a[np.flatnonzero(second) - 1], 2)
    rows["area"] = area_out

    codes = ref.classes.codes[rows["land_class"]]
    group = np.array(list(TREE_GROUP_SHARES), dtype=object)[choose(rng, list(TREE_GROUP_SHARES.values()), m)]
    for land_class, fixed in SPECIES_GROUP_BY_CLASS.items():
        group[codes == land_class] = fixed
    species = np.full(m, "", dtype=object)
    for name in sorted(set(group)):
        match = group == name
        pool = ref.species.get(name) or ref.species[sorted(ref.species)[0]]
        species[match] = np.array(pool, dtype=object)[rng.integers(0, len(pool), int(match.sum()))]
    rows["species"] = species

    economic = group == "economic"
    parent = np.array(list(FOREST_TYPE_SHARES), dtype=object)[choose(rng, list(FOREST_TYPE_SHARES.values()), m)]
    parent[economic] = "5"
    parent[group == "bamboo"] = "3"
    forest_type = np.full(m, "", dtype=object)
    for code in sorted(set(parent)):
        match = parent == code
        pool = ref.forest_types.get(code, [code])
        forest_type[match] = np.array(pool, dtype=object)[rng.integers(0, len(pool), int(match.sum()))]
    rows["forest_type"] = forest_type
    planted = economic | (group == "bamboo") | (rng.random(m) >= NATURAL_ORIGIN_SHARE)
    rows["origin"] = np.where(planted, "2", "1")

    age = choose(rng, AGE_SHARES_DEFAULT, m) + 1
    for land_class, shares in AGE_SHARES.items():
        match = codes == land_class
        age[match] = choose(rng, shares, int(match.sum())) + 1
    rows["age_group"] = age
    stock_factor = np.array([STOCK_FACTOR_BY_CLASS.get(c, 0.0) for c in ref.classes.codes])[rows["land_class"]]
    stock_factor = np.where(economic, 0.0, stock_factor)
    density = STOCK_M3_PER_HA_BY_AGE[age - 1] * rng.lognormal(0.0, 0.35, m)
    hectares = area_out / M2_PER_HA
    rows["stock_m3"] = np.round(density * stock_factor * hectares, 2)
    stems = np.round(hectares * rng.uniform(*BAMBOO_STEMS_PER_HA, m))
    rows["bamboo_stems"] = np.where(group == "bamboo", stems, np.nan)
    rows["land_grade"] = choose(rng, LAND_GRADE_SHARES, m) + 1

    # Trees have their own ownership (DOMAIN §2): mostly that of the land, ~5 % the other way round.
    state_trees = rows["is_state"] ^ (rng.random(m) < TREE_OWNERSHIP_FLIP)
    codes, shares = ref.tree_collective_codes
    rows["tree_ownership"] = np.where(state_trees, ref.tree_state_code, codes[rng.choice(len(codes), m, p=shares)])
    return rows


def age_forest(rows: Rows, rng: np.random.Generator) -> Rows:
    """A year of growth (~3 % stock), a few sub-compartments harvested and replanted, a few moving up an age group."""
    rows = rows.copy()
    m = len(rows)
    u = rng.random(m)
    harvested = u < HARVEST_SHARE
    ageing = (u >= HARVEST_SHARE) & (u < HARVEST_SHARE + AGEING_SHARE)
    stock = rows["stock_m3"] * rng.normal(*FOREST_GROWTH, m)
    rows["stock_m3"] = np.round(np.where(harvested, stock * 0.05, stock), 2)
    age = rows["age_group"]
    rows["age_group"] = np.where(harvested, 1, np.where(ageing, np.minimum(age + 1, 5), age))
    return rows


def new_grassland_rows(base: Rows, rng: np.random.Generator, county: County, ref: Reference) -> Rows:
    """Grassland polygons: Shanxi type, hay yield around the type's median, grade from the yield band."""
    rows = base.copy()
    m = len(rows)
    rows["sub"] = np.ones(m, dtype=np.int64)
    codes, shares, median_hay = ref.grassland_types
    kind = rng.choice(len(codes), size=m, p=shares)
    sown = ref.classes.codes[rows["land_class"]] == "0403"
    hay = median_hay[kind] * rng.lognormal(0.0, HAY_SIGMA, m) * np.where(sown, SOWN_PASTURE_YIELD_FACTOR, 1.0)
    hay = np.round(hay, 1)
    grades, lower = ref.grade_bands
    rows["grassland_type"] = codes[kind]
    rows["hay"] = hay
    rows["grade"] = grades[np.clip(np.searchsorted(lower, hay, side="right") - 1, 0, len(grades) - 1)]
    cover = 25 + 18 * np.log(np.maximum(hay, 1.0) / 250.0) + rng.normal(0.0, 8.0, m)
    rows["cover"] = np.clip(np.round(cover), 10, 95)
    return rows


def new_wetland_rows(base: Rows, rng: np.random.Generator, county: County, ref: Reference) -> Rows:
    """Wetland polygons typed after their land class, in the county's basin(s), some protected."""
    rows = base.copy()
    m = len(rows)
    rows["sub"] = np.ones(m, dtype=np.int64)
    land_class = ref.classes.codes[rows["land_class"]]
    wetland_type = land_class.astype(object)
    finer_draw = rng.random(m) < WETLAND_FINER_TYPE_SHARE
    for code, (own, finer) in ref.wetland_types.items():
        match = land_class == code
        wetland_type[match] = own
        if finer:
            pick = match & finer_draw
            wetland_type[pick] = np.array(finer, dtype=object)[rng.integers(0, len(finer), int(pick.sum()))]
    rows["wetland_type"] = wetland_type
    rows["basin"] = np.array(county.basins, dtype=object)[rng.integers(0, len(county.basins), m)]
    status = choose(rng, PROTECTION_SHARES + (1 - sum(PROTECTION_SHARES),), m)
    rows["protection"] = np.array(PROTECTION_STATUSES + ("",), dtype=object)[status]
    return rows
