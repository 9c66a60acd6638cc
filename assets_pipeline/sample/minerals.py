"""Minerals (DOMAIN §3): deposit × mineral × resource class (GB/T 17766-2020), mined and discovered year by year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from assets_pipeline.sample.counties import County
from assets_pipeline.sample.delivered_tables import number, text
from assets_pipeline.sample.province_figures import (
    COAL_COUNTY_SHARE,
    COAL_DEPOSIT_SHARE,
    DEPOSIT_SIGMA,
    DEPOSITS_PER_COAL_COUNTY,
    DEPOSITS_PER_OTHER_COUNTY,
    MINERAL_PROFILES,
    MINING_RIGHT_SHARES,
    NEW_DEPOSITS_PER_YEAR,
    RECLASSIFIED_SHARE,
    REMAINING_LIFE_YEARS,
    RESOURCE_CLASS_SETS,
)
from assets_pipeline.sample.reference import Reference
from assets_pipeline.sample.streams import choose, stream


def mineral_profiles(ref: Reference) -> dict[str, tuple[float, tuple[str, ...] | None, float, float]]:
    """The sample minerals that minerals.csv lists, with the unit the sample's magnitudes assume checked."""
    profiles = {}
    for code, (weight, hosts, unit, median, rent) in MINERAL_PROFILES.items():
        if code not in ref.mineral_units:
            continue
        if ref.mineral_units[code] != unit:
            raise ValueError(f"minerals.csv gives {code} in {ref.mineral_units[code]}, the sample assumes {unit}")
        profiles[code] = (weight, hosts, median, rent)
    return profiles


def new_deposits(
    rng: np.random.Generator,
    counties: list[County],
    per_county: np.ndarray,
    ref: Reference,
    coal_county: np.ndarray,
    first_number: np.ndarray,
) -> pd.DataFrame:
    """Deposits per county (coal dominant where coal lies, other minerals in their host cities), one row per
    deposit × resource class; producing deposits (mining right) carry annual extraction and unit rent."""
    profiles = mineral_profiles(ref)
    others = [m for m in profiles if m != "coal"]
    county_index = np.repeat(np.arange(len(counties)), per_county)
    n = len(county_index)

    # Non-coal mineral: weighted among the minerals the county's city hosts.
    cities = sorted({c.city for c in counties})
    hosted = np.array([[profiles[m][1] is None or city in profiles[m][1] for m in others] for city in cities])
    city_row = np.searchsorted(cities, np.array([c.city for c in counties])[county_index])
    weights = hosted[city_row] * np.array([profiles[m][0] for m in others])[None, :]
    cumulative = np.cumsum(weights, axis=1)
    pick = (cumulative < (rng.random(n) * cumulative[:, -1])[:, None]).sum(axis=1)
    mineral = np.array(others, dtype=object)[np.minimum(pick, len(others) - 1)]
    is_coal = coal_county[county_index] & (rng.random(n) < COAL_DEPOSIT_SHARE) & ("coal" in profiles)
    mineral[is_coal] = "coal"
    mineral_series = pd.Series(mineral, dtype=object)

    within = np.arange(n) - np.repeat(np.cumsum(per_county) - per_county, per_county)
    region = np.array([c.code for c in counties], dtype=object)[county_index]
    serial = pd.Series(first_number[county_index] + within).astype(str).str.zfill(3).to_numpy(dtype=object)
    deposit_id = "KQ" + region + serial
    rights = np.array(list(MINING_RIGHT_SHARES), dtype=object)
    right = choose(rng, list(MINING_RIGHT_SHARES.values()), n)
    three = rng.random(n) < 0.5
    size = mineral_series.map({m: p[2] for m, p in profiles.items()}).to_numpy(dtype=float)
    total = size * rng.lognormal(-(DEPOSIT_SIGMA**2) / 2, DEPOSIT_SIGMA, n)
    rent = mineral_series.map({m: p[3] for m, p in profiles.items()}).to_numpy(dtype=float) * rng.lognormal(0, 0.3, n)
    split = rng.dirichlet(np.full(3, 2.0), n) if n else np.zeros((0, 3))

    count = np.where(three, 3, 2)
    row_of = np.repeat(np.arange(n), count)
    rank = np.arange(len(row_of)) - np.repeat(np.cumsum(count) - count, count)
    class_sets = np.array(
        [[tuple(sets[0]) + ("",), sets[1]] for sets in (RESOURCE_CLASS_SETS[r] for r in rights)], dtype=object
    )  # (mining right, two or three classes, rank)
    resource_class = class_sets[right[row_of], three[row_of].astype(int), rank]
    in_use = np.where(three[:, None], split, np.column_stack([split[:, :2], np.zeros(n)]))
    share = in_use[row_of, rank] / in_use.sum(axis=1)[row_of]
    quantity = np.round(total[row_of] * share, 2)
    producing = rights[right[row_of]] == "mining"
    life = rng.uniform(*REMAINING_LIFE_YEARS, len(row_of))
    table = pd.DataFrame(
        {
            "deposit_id": deposit_id[row_of],
            "region_code": region[row_of],
            "mineral_code": mineral[row_of],
            "resource_class": resource_class,
            "quantity": quantity,
            "unit": mineral_series.map(ref.mineral_units).to_numpy(dtype=object)[row_of],
            "mining_right": rights[right[row_of]],
            "annual_extraction": np.where(producing, np.round(quantity / life, 2), np.nan),
            "unit_rent": np.where(producing, np.round(rent[row_of], 2), np.nan),
        }
    )
    return table[table["resource_class"].isin(ref.resource_classes)].reset_index(drop=True)


