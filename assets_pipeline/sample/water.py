"""Water (DOMAIN §3): region × basin × source; the overlap never exceeds either source."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from assets_pipeline.sample.counties import County
from assets_pipeline.sample.delivered_tables import number, text
from assets_pipeline.sample.province_figures import (
    OVERDRAFT_SHARE,
    WATER_GROUNDWATER_M3,
    WATER_OVERLAP_OF_MIN,
    WATER_SURFACE_M3,
    WATER_YEARLY_VARIATION,
)
from assets_pipeline.sample.reference import Reference
from assets_pipeline.sample.streams import stream


def water_rows(counties: list[County], ref: Reference, seed: int, year: int) -> pa.Table:
    """County × basin × (surface, groundwater, overlap) volumes summing to ≈ 1.2e10 m³ for the province.

    The split over counties and basins is fixed by the seed; each year varies every volume by up to ±10 %.
    The overlap is recomputed from the year's volumes, so it never exceeds either source (DOMAIN §4)."""
    rng = stream(seed, "water")
    per_county = np.array([len(c.basins) for c in counties])
    county_index = np.repeat(np.arange(len(counties)), per_county)
    k = len(county_index)
    start = np.cumsum(per_county) - per_county
    two = per_county == 2
    basin_share = np.ones(k)
    first_basin = rng.uniform(0.2, 0.8, len(counties))
    basin_share[start[two]] = first_basin[two]
    basin_share[start[two] + 1] = 1.0 - first_basin[two]
    weight = np.array([c.weight for c in counties])[county_index] * basin_share
    balance = rng.lognormal(0.0, 0.3, k)  # some counties rely more on groundwater than others
    overlap_of_min = rng.uniform(*WATER_OVERLAP_OF_MIN, k)
    overdraft = rng.random(k) < OVERDRAFT_SHARE

    yearly = stream(seed, "water", year)
    low, high = 1 - WATER_YEARLY_VARIATION, 1 + WATER_YEARLY_VARIATION
    surface = np.round(WATER_SURFACE_M3 * weight * balance * yearly.uniform(low, high, k))
    ground = np.round(WATER_GROUNDWATER_M3 * weight / balance * yearly.uniform(low, high, k))
    overlap = np.floor(np.minimum(surface, ground) * overlap_of_min)

    codes = np.array([c.code for c in counties], dtype=object)[county_index]
    basins = np.concatenate([np.array(c.basins, dtype=object) for c in counties])
    source = np.tile(np.array(["surface", "groundwater", "overlap"], dtype=object), k)
    overdraft_cell = np.column_stack([np.zeros(k, bool), overdraft, np.zeros(k, bool)]).ravel()
    return pa.table(
        {
            "region_code": text(np.repeat(codes, 3)),
            "basin": text(np.repeat(basins, 3)),
            "source_type": text(source),
            "volume_m3": number(np.column_stack([surface, ground, overlap]).ravel()),
            "overdraft_zone": pa.array(overdraft_cell, mask=source != "groundwater", type=pa.bool_()),
        }
    )
