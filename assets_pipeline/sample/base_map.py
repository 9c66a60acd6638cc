"""Base-map parcels (DOMAIN §2): drawn by the province's class mix, with everything that follows from a class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assets_pipeline.sample.counties import County
from assets_pipeline.sample.province_figures import (
    ADJUSTABLE_SHARE,
    INVENTORIES,
    M2_PER_MU,
    MIN_PARCEL_M2,
    PARCEL_AREA_SIGMA,
    REDLINE_SHARE,
    SUPPLY_METHODS,
    ZONED_SHARE,
)
from assets_pipeline.sample.reference import Reference


class Rows:
    """Equal-length numpy columns: the light table the generator works on.

    A county-year touches a dozen small tables many times; pandas' per-call overhead would dominate the run
    for small samples, while plain arrays keep every operation vectorised and cheap."""

    def __init__(self, columns: dict[str, np.ndarray] | None = None):
        self.columns = {name: np.asarray(values) for name, values in (columns or {}).items()}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.columns[name] = np.asarray(values)

    def take(self, index: np.ndarray) -> Rows:
        """Rows at the given positions (or where a boolean mask is true)."""
        return Rows({name: values[index] for name, values in self.columns.items()})

    def copy(self) -> Rows:
        return Rows({name: values.copy() for name, values in self.columns.items()})

    @staticmethod
    def concat(parts: Sequence[Rows]) -> Rows:
        filled = [p for p in parts if len(p)]
        if not filled:
            return parts[0] if parts else Rows()
        return Rows({name: np.concatenate([p[name] for p in filled]) for name in filled[0].columns})


@dataclass
class CountyState:
    """One county's base map and inventories for one year, kept to derive the next year."""

    parcels: Rows
    next_serial: int
    forest: Rows
    grassland: Rows
    wetland: Rows


def quantise_area(area_m2: np.ndarray, unit: str) -> np.ndarray:
    """Areas on the grid of the county's unit (0.01 m² or 0.01 亩), stored in m² to 2 decimals.

    A county that delivers 亩 then writes exactly what it measured, and the two sub-compartments of a split
    still add up to their base parcel once converted.
    """
    if unit == "mu":
        return np.round(np.round(area_m2 / M2_PER_MU, 2) * M2_PER_MU, 2)
    return np.round(area_m2, 2)


def new_parcels(rng: np.random.Generator, n: int, first_serial: int, county: County, ref: Reference) -> Rows:
    """``n`` new base-map parcels: class by the province mix, lognormal area around the class mean."""
    classes = ref.classes
    land_class = rng.choice(len(classes.codes), size=n, p=classes.parcel_share)
    log_mean = np.log(classes.mean_m2[land_class]) - PARCEL_AREA_SIGMA**2 / 2
    area = np.maximum(np.exp(log_mean + PARCEL_AREA_SIGMA * rng.standard_normal(n)), MIN_PARCEL_M2)
    parcels = Rows(
        {
            "serial": np.arange(first_serial, first_serial + n, dtype=np.int64),
            "land_class": land_class,
            "area": quantise_area(area, county.delivery.area_unit),
            # township (3 digits) and village (3 digits) of the 12-digit 坐落单位代码
            "village": rng.integers(1, 26, n) * 1000 + rng.integers(1, 41, n),
        }
    )
    return assign_parcel_attributes(parcels, rng, county, ref)


def assign_parcel_attributes(parcels: Rows, rng: np.random.Generator, county: County, ref: Reference) -> Rows:
    """Everything that follows from a parcel's class: K flag, ownership, cropland grade, construction-land
    data, red-line area and price zone. Also used when a parcel changes class."""
    classes = ref.classes
    n = len(parcels)
    land_class = parcels["land_class"]
    area = parcels["area"]
    groups = classes.groups[land_class]

    parcels["adjustable"] = classes.adjustable[land_class] & (rng.random(n) < ADJUSTABLE_SHARE)
    is_state = rng.random(n) < classes.state_share[land_class]
    state_codes, state_p = ref.state_codes
    collective_codes, collective_p = ref.collective_codes
    parcels["ownership"] = np.where(
        is_state,
        state_codes[rng.choice(len(state_codes), n, p=state_p)],
        collective_codes[rng.choice(len(collective_codes), n, p=collective_p)],
    )
    parcels["is_state"] = is_state

    # Shanxi cropland is mostly of middling to poor grade (1 best … 15 worst).
    grade_p = np.exp(-0.5 * ((np.arange(1, 16) - 10.0) / 2.5) ** 2)
    grade = rng.choice(15, size=n, p=grade_p / grade_p.sum()) + 1
    parcels["cropland_grade"] = np.where(groups == "cropland", grade, 0)

    low, high = classes.plot_ratio_low[land_class], classes.plot_ratio_high[land_class]
    parcels["plot_ratio"] = np.round(low + (high - low) * rng.random(n), 2)

    # Supply method only for state construction land; collective land is not supplied by the state.
    supplied = classes.construction[land_class] & is_state
    method = (rng.random(n)[:, None] >= classes.supply_cumulative[land_class]).sum(axis=1)
    supply = np.where(supplied, np.minimum(method, len(SUPPLY_METHODS) - 1), -1)
    granted = supply == SUPPLY_METHODS.index("granted")
    term = classes.granted_term[land_class]
    parcels["supply"] = supply
    parcels["granted_term"] = np.where(granted, term, np.nan)
    parcels["years_used"] = np.where(granted, np.floor(rng.random(n) * (term + 1)), np.nan)

    in_redline = np.isin(groups, INVENTORIES) & (rng.random(n) < REDLINE_SHARE)
    redline = quantise_area(area * rng.uniform(0.2, 1.0, n), county.delivery.area_unit)
    parcels["redline"] = np.where(in_redline, np.minimum(redline, area), np.nan)

    zone = np.full(n, "", dtype=object)
    for zoned_class, zones in ref.zones.get(county.code, {}).items():
        match = np.isin(land_class, classes.matching(zoned_class)) & (rng.random(n) < ZONED_SHARE)
        zone[match] = np.array(zones, dtype=object)[rng.integers(0, len(zones), int(match.sum()))]
    parcels["price_zone"] = zone
    return parcels