def first_minerals(counties: list[County], ref: Reference, seed: int) -> pd.DataFrame:
    rng = stream(seed, "minerals")
    coal = rng.random(len(counties)) < COAL_COUNTY_SHARE
    per_county = rng.poisson(np.where(coal, DEPOSITS_PER_COAL_COUNTY, DEPOSITS_PER_OTHER_COUNTY))
    return new_deposits(rng, counties, per_county, ref, coal, np.ones(len(counties), dtype=np.int64))


def evolve_minerals(table: pd.DataFrame, counties: list[County], ref: Reference, seed: int, year: int) -> pd.DataFrame:
    """A year of mining: producing rows lose their extraction, a few rows are upgraded to a better-known class
    (where the deposit has no row of that class yet), a few deposits are discovered."""
    rng = stream(seed, "minerals", year)
    table = table.copy()
    extraction = table["annual_extraction"].fillna(0.0).to_numpy()
    table["quantity"] = np.round(np.maximum(table["quantity"].to_numpy() - extraction, 0.0), 2)
    table = table[table["quantity"] > 0].reset_index(drop=True)

    target = table["resource_class"].map({"inferred": "indicated", "indicated": "measured"})
    deposit = table["deposit_id"] + "|" + table["mineral_code"] + "|"
    free = target.notna() & ~(deposit + target.fillna("")).isin(set(deposit + table["resource_class"]))
    move = free & (rng.random(len(table)) < RECLASSIFIED_SHARE)
    table.loc[move, "resource_class"] = target[move]

    codes = [c.code for c in counties]
    county_of = table["deposit_id"].str.slice(2, 8)
    last_number = table["deposit_id"].str.slice(8).astype(int).groupby(county_of).max()
    first_number = last_number.reindex(codes, fill_value=0).to_numpy().astype(np.int64) + 1
    per_county = rng.multinomial(rng.poisson(NEW_DEPOSITS_PER_YEAR), np.full(len(codes), 1 / len(codes)))
    coal = rng.random(len(counties)) < COAL_COUNTY_SHARE
    found = new_deposits(rng, counties, per_county, ref, coal, first_number)
    return pd.concat([table, found], ignore_index=True)


def minerals_table(table: pd.DataFrame) -> pa.Table:
    return pa.table(
        {
            "deposit_id": text(table["deposit_id"].to_numpy()),
            "region_code": text(table["region_code"].to_numpy()),
            "mineral_code": text(table["mineral_code"].to_numpy()),
            "resource_class": text(table["resource_class"].to_numpy()),
            "quantity": number(table["quantity"].to_numpy()),
            "unit": text(table["unit"].to_numpy()),
            "mining_right": text(table["mining_right"].to_numpy()),
            "annual_extraction": number(table["annual_extraction"].to_numpy()),
            "unit_rent": number(table["unit_rent"].to_numpy()),
        }
    )
