"""What the sample takes from reference_tables/: the codes it must use, so the sample matches the tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assets_pipeline.sample.province_figures import (
    CLASS_MIX,
    COLLECTIVE_OWNERSHIP,
    CONSTRUCTION_FIRST_LEVELS,
    FIRST_LEVEL_GROUP,
    GRANTED_TERM,
    GRANTED_TERM_OTHER,
    GRASSLAND_TYPES,
    GROUP_AREA_WAN_HA,
    INVENTORIES,
    M2_PER_HA,
    PLOT_RATIO_RANGE,
    PROVINCE_CODE,
    STATE_OWNERSHIP,
    STATE_SHARE_BY_CLASS,
    STATE_SHARE_BY_GROUP,
    SUPPLY_METHODS,
    SUPPLY_SHARES,
    TREE_COLLECTIVE_OWNERSHIP,
)

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference_tables"


@dataclass(frozen=True)
class SampleSource:
    """Which province the sample draws and from which reference folder. A province's own tables
    (``<reference_dir>/<province>/<file>``) are read where it has them, else the folder's shared ones, as a run
    reads them (``reference.tables.table_path``, DOMAIN §7), so the sample matches the tables the run prices with."""

    province: str = PROVINCE_CODE
    reference_dir: Path = REFERENCE_DIR

    def path(self, name: str) -> Path:
        own = self.reference_dir / self.province / name
        return own if own.is_file() else self.reference_dir / name


SHANXI = SampleSource()


@dataclass(frozen=True)
class LandClasses:
    """The parcel classes of the base map (level-2 rows of land_classes.csv, and 09) with their sample mix.

    Every array has one entry per class; parcels hold the index of their class."""

    codes: np.ndarray  # land_class
    groups: np.ndarray  # land-survey group (GROUP_AREA_WAN_HA keys)
    categories: np.ndarray  # land / forest / grassland / wetland (DOMAIN §2)
    parcel_share: np.ndarray  # probability that a new parcel has this class
    mean_m2: np.ndarray  # mean parcel area
    state_share: np.ndarray
    adjustable: np.ndarray  # may carry a trailing K (01–04 classes)
    construction: np.ndarray  # 05–10 classes carry plot ratio and supply data
    plot_ratio_low: np.ndarray
    plot_ratio_high: np.ndarray
    supply_cumulative: np.ndarray  # (classes, SUPPLY_METHODS) cumulative shares, construction classes only
    granted_term: np.ndarray  # legal term of a grant, years

    def index(self, codes: Sequence[str]) -> np.ndarray:
        lookup = {c: i for i, c in enumerate(self.codes)}
        return np.array([lookup[c] for c in codes], dtype=np.int16)

    def matching(self, code: str) -> np.ndarray:
        """Indices of the classes a price-table class names: a 4-digit class, or all classes of a first level."""
        if len(code) == 2:
            return np.flatnonzero(np.array([c[:2] == code for c in self.codes]))
        return np.flatnonzero(self.codes == code)


@dataclass(frozen=True)
class Reference:
    """What the generator takes from reference_tables/: codes it must use, so the sample matches the tables."""

    counties: pd.DataFrame  # region_code, name, parent_code
    classes: LandClasses
    state_codes: tuple[np.ndarray, np.ndarray]  # codes, shares
    collective_codes: tuple[np.ndarray, np.ndarray]
    zones: dict[str, dict[str, list[str]]]  # county -> land class -> price zones
    tree_state_code: str
    tree_collective_codes: tuple[np.ndarray, np.ndarray]  # codes, shares
    forest_types: dict[str, list[str]]  # first-level 林种 -> codes to use
    species: dict[str, list[str]]  # species group -> species codes
    grassland_types: tuple[np.ndarray, np.ndarray, np.ndarray]  # codes, shares, median hay kg/ha
    grade_bands: tuple[np.ndarray, np.ndarray]  # grade, lower hay bound (sorted by bound)
    wetland_types: dict[str, tuple[str, list[str]]]  # land class -> (its own type, finer types of its class)
    mineral_units: dict[str, str]
    resource_classes: list[str]
    source: SampleSource = SHANXI


def read_reference_csv(name: str, source: SampleSource = SHANXI) -> pd.DataFrame:
    """A reference table with every cell as text (codes keep their leading zeros)."""
    return pd.read_csv(source.path(name), dtype=str, keep_default_na=False, encoding="utf-8")


def load_reference(source: SampleSource = SHANXI) -> Reference:
    """Read the code lists the sample draws from; fail early if a table lacks what the sample needs."""
    admin = read_reference_csv("admin_divisions.csv", source)
    counties = admin[(admin["level"] == "county") & admin["region_code"].str.startswith(source.province[:2])]
    counties = counties.sort_values("region_code")[["region_code", "name", "parent_code"]].reset_index(drop=True)
    if counties.empty:
        raise ValueError("admin_divisions.csv has no county of the province")

    ownership = read_reference_csv("ownership_codes.csv", source)
    state = set(ownership.loc[ownership["is_state"] == "true", "code"])
    collective = set(ownership.loc[ownership["is_state"] == "false", "code"])

    trees = read_reference_csv("tree_ownership_codes.csv", source)
    tree_state = trees.loc[trees["is_state"] == "true", "code"].tolist()
    tree_collective = set(trees.loc[trees["is_state"] == "false", "code"])
    minerals = read_reference_csv("minerals.csv", source)

    return Reference(
        counties=counties,
        classes=load_land_classes(source),
        state_codes=weighted_codes(STATE_OWNERSHIP, state, "state ownership"),
        collective_codes=weighted_codes(COLLECTIVE_OWNERSHIP, collective, "collective ownership"),
        zones=load_price_zones(source),
        tree_state_code=tree_state[0],
        tree_collective_codes=weighted_codes(TREE_COLLECTIVE_OWNERSHIP, tree_collective, "collective tree ownership"),
        forest_types=load_forest_types(source),
        species=load_species(source),
        grassland_types=load_grassland_types(source),
        grade_bands=load_grade_bands(source),
        wetland_types=load_wetland_types(source),
        mineral_units=dict(zip(minerals["mineral_code"], minerals["unit"], strict=False)),
        resource_classes=read_reference_csv("resource_classes.csv", source)["resource_class"].tolist(),
        source=source,
    )


def weighted_codes(shares: dict[str, float], valid: set[str], what: str) -> tuple[np.ndarray, np.ndarray]:
    kept = {c: s for c, s in shares.items() if c in valid}
    if not kept:
        raise ValueError(f"no {what} code of the sample is in the reference tables")
    p = np.array(list(kept.values()))
    return np.array(list(kept)), p / p.sum()


def land_survey_group(code: str, category: str) -> str:
    """Group of a class in the survey composition: its inventory category, else its first-level class."""
    return category if category in INVENTORIES else FIRST_LEVEL_GROUP[code[:2]]


def load_land_classes(source: SampleSource = SHANXI) -> LandClasses:
    """Parcel classes and how many parcels of each: class area share of its group / mean parcel area."""
    table = read_reference_csv("land_classes.csv", source)
    parents = set(table.loc[table["level"] == "2", "parent_class"])
    usable = table[(table["level"] == "2") | ((table["level"] == "1") & ~table["land_class"].isin(parents))]
    codes = usable["land_class"].tolist()
    categories = usable["category"].tolist()
    groups = np.array([land_survey_group(c, k) for c, k in zip(codes, categories, strict=False)])
    weight = np.array([CLASS_MIX.get(c, (0.0, 1.0))[0] for c in codes])
    mean_ha = np.array([CLASS_MIX.get(c, (0.0, 1.0))[1] for c in codes])
    area = np.zeros(len(codes))
    for group, total in GROUP_AREA_WAN_HA.items():
        members = groups == group
        if weight[members].sum() <= 0:
            raise ValueError(f"land_classes.csv has no class for the {group} group of the sample")
        area[members] = total * weight[members] / weight[members].sum()
    count = area / mean_ha

    construction = np.array([c[:2] in CONSTRUCTION_FIRST_LEVELS for c in codes])
    plot_ratio = [PLOT_RATIO_RANGE.get(c, PLOT_RATIO_RANGE.get(c[:2], (np.nan, np.nan))) for c in codes]
    supply = np.array([SUPPLY_SHARES.get(c[:2], (0.0,) * len(SUPPLY_METHODS)) for c in codes])
    supply_total = np.where(supply.sum(axis=1, keepdims=True) > 0, supply.sum(axis=1, keepdims=True), 1.0)
    return LandClasses(
        codes=np.array(codes),
        groups=groups,
        categories=np.array(categories),
        parcel_share=count / count.sum(),
        mean_m2=mean_ha * M2_PER_HA,
        state_share=np.array(
            [STATE_SHARE_BY_CLASS.get(c, STATE_SHARE_BY_GROUP[g]) for c, g in zip(codes, groups, strict=False)]
        ),
        adjustable=np.array([c[:2] in ("01", "02", "03", "04") for c in codes]),
        construction=construction,
        plot_ratio_low=np.where(construction, [lo for lo, _ in plot_ratio], np.nan),
        plot_ratio_high=np.where(construction, [hi for _, hi in plot_ratio], np.nan),
        supply_cumulative=np.cumsum(supply / supply_total, axis=1),
        granted_term=np.array([GRANTED_TERM.get(c[:2], GRANTED_TERM_OTHER) for c in codes], dtype=float),
    )


def load_price_zones(source: SampleSource = SHANXI) -> dict[str, dict[str, list[str]]]:
    """Price zones (价格区划) of land_base_prices.csv per county and land class (any year)."""
    prices = read_reference_csv("prices/land_base_prices.csv", source)
    zoned = prices[prices["price_zone"] != ""][["region_code", "land_class", "price_zone"]].drop_duplicates()
    zones: dict[str, dict[str, list[str]]] = {}
    for (county, land_class), rows in zoned.groupby(["region_code", "land_class"], sort=True):
        zones.setdefault(county, {})[land_class] = sorted(rows["price_zone"])
    return zones


def load_forest_types(source: SampleSource = SHANXI) -> dict[str, list[str]]:
    """林种 codes to use per first-level type: its second-level codes where the list has them."""
    table = read_reference_csv("forest_types.csv", source)
    if "parent_type" not in table.columns:
        return {code: [code] for code in table["forest_type"]}
    top = table.loc[table["parent_type"] == "", "forest_type"]
    return {code: table.loc[table["parent_type"] == code, "forest_type"].tolist() or [code] for code in top}


def load_species(source: SampleSource = SHANXI) -> dict[str, list[str]]:
    table = read_reference_csv("forest_species.csv", source)
    return {g: rows["species_code"].tolist() for g, rows in table.groupby("species_group", sort=True)}


def load_grassland_types(source: SampleSource = SHANXI) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the Shanxi grassland types, looked up by name in grassland_types.csv."""
    table = read_reference_csv("grassland_types.csv", source)
    by_name = dict(zip(table["name_zh"], table["grassland_type"], strict=False))
    found = [(by_name[name], share, hay) for name, (share, hay) in GRASSLAND_TYPES.items() if name in by_name]
    if not found:
        raise ValueError("grassland_types.csv lacks the Shanxi grassland types")
    codes, shares, hay = zip(*found, strict=False)
    return np.array(codes), np.array(shares) / sum(shares), np.array(hay)


def load_grade_bands(source: SampleSource = SHANXI) -> tuple[np.ndarray, np.ndarray]:
    """Grassland grades with the lower bound of their hay-yield band, sorted by that bound."""
    table = read_reference_csv("grassland_grades.csv", source)
    lower = pd.to_numeric(table["hay_min_kg_per_ha"].replace("", "0")).to_numpy(dtype=float)
    grade = table["grade"].astype(int).to_numpy()
    order = np.argsort(lower)
    return grade[order], lower[order]


def load_wetland_types(source: SampleSource = SHANXI) -> dict[str, tuple[str, list[str]]]:
    """Per wetland land class: its own wetland type and the finer types of the same wetland class."""
    table = read_reference_csv("wetland_types.csv", source)
    classes = read_reference_csv("land_classes.csv", source)
    wetland_classes = set(classes.loc[classes["category"] == "wetland", "land_class"])
    own = table[table["wetland_type"].isin(wetland_classes)]
    finer = table[~table["wetland_type"].isin(wetland_classes)]
    result = {}
    for land_class, wetland_class in zip(own["wetland_type"], own["wetland_class"], strict=False):
        result[land_class] = (land_class, finer.loc[finer["wetland_class"] == wetland_class, "wetland_type"].tolist())
    return result
