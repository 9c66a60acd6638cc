"""A synthetic Shanxi-like province for trying the pipeline end to end.

``generate_sample`` writes, for every requested year, what a provincial compilation receives (DOMAIN §1, §3):
one file per county for the land survey (the base map) and for the forest, grassland and wetland
inventories, one province file for water and one for minerals. Counties deliver the way real counties
do: GBK or UTF-8 CSV, XLSX or Parquet, with canonical, survey (``BSM``, ``DLBM`` …) or Chinese headers,
sometimes a 12-digit 坐落单位代码 instead of the county code, sometimes areas in 亩. A share of rows is
made dirty on purpose and every planted defect is recorded in ``_sample/planted_<year>.csv``, so a
pipeline run can be checked against exactly what was put in.

The figures imitate Shanxi (140000): its 117 county-level units, the composition of its land survey by
area, its forest species, grassland types, basins, water resources and minerals. All rows are
synthetic: no row describes a real parcel, deposit or measurement.

Output layout (``<year>`` for each year asked)::

    <out_dir>/<year>/land/<region_code>_<county name>.<csv|xlsx|parquet>
    <out_dir>/<year>/forest/…   <out_dir>/<year>/grassland/…   <out_dir>/<year>/wetland/…
    <out_dir>/<year>/water.<xlsx|csv|parquet>
    <out_dir>/<year>/minerals.<csv|parquet>
    <out_dir>/_sample/planted_<year>.csv     <out_dir>/_sample/README.txt

Everything is drawn from numpy Generators seeded from ``seed`` and the county, year and purpose, so the
same seed gives the same files (byte for byte, XLSX included) whatever else changes. Work is done one
county at a time and written at once, so memory stays bounded by the largest county.
"""

from __future__ import annotations

import datetime
import io
import shutil
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from assets_pipeline.schema.categories import SPECS, Column, CategorySpec

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference_tables"

PROVINCE_CODE = "140000"
FORMATS = ("mixed", "parquet", "csv")
INVENTORIES = ("forest", "grassland", "wetland")
COUNTY_CATEGORIES = ("land",) + INVENTORIES

M2_PER_MU = 10_000 / 15  # 1 公顷 = 10,000 m² = 15 亩 (DOMAIN §4)
M2_PER_HA = 10_000.0

# A fixed timestamp for XLSX properties and zip entries, so that a workbook's bytes depend on its content only.
FIXED_TIMESTAMP = datetime.datetime(2024, 1, 1, 0, 0, 0)

# ---------------------------------------------------------------------------------------------------------------
# The land survey of the province (DOMAIN §2)
# ---------------------------------------------------------------------------------------------------------------

# Shanxi's land survey by area, 万 ha, per group of land classes. The groups follow the provincial survey
# communiqué; "wetland" is the wetland classes of land_classes.csv, "water" is 11 without them.
GROUP_AREA_WAN_HA: dict[str, float] = {
    "cropland": 386.95,
    "orchard": 64.09,
    "forest": 609.57,
    "grassland": 310.51,
    "wetland": 5.44,
    "construction": 101.76,  # 05–09: towns, villages, industry and mining, public and special land
    "transport": 26.98,
    "water": 17.31,
    "other": 44.0,
}

# How each group's area is shared among its classes (relative weights, Shanxi-like) and the mean parcel size of
# the class in ha. The number of parcels of a class follows from both: area / mean size. Small construction
# parcels and large forest and grassland parcels keep the average parcel realistic at any scale.
CLASS_MIX: dict[str, tuple[float, float]] = {
    "0101": (0.5, 0.4), "0102": (98.0, 1.0), "0103": (288.45, 1.3),
    "0201": (58.0, 0.6), "0204": (6.09, 0.6),
    "0301": (318.0, 3.5), "0302": (0.5, 1.0), "0305": (190.0, 3.0), "0307": (101.07, 2.0),
    "0401": (5.0, 2.5), "0403": (1.0, 1.0), "0404": (304.51, 2.5),
    # wetland classes; Shanxi has no coast, so 0303 红树林地 and 1105 沿海滩涂 get no parcels
    "1106": (4.29, 1.5), "1108": (0.2, 1.5), "0402": (0.5, 1.5), "0306": (0.15, 1.5), "0304": (0.0, 1.5),
    "0603": (0.3, 3.0),
    "05H1": (5.5, 0.3), "0508": (1.0, 0.8), "0601": (11.0, 1.5), "0602": (14.0, 2.0),
    "0701": (9.5, 0.6), "0702": (52.0, 0.5), "08H1": (1.0, 0.3), "08H2": (3.5, 0.8), "0809": (1.2, 0.3),
    "0810": (0.8, 1.0), "09": (2.26, 0.8),
    "1001": (2.5, 1.5), "1002": (0.05, 0.5), "1003": (7.0, 1.2), "1004": (4.0, 0.3), "1005": (0.3, 0.3),
    "1006": (12.9, 0.25), "1007": (0.2, 50.0), "1009": (0.03, 0.2),
    "1101": (5.5, 3.0), "1102": (0.3, 5.0), "1103": (3.2, 5.0), "1104": (1.6, 0.3), "1107": (4.5, 0.3),
    "1109": (2.21, 0.5),
    "1201": (1.5, 0.3), "1202": (5.0, 0.4), "1203": (22.0, 0.2), "1204": (2.5, 2.0), "1205": (0.8, 2.0),
    "1206": (5.0, 1.5), "1207": (7.2, 2.0),
}
PARCEL_AREA_SIGMA = 0.8  # lognormal spread of parcel areas within a class
MIN_PARCEL_M2 = 20.0

FIRST_LEVEL_GROUP = {
    "01": "cropland", "02": "orchard", "05": "construction", "06": "construction", "07": "construction",
    "08": "construction", "09": "construction", "10": "transport", "11": "water", "12": "other",
}

# Share of state-owned parcels (权属性质 10/20) per group, and per class where the class differs (DOMAIN §2).
STATE_SHARE_BY_GROUP = {
    "cropland": 0.05, "orchard": 0.05, "forest": 0.35, "grassland": 0.30, "wetland": 0.60,
    "construction": 0.75, "transport": 0.80, "water": 0.90, "other": 0.50,
}
STATE_SHARE_BY_CLASS = {"0701": 0.95, "0702": 0.0}
STATE_OWNERSHIP = {"10": 0.6, "20": 0.4}
COLLECTIVE_OWNERSHIP = {"30": 0.40, "31": 0.20, "32": 0.25, "33": 0.08, "34": 0.04, "40": 0.03}

ADJUSTABLE_SHARE = 0.03  # parcels of 01–04 classes coded with a trailing K (可调整地类, DOMAIN §2)
CONSTRUCTION_FIRST_LEVELS = ("05", "06", "07", "08", "09", "10")
SUPPLY_METHODS = ("allocated", "granted", "leased", "unsupplied")
SUPPLY_SHARES = {  # first-level class -> shares of SUPPLY_METHODS (state construction land only)
    "05": (0.05, 0.75, 0.05, 0.15), "06": (0.10, 0.60, 0.10, 0.20), "07": (0.10, 0.80, 0.00, 0.10),
    "08": (0.80, 0.10, 0.00, 0.10), "09": (0.80, 0.10, 0.00, 0.10), "10": (0.85, 0.05, 0.00, 0.10),
}
# Legal term of a grant (DOMAIN §4): 40 years commercial (05), 70 residential (07), 50 otherwise.
GRANTED_TERM = {"05": 40, "07": 70}
GRANTED_TERM_OTHER = 50
PLOT_RATIO_RANGE = {
    "05": (1.0, 4.0), "06": (0.5, 1.5), "0701": (1.0, 3.5), "0702": (0.3, 1.2), "08": (0.5, 2.5),
    "09": (0.2, 1.0), "10": (0.05, 0.5),
}
REDLINE_SHARE = 0.10  # parcels of forest, grassland and wetland classes partly inside the ecological red line
ZONED_SHARE = 0.8  # parcels of a zoned class in a zoned county that carry their price zone

# Yearly change of the base map (multi-year samples): shares of the previous year's parcels.
CLASS_CHANGE_SHARE = 0.010
SPLIT_SHARE = 0.0025
MERGE_SHARE = 0.0025
VANISH_SHARE = 0.0015
APPEAR_SHARE = 0.0015
# Where a changed parcel goes, per group of its old class (reclassification, DOMAIN §5 balance accounts).
CLASS_TRANSITIONS: dict[str, dict[str, float]] = {
    "cropland": {"0702": 0.25, "0601": 0.15, "1003": 0.10, "0201": 0.20, "0301": 0.15, "0404": 0.05, "1202": 0.10},
    "orchard": {"0103": 0.4, "0702": 0.2, "0301": 0.4},
    "forest": {"0404": 0.2, "0103": 0.1, "0602": 0.2, "0301": 0.5},
    "grassland": {"0301": 0.5, "0305": 0.2, "0103": 0.2, "0602": 0.1},
    "wetland": {"1101": 0.5, "0404": 0.5},
    "construction": {"0701": 0.3, "05H1": 0.2, "0810": 0.2, "0103": 0.3},
    "transport": {"1003": 0.5, "1006": 0.5},
    "water": {"1106": 0.5, "1104": 0.5},
    "other": {"0103": 0.4, "0702": 0.2, "0601": 0.2, "0301": 0.2},
}

# ---------------------------------------------------------------------------------------------------------------
# Inventories (DOMAIN §2, §3)
# ---------------------------------------------------------------------------------------------------------------

FOREST_SPLIT_SHARE = 0.10  # base parcels described by two sub-compartments
TREE_GROUP_SHARES = {  # dominant species group of 0301/0307 sub-compartments
    "pine": 0.27, "larch": 0.10, "cypress": 0.14, "oak": 0.16, "birch_poplar": 0.15, "soft_broadleaf": 0.04,
    "hard_broadleaf": 0.08, "spruce_fir": 0.01, "economic": 0.05,
}
SPECIES_GROUP_BY_CLASS = {"0302": "bamboo", "0305": "shrub"}
FOREST_TYPE_SHARES = {"1": 0.70, "2": 0.15, "3": 0.12, "4": 0.03}  # 林种 of non-economic forest
AGE_SHARES = {"0307": (0.8, 0.2, 0.0, 0.0, 0.0)}
AGE_SHARES_DEFAULT = (0.28, 0.34, 0.20, 0.12, 0.06)
STOCK_M3_PER_HA_BY_AGE = np.array([10.0, 35.0, 60.0, 80.0, 95.0])
STOCK_FACTOR_BY_CLASS = {"0301": 1.0, "0307": 0.15}  # other forest classes carry no timber stock
BAMBOO_STEMS_PER_HA = (1500, 3000)
NATURAL_ORIGIN_SHARE = 0.45
LAND_GRADE_SHARES = (0.05, 0.15, 0.35, 0.30, 0.15)
TREE_OWNERSHIP_FLIP = 0.05  # state trees on collective land, and collective trees on state land
TREE_COLLECTIVE_OWNERSHIP = {"2": 0.8, "3": 0.2}  # 集体, 个人
FOREST_GROWTH = (1.03, 0.01)  # yearly stock growth factor: mean, sd
HARVEST_SHARE = 0.01
AGEING_SHARE = 0.05

# Shanxi grassland types (by their Chinese name in grassland_types.csv): share and median hay yield kg/ha.
GRASSLAND_TYPES = {
    "暖性灌草丛类": (0.33, 1400.0), "温性草原类": (0.22, 900.0), "暖性草丛类": (0.20, 1600.0),
    "山地草甸类": (0.10, 2200.0), "低地草甸类": (0.08, 2600.0), "温性荒漠草原类": (0.07, 500.0),
}
HAY_SIGMA = 0.45
SOWN_PASTURE_YIELD_FACTOR = 2.0  # 0403 人工牧草地

BASINS = ("黄河流域", "海河流域")
# Share of each city's counties lying in the 海河 basin (the rest drain to the 黄河), and of counties in both.
HAIHE_SHARE_BY_CITY = {
    "140100": 0.1, "140200": 0.9, "140300": 1.0, "140400": 0.8, "140500": 0.3, "140600": 0.8,
    "140700": 0.5, "140800": 0.0, "140900": 0.5, "141000": 0.0, "141100": 0.05,
}
TWO_BASIN_SHARE = 0.3
PROTECTION_STATUSES = ("国家级自然保护区", "省级自然保护区", "湿地公园")
PROTECTION_SHARES = (0.10, 0.15, 0.15)  # the rest is blank
WETLAND_FINER_TYPE_SHARE = 0.3  # wetlands typed with a finer SDL code of their class, where the list has one

# ---------------------------------------------------------------------------------------------------------------
# Water and minerals (DOMAIN §3)
# ---------------------------------------------------------------------------------------------------------------

# Shanxi water resources, m³/year: surface + groundwater − overlap ≈ 1.2e10.
WATER_SURFACE_M3 = 7.2e9
WATER_GROUNDWATER_M3 = 8.4e9
WATER_OVERLAP_OF_MIN = (0.55, 0.85)  # overlap as a share of min(surface, groundwater)
WATER_YEARLY_VARIATION = 0.10
OVERDRAFT_SHARE = 0.15

COAL_COUNTY_SHARE = 0.8
DEPOSITS_PER_COAL_COUNTY = 2.5
DEPOSITS_PER_OTHER_COUNTY = 0.7
COAL_DEPOSIT_SHARE = 0.7
# mineral -> (weight among non-coal deposits, host cities (None = anywhere), median deposit quantity and median
# resource rent per unit, both in the unit of minerals.csv named here)
MINERAL_PROFILES: dict[str, tuple[float, tuple[str, ...] | None, str, float, float]] = {
    "coal": (0.0, None, "万吨", 8000.0, 800_000.0),
    "coalbed_methane": (0.10, ("140500", "140400", "141100", "141000"), "亿立方米", 30.0, 30_000_000.0),
    "bauxite": (0.15, ("141100", "140900", "140300", "140700", "141000"), "万吨", 800.0, 500_000.0),
    "iron": (0.15, ("140900", "141100", "141000", "140200"), "万吨", 2000.0, 300_000.0),
    "copper": (0.05, ("140800", "140900"), "吨", 50_000.0, 8000.0),
    "gold": (0.05, ("140900", "140800", "140200"), "千克", 3000.0, 100_000.0),
    "crystalline_graphite": (0.04, ("140200", "140600"), "万吨", 80.0, 2_000_000.0),
    "helium": (0.03, ("140500", "141000"), "万立方米", 500.0, 1_000_000.0),
    "geothermal_water": (0.08, ("140100", "140200", "140800", "140900"), "万立方米", 200.0, 20_000.0),
    "limestone": (0.35, None, "万吨", 3000.0, 50_000.0),
}
DEPOSIT_SIGMA = 1.0
MINING_RIGHT_SHARES = {"mining": 0.6, "exploration": 0.3, "none": 0.1}
# Resource classes a deposit reports (GB/T 17766-2020), by mining right, for 2 and for 3 classes.
RESOURCE_CLASS_SETS = {
    "mining": (("probable_reserve", "measured"), ("proved_reserve", "probable_reserve", "indicated")),
    "exploration": (("indicated", "inferred"), ("measured", "indicated", "inferred")),
    "none": (("indicated", "inferred"), ("measured", "indicated", "inferred")),
}
REMAINING_LIFE_YEARS = (15.0, 60.0)  # quantity / annual extraction of producing rows
NEW_DEPOSITS_PER_YEAR = 2.0
RECLASSIFIED_SHARE = 0.03  # rows moving to the next better-known resource class in a year

# ---------------------------------------------------------------------------------------------------------------
# Dirty rows (DOMAIN §5 "nothing lost": every rejected row is listed with its file, row number and reason)
# ---------------------------------------------------------------------------------------------------------------

DEFECT_KINDS = (
    "unknown_land_class", "negative_area", "duplicate_id", "blank_required", "unknown_county",
    "unparseable_number", "unknown_ownership",
)
DEFECT_RULES = {
    "unknown_land_class": "code_list", "negative_area": "range", "duplicate_id": "unique",
    "blank_required": "required", "unknown_county": "region", "unparseable_number": "type",
    "unknown_ownership": "code_list", "unknown_code": "code_list", "negative_quantity": "range",
}
UNKNOWN_LAND_CLASSES = ("0199", "9999", "1299")
UNKNOWN_OWNERSHIPS = ("50", "99", "25")
UNKNOWN_COUNTY = "149999"
OWNERSHIP_COLUMN = {"land": "ownership", "forest": "land_ownership", "grassland": "ownership", "wetland": "ownership"}
NUMBER_DEFECT_COLUMN = {
    "land": "area_m2", "forest": "stock_m3", "grassland": "hay_yield_kg_per_ha", "wetland": "area_m2",
}
# Required columns that may be left blank; base_parcel_id is never blanked, so every inventory row keeps its link.
BLANKABLE = {
    "land": ("parcel_id", "region_code", "land_class", "area_m2", "ownership"),
    "forest": ("parcel_id", "region_code", "land_class", "area_m2", "land_ownership", "tree_ownership",
               "forest_type", "origin", "species_code", "age_group", "stock_m3"),
    "grassland": ("parcel_id", "region_code", "land_class", "area_m2", "ownership", "grassland_type", "grade",
                  "hay_yield_kg_per_ha", "vegetation_cover_pct"),
    "wetland": ("parcel_id", "region_code", "land_class", "area_m2", "ownership", "wetland_type"),
}
WATER_DEFECTS = {  # kind -> column
    "blank_required": "volume_m3", "unparseable_number": "volume_m3", "unknown_code": "source_type",
    "negative_quantity": "volume_m3", "unknown_county": "region_code",
}
MINERAL_DEFECTS = {
    "blank_required": "quantity", "unparseable_number": "quantity", "unknown_code": "mineral_code",
    "negative_quantity": "quantity", "unknown_county": "region_code", "duplicate_id": "deposit_id",
}
UNKNOWN_CODES = {"source_type": "spring", "mineral_code": "uranium"}

# Inconsistencies between the base map and the inventories (DOMAIN §2), planted per county and inventory on
# base parcels whose rows are all clean; see plant_inconsistencies. Codes as in assets_pipeline/consistency.py.
DEFAULT_INCONSISTENCY_SHARE = 0.005
INCONSISTENCY_KINDS = ("missing_base", "class_mismatch", "area_exceeds_base", "ownership_mismatch", "county_mismatch",
                       "missing_inventory")
INCONSISTENCY_COLUMNS = ["region_code", "category", "finding_type", "base_parcel_id", "parcel_id", "area_m2"]
MISMATCHED_CLASS = "0103"          # 旱地 on the base map under an inventory row (the DOMAIN §2 example)
SHRUNK_BASE_SHARE = 0.9            # the base parcel recorded at 90 % of what its inventory rows cover
COLLECTIVE_CODE = "30"             # 集体土地所有权, under state inventory rows
MISSING_BASE_SERIAL = 9_900_000_000  # serials no county uses: base parcels that do not exist …
UNDESCRIBED_SERIAL = 9_800_000_000   # … and base parcels appended without an inventory row
# A state grassland base parcel without an inventory row is unpriced (type and grade unknown, DOMAIN §2), and a run
# fails when a category's unpriced rows pass --unpriced-threshold (default 0.01) of its in-scope rows. The sample
# keeps such parcels to at most half that share of each year's state grassland rows, so a sample of any size compiles
# with the defaults; the other base parcels of this kind are planted on collective land (reported, not in scope).
UNPRICED_WITHOUT_INVENTORY = ("grassland",)
UNPRICED_PLANTED_SHARE = 0.005

# Decimal places of number columns as written to text (CSV); area columns keep 2 (survey precision).
DECIMALS = {
    "plot_ratio": 2, "granted_term_years": 0, "years_used": 0, "stock_m3": 2, "hay_yield_kg_per_ha": 1,
    "vegetation_cover_pct": 0, "volume_m3": 0, "quantity": 2, "annual_extraction": 2, "unit_rent": 2,
}

README_TEXT = (
    "This folder belongs to a synthetic Shanxi-like province (140000) written by assets_pipeline.sample.generate for "
    "trying the pipeline: one land-survey file (the base map) and forest, grassland and wetland inventories per "
    "county, a province water table and a province mineral table per year, delivered in the mixed encodings, "
    "formats and headers real counties use. It is NOT real data: every parcel, deposit and volume is drawn at "
    "random to resemble the province's composition, and prices come from the illustrative reference tables. "
    "planted_<year>.csv lists every dirty row that was planted on purpose (category, file relative to the year "
    "folder, row number as the user sees it: CSV line, Excel row or Parquet record, column and the rule it "
    "breaks), so the rejections of a pipeline run can be checked against it. planted_inconsistencies_<year>.csv "
    "lists the inconsistencies planted between the base map and the inventories (county, category, finding type, "
    "base parcel id, inventory parcel id, area concerned in m²), which a run must report in inconsistencies.parquet.\n"
)


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SampleSummary:
    """What a call to ``generate_sample`` wrote."""

    out_dir: Path
    years: list[int]
    files: dict[int, list[str]]  # per year, paths relative to <out_dir>/<year>/ with "/"
    rows: dict[int, dict[str, int]]  # per year and category, data rows written (dirty rows included)
    planted: dict[int, int]  # per year, planted defects (= dirty rows)
    seconds: float
    deliveries: dict[str, str] = field(default_factory=dict)  # county code -> how it delivers its files


def generate_sample(out_dir: Path, years: Sequence[int], parcels: int = 50_000, seed: int = 2023,
                    formats: str = "mixed", dirty_share: float = 0.02,
                    inconsistency_share: float = DEFAULT_INCONSISTENCY_SHARE) -> SampleSummary:
    """Write a synthetic province for ``years`` under ``out_dir`` and return what was written.

    ``parcels`` is the number of base-map parcels of the first year, spread over the 117 counties;
    ``formats`` is "mixed" (counties deliver as real counties do), "parquet" or "csv" (every file in that
    format with canonical headers); ``dirty_share`` is the share of county rows made dirty (a few rows of
    the water and mineral tables too). Later years evolve from the first one (same parcel ids, a few
    reclassified, split, merged, new or gone parcels), so balance accounts can be derived (DOMAIN §5).
    ``inconsistency_share`` is, per county and inventory, the share of base parcels given each kind of
    inconsistency between the base map and the inventory (DOMAIN §2; see ``plant_inconsistencies``), listed in
    ``_sample/planted_inconsistencies_<year>.csv``; 0 keeps the inventories in exact agreement with the base map.
    State grassland base parcels without an inventory row, which a run finds unpriced, stay within
    UNPRICED_PLANTED_SHARE of the year's state grassland rows (see ``UnpricedBudget``), so any sample compiles
    with the run's default unpriced threshold. Files a previous sample left for these years are removed first.
    """
    started = time.perf_counter()
    if formats not in FORMATS:
        raise ValueError(f"formats must be one of {FORMATS}, not {formats!r}")
    if parcels < 1:
        raise ValueError("parcels must be at least 1")
    if not 0.0 <= dirty_share < 1.0:
        raise ValueError("dirty_share must be in [0, 1)")
    if not 0.0 <= inconsistency_share <= 0.1:
        raise ValueError("inconsistency_share must be in [0, 0.1]")
    years = sorted({int(y) for y in years})
    if not years:
        raise ValueError("at least one year is needed")
    out_dir = Path(out_dir)
    ref = load_reference()
    counties = plan_counties(ref, parcels, seed, formats)
    book = SampleBook(out_dir, years)
    for year in years:
        book.clear_year(year)

    for county in counties:
        state: CountyState | None = None
        for year in years:
            state = (first_county_state(county, ref, seed, year) if state is None
                     else evolve_county_state(state, county, ref, seed, year))
            write_county_year(book, county, state, ref, seed, year, dirty_share, inconsistency_share)

    province = province_delivery(formats)
    minerals: pd.DataFrame | None = None
    for year in years:
        write_province_table(book, "water", water_rows(counties, ref, seed, year), province["water"], seed, year,
                             dirty_share, WATER_DEFECTS)
        minerals = first_minerals(counties, ref, seed) if minerals is None else evolve_minerals(minerals, counties,
                                                                                                ref, seed, year)
        write_province_table(book, "minerals", minerals_table(minerals), province["minerals"], seed, year,
                             dirty_share, MINERAL_DEFECTS)
    book.write_records()
    return SampleSummary(
        out_dir=out_dir, years=years, files=book.files, rows=book.rows,
        planted={y: int(sum(len(f) for f in book.planted[y])) for y in years},
        seconds=time.perf_counter() - started,
        deliveries={c.code: c.delivery.describe() for c in counties},
    )


# ---------------------------------------------------------------------------------------------------------------
# Random streams
# ---------------------------------------------------------------------------------------------------------------


def stream(seed: int, *keys: int | str) -> np.random.Generator:
    """An independent random stream per (seed, purpose, county, year).

    Keying every draw by what it is for keeps a county's files identical whatever else is generated (but for which
    of its grassland parcels without inventory are state land: the year's ``UnpricedBudget`` counts the counties
    written before it), and lets later years be derived without replaying earlier draws.
    """
    words = [int(seed)] + [k if isinstance(k, int) else zlib.crc32(k.encode("utf-8")) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(words))


def choose(rng: np.random.Generator, shares: Sequence[float], size: int) -> np.ndarray:
    """Indices drawn with the given (not necessarily normalised) shares."""
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """floor(x) or ceil(x) with the right odds, so small files get dirty rows in the right proportion."""
    return int(np.floor(x + rng.random()))


# ---------------------------------------------------------------------------------------------------------------
# Reference tables
# ---------------------------------------------------------------------------------------------------------------


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


def read_reference_csv(name: str) -> pd.DataFrame:
    """A reference table with every cell as text (codes keep their leading zeros)."""
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8")


def load_reference() -> Reference:
    """Read the code lists the sample draws from; fail early if a table lacks what the sample needs."""
    admin = read_reference_csv("admin_divisions.csv")
    counties = admin[(admin["level"] == "county") & admin["region_code"].str.startswith(PROVINCE_CODE[:2])]
    counties = counties.sort_values("region_code")[["region_code", "name", "parent_code"]].reset_index(drop=True)
    if counties.empty:
        raise ValueError("admin_divisions.csv has no county of the province")

    ownership = read_reference_csv("ownership_codes.csv")
    state = set(ownership.loc[ownership["is_state"] == "true", "code"])
    collective = set(ownership.loc[ownership["is_state"] == "false", "code"])

    trees = read_reference_csv("tree_ownership_codes.csv")
    tree_state = trees.loc[trees["is_state"] == "true", "code"].tolist()
    tree_collective = set(trees.loc[trees["is_state"] == "false", "code"])
    minerals = read_reference_csv("minerals.csv")

    return Reference(
        counties=counties,
        classes=load_land_classes(),
        state_codes=weighted_codes(STATE_OWNERSHIP, state, "state ownership"),
        collective_codes=weighted_codes(COLLECTIVE_OWNERSHIP, collective, "collective ownership"),
        zones=load_price_zones(),
        tree_state_code=tree_state[0],
        tree_collective_codes=weighted_codes(TREE_COLLECTIVE_OWNERSHIP, tree_collective, "collective tree ownership"),
        forest_types=load_forest_types(),
        species=load_species(),
        grassland_types=load_grassland_types(),
        grade_bands=load_grade_bands(),
        wetland_types=load_wetland_types(),
        mineral_units=dict(zip(minerals["mineral_code"], minerals["unit"])),
        resource_classes=read_reference_csv("resource_classes.csv")["resource_class"].tolist(),
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


def load_land_classes() -> LandClasses:
    """Parcel classes and how many parcels of each: class area share of its group / mean parcel area."""
    table = read_reference_csv("land_classes.csv")
    parents = set(table.loc[table["level"] == "2", "parent_class"])
    usable = table[(table["level"] == "2") | ((table["level"] == "1") & ~table["land_class"].isin(parents))]
    codes = usable["land_class"].tolist()
    categories = usable["category"].tolist()
    groups = np.array([land_survey_group(c, k) for c, k in zip(codes, categories)])
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
        codes=np.array(codes), groups=groups, categories=np.array(categories),
        parcel_share=count / count.sum(), mean_m2=mean_ha * M2_PER_HA,
        state_share=np.array([STATE_SHARE_BY_CLASS.get(c, STATE_SHARE_BY_GROUP[g]) for c, g in zip(codes, groups)]),
        adjustable=np.array([c[:2] in ("01", "02", "03", "04") for c in codes]),
        construction=construction,
        plot_ratio_low=np.where(construction, [lo for lo, _ in plot_ratio], np.nan),
        plot_ratio_high=np.where(construction, [hi for _, hi in plot_ratio], np.nan),
        supply_cumulative=np.cumsum(supply / supply_total, axis=1),
        granted_term=np.array([GRANTED_TERM.get(c[:2], GRANTED_TERM_OTHER) for c in codes], dtype=float),
    )


def load_price_zones() -> dict[str, dict[str, list[str]]]:
    """Price zones (价格区划) of land_base_prices.csv per county and land class (any year)."""
    prices = read_reference_csv("prices/land_base_prices.csv")
    zoned = prices[prices["price_zone"] != ""][["region_code", "land_class", "price_zone"]].drop_duplicates()
    zones: dict[str, dict[str, list[str]]] = {}
    for (county, land_class), rows in zoned.groupby(["region_code", "land_class"], sort=True):
        zones.setdefault(county, {})[land_class] = sorted(rows["price_zone"])
    return zones


def load_forest_types() -> dict[str, list[str]]:
    """林种 codes to use per first-level type: its second-level codes where the list has them."""
    table = read_reference_csv("forest_types.csv")
    if "parent_type" not in table.columns:
        return {code: [code] for code in table["forest_type"]}
    top = table.loc[table["parent_type"] == "", "forest_type"]
    return {code: table.loc[table["parent_type"] == code, "forest_type"].tolist() or [code] for code in top}


def load_species() -> dict[str, list[str]]:
    table = read_reference_csv("forest_species.csv")
    return {g: rows["species_code"].tolist() for g, rows in table.groupby("species_group", sort=True)}


def load_grassland_types() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the Shanxi grassland types, looked up by name in grassland_types.csv."""
    table = read_reference_csv("grassland_types.csv")
    by_name = dict(zip(table["name_zh"], table["grassland_type"]))
    found = [(by_name[name], share, hay) for name, (share, hay) in GRASSLAND_TYPES.items() if name in by_name]
    if not found:
        raise ValueError("grassland_types.csv lacks the Shanxi grassland types")
    codes, shares, hay = zip(*found)
    return np.array(codes), np.array(shares) / sum(shares), np.array(hay)


def load_grade_bands() -> tuple[np.ndarray, np.ndarray]:
    """Grassland grades with the lower bound of their hay-yield band, sorted by that bound."""
    table = read_reference_csv("grassland_grades.csv")
    lower = pd.to_numeric(table["hay_min_kg_per_ha"].replace("", "0")).to_numpy(dtype=float)
    grade = table["grade"].astype(int).to_numpy()
    order = np.argsort(lower)
    return grade[order], lower[order]


def load_wetland_types() -> dict[str, tuple[str, list[str]]]:
    """Per wetland land class: its own wetland type and the finer types of the same wetland class."""
    table = read_reference_csv("wetland_types.csv")
    classes = read_reference_csv("land_classes.csv")
    wetland_classes = set(classes.loc[classes["category"] == "wetland", "land_class"])
    own = table[table["wetland_type"].isin(wetland_classes)]
    finer = table[~table["wetland_type"].isin(wetland_classes)]
    result = {}
    for land_class, wetland_class in zip(own["wetland_type"], own["wetland_class"]):
        result[land_class] = (land_class, finer.loc[finer["wetland_class"] == wetland_class, "wetland_type"].tolist())
    return result


# ---------------------------------------------------------------------------------------------------------------
# Counties and how they deliver
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """How one county (or the province) sends its files."""

    file_format: str = "parquet"  # csv, xlsx, parquet
    encoding: str = "utf-8"  # CSV only: utf-8, utf-8-sig (with BOM) or gbk
    headers: str = "canonical"  # canonical, survey (BSM, XZQDM, DLBM …) or chinese (标识码, 行政区代码 …)
    long_region_code: bool = False  # 12-digit 坐落单位代码 instead of the county code
    area_unit: str = "m2"  # m2 or mu (header 图斑面积(亩))

    @property
    def extension(self) -> str:
        return self.file_format

    def describe(self) -> str:
        parts = [self.file_format]
        if self.file_format == "csv":
            parts.append(self.encoding)
        parts.append(f"{self.headers} headers")
        if self.long_region_code:
            parts.append("12-digit 坐落单位代码")
        if self.area_unit == "mu":
            parts.append("areas in 亩")
        return ", ".join(parts)


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city: str
    parcels: int  # base-map parcels of the first year
    weight: float  # share of the province (drives water volumes too)
    delivery: Delivery
    basins: tuple[str, ...]

    @property
    def file_stem(self) -> str:
        return f"{self.code}_{self.name}"


def plan_counties(ref: Reference, parcels: int, seed: int, formats: str) -> list[County]:
    """Counties with their (uneven, Dirichlet) share of parcels, their delivery and their basins."""
    rng = stream(seed, "counties")
    table = ref.counties
    n = len(table)
    weights = rng.dirichlet(np.full(n, 2.0))
    floor = min(10, parcels // n)
    counts = rng.multinomial(parcels - floor * n, weights) + floor
    deliveries = plan_deliveries(n, formats, stream(seed, "deliveries"))
    haihe = np.array([HAIHE_SHARE_BY_CITY.get(city, 0.5) for city in table["parent_code"]])
    primary_haihe = rng.random(n) < haihe
    both = rng.random(n) < TWO_BASIN_SHARE
    basins = [BASINS if b else ((BASINS[1],) if h else (BASINS[0],)) for h, b in zip(primary_haihe, both)]
    return [
        County(code=code, name=name, city=city, parcels=int(k), weight=float(w), delivery=d, basins=b)
        for code, name, city, k, w, d, b in zip(table["region_code"], table["name"], table["parent_code"], counts,
                                                weights, deliveries, basins)
    ]


def plan_deliveries(n: int, formats: str, rng: np.random.Generator) -> list[Delivery]:
    """Delivery per county. "mixed": ~35 % GBK CSV (half survey, half Chinese headers; a quarter of them with
    坐落单位代码), ~20 % UTF-8 CSV (a third with BOM), ~20 % XLSX with Chinese headers, the rest Parquet; one
    GBK and one XLSX county with Chinese headers give areas in 亩."""
    if formats != "mixed":
        return [Delivery(file_format=formats)] * n
    order = rng.permutation(n)
    n_gbk, n_utf8, n_xlsx = round(0.35 * n), round(0.20 * n), round(0.20 * n)
    gbk, utf8 = order[:n_gbk], order[n_gbk:n_gbk + n_utf8]
    xlsx = order[n_gbk + n_utf8:n_gbk + n_utf8 + n_xlsx]
    survey, chinese = gbk[:(n_gbk + 1) // 2], gbk[(n_gbk + 1) // 2:]
    result = [Delivery(file_format="parquet")] * n
    for position, i in enumerate(gbk):
        result[i] = Delivery("csv", "gbk", "survey" if i in survey else "chinese", long_region_code=position % 4 == 0)
    for position, i in enumerate(utf8):
        result[i] = Delivery("csv", "utf-8-sig" if position % 3 == 0 else "utf-8", "canonical")
    for i in xlsx:
        result[i] = Delivery("xlsx", headers="chinese")
    for group in (chinese, xlsx):
        if len(group):
            i = group[0]
            result[i] = Delivery(result[i].file_format, result[i].encoding, "chinese", result[i].long_region_code, "mu")
    return result


def province_delivery(formats: str) -> dict[str, Delivery]:
    """The province tables: in "mixed", water as XLSX and minerals as UTF-8 (BOM) CSV, both with Chinese headers."""
    if formats == "mixed":
        return {"water": Delivery("xlsx", headers="chinese"), "minerals": Delivery("csv", "utf-8-sig", "chinese")}
    return {"water": Delivery(formats), "minerals": Delivery(formats)}


# ---------------------------------------------------------------------------------------------------------------
# Base map parcels (DOMAIN §2)
# ---------------------------------------------------------------------------------------------------------------


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
    log_mean = np.log(classes.mean_m2[land_class]) - PARCEL_AREA_SIGMA ** 2 / 2
    area = np.maximum(np.exp(log_mean + PARCEL_AREA_SIGMA * rng.standard_normal(n)), MIN_PARCEL_M2)
    parcels = Rows({
        "serial": np.arange(first_serial, first_serial + n, dtype=np.int64),
        "land_class": land_class,
        "area": quantise_area(area, county.delivery.area_unit),
        # township (3 digits) and village (3 digits) of the 12-digit 坐落单位代码
        "village": rng.integers(1, 26, n) * 1000 + rng.integers(1, 41, n),
    })
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
    parcels["ownership"] = np.where(is_state, state_codes[rng.choice(len(state_codes), n, p=state_p)],
                                    collective_codes[rng.choice(len(collective_codes), n, p=collective_p)])
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
    merged_first = np.sort(rng.choice(pairable, size=min(len(pairable), int(round(MERGE_SHARE / 2 * n))),
                                      replace=False))
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
    evolved = CountyState(Rows.concat([kept, halves, unions, newcomers]), next_serial,
                          state.forest, state.grassland, state.wetland)
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


# ---------------------------------------------------------------------------------------------------------------
# Inventories: one row per base parcel of their category (forest: sometimes two sub-compartments)
# ---------------------------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------------------------
# Delivered tables (canonical column names, typed; headers and text are applied when written)
# ---------------------------------------------------------------------------------------------------------------


def text(values: np.ndarray | Sequence[str]) -> pa.Array:
    """A string column; empty strings become blank cells."""
    array = pa.array(np.asarray(values, dtype=object), type=pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def number(values: np.ndarray) -> pa.Array:
    """A float column; NaN becomes a blank cell."""
    return pa.array(np.asarray(values, dtype=float), type=pa.float64(), from_pandas=True)


def integer(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(values)
    mask = np.zeros(len(values), dtype=bool) if missing is None else np.asarray(missing, dtype=bool)
    return pa.array(np.where(mask, 0, values).astype(np.int64), type=pa.int64(), mask=mask)


def id_text(values: np.ndarray) -> pa.Array:
    """Identifiers and region codes built as integers (fast) and written as digits."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def region_column(county: County, village: np.ndarray) -> pa.Array:
    """The county code, or the 12-digit 坐落单位代码 (county + township + village) for counties that send it."""
    if county.delivery.long_region_code:
        return id_text(int(county.code) * 1_000_000 + np.asarray(village, dtype=np.int64))
    return pa.array(np.full(len(village), county.code, dtype=object), type=pa.string())


def parcel_ids(county: County, serial: np.ndarray) -> np.ndarray:
    """图斑标识码: county code + 10-digit serial, unique in the province."""
    return int(county.code) * 10_000_000_000 + np.asarray(serial, dtype=np.int64)


def class_text(ref: Reference, land_class: np.ndarray, adjustable: np.ndarray) -> pa.Array:
    codes = ref.classes.codes[land_class].astype(object)
    return pa.array(np.where(adjustable, codes + "K", codes), type=pa.string())


def area_values(area_m2: np.ndarray, county: County) -> np.ndarray:
    """Areas in the county's unit: m² as stored, or 亩 to 2 decimals."""
    if county.delivery.area_unit == "mu":
        return np.round(np.asarray(area_m2, dtype=float) / M2_PER_MU, 2)
    return np.asarray(area_m2, dtype=float)


def land_table(parcels: Rows, county: County, ref: Reference) -> pa.Table:
    grade = parcels["cropland_grade"]
    return pa.table({
        "parcel_id": id_text(parcel_ids(county, parcels["serial"])),
        "region_code": region_column(county, parcels["village"]),
        "land_class": class_text(ref, parcels["land_class"], parcels["adjustable"]),
        "area_m2": number(area_values(parcels["area"], county)),
        "ownership": text(parcels["ownership"]),
        "price_zone": text(parcels["price_zone"]),
        "cropland_grade": integer(grade, grade == 0),
        "plot_ratio": number(parcels["plot_ratio"]),
        "supply_method": text(np.array(SUPPLY_METHODS + ("",), dtype=object)[parcels["supply"]]),
        "granted_term_years": number(parcels["granted_term"]),
        "years_used": number(parcels["years_used"]),
        "redline_area_m2": number(area_values(parcels["redline"], county)),
    })


def inventory_base_columns(rows: Rows, county: County, ref: Reference) -> dict[str, pa.Array]:
    """Columns every inventory shares: its own id, the base parcel it describes, county, class, area.

    An inventory id is the base id followed by a 2-digit sub-compartment number, so it is unique and stable."""
    base = parcel_ids(county, rows["serial"])
    return {
        "parcel_id": id_text(base * 100 + rows["sub"]),
        "base_parcel_id": id_text(base),
        "region_code": region_column(county, rows["village"]),
        "land_class": class_text(ref, rows["land_class"], rows["adjustable"]),
        "area_m2": number(area_values(rows["area"], county)),
    }


def forest_table(rows: Rows, county: County, ref: Reference) -> pa.Table:
    stems = rows["bamboo_stems"]
    columns = inventory_base_columns(rows, county, ref)
    columns.update({
        "land_ownership": text(rows["ownership"]),
        "tree_ownership": text(rows["tree_ownership"]),
        "forest_type": text(rows["forest_type"]),
        "origin": text(rows["origin"]),
        "species_code": text(rows["species"]),
        "age_group": text(rows["age_group"].astype(str)),
        "stock_m3": number(rows["stock_m3"]),
        "bamboo_stems": integer(np.nan_to_num(stems), np.isnan(stems)),
        "land_grade": integer(rows["land_grade"]),
    })
    return pa.table(columns)


def grassland_table(rows: Rows, county: County, ref: Reference) -> pa.Table:
    columns = inventory_base_columns(rows, county, ref)
    columns.update({
        "ownership": text(rows["ownership"]),
        "grassland_type": text(rows["grassland_type"]),
        "grade": integer(rows["grade"]),
        "hay_yield_kg_per_ha": number(rows["hay"]),
        "vegetation_cover_pct": number(rows["cover"]),
    })
    return pa.table(columns)


def wetland_table(rows: Rows, county: County, ref: Reference) -> pa.Table:
    columns = inventory_base_columns(rows, county, ref)
    columns.update({
        "ownership": text(rows["ownership"]),
        "wetland_type": text(rows["wetland_type"]),
        "basin": text(rows["basin"]),
        "protection_status": text(rows["protection"]),
    })
    return pa.table(columns)


# ---------------------------------------------------------------------------------------------------------------
# Water (DOMAIN §3: region × basin × source; overlap never exceeds either source)
# ---------------------------------------------------------------------------------------------------------------


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
    return pa.table({
        "region_code": text(np.repeat(codes, 3)),
        "basin": text(np.repeat(basins, 3)),
        "source_type": text(source),
        "volume_m3": number(np.column_stack([surface, ground, overlap]).ravel()),
        "overdraft_zone": pa.array(overdraft_cell, mask=source != "groundwater", type=pa.bool_()),
    })


# ---------------------------------------------------------------------------------------------------------------
# Minerals (DOMAIN §3: deposit × mineral × resource class, GB/T 17766-2020)
# ---------------------------------------------------------------------------------------------------------------


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


def new_deposits(rng: np.random.Generator, counties: list[County], per_county: np.ndarray, ref: Reference,
                 coal_county: np.ndarray, first_number: np.ndarray) -> pd.DataFrame:
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
    total = size * rng.lognormal(-DEPOSIT_SIGMA ** 2 / 2, DEPOSIT_SIGMA, n)
    rent = mineral_series.map({m: p[3] for m, p in profiles.items()}).to_numpy(dtype=float) * rng.lognormal(0, 0.3, n)
    split = rng.dirichlet(np.full(3, 2.0), n) if n else np.zeros((0, 3))

    count = np.where(three, 3, 2)
    row_of = np.repeat(np.arange(n), count)
    rank = np.arange(len(row_of)) - np.repeat(np.cumsum(count) - count, count)
    class_sets = np.array([[tuple(sets[0]) + ("",), sets[1]] for sets in (RESOURCE_CLASS_SETS[r] for r in rights)],
                          dtype=object)  # (mining right, two or three classes, rank)
    resource_class = class_sets[right[row_of], three[row_of].astype(int), rank]
    in_use = np.where(three[:, None], split, np.column_stack([split[:, :2], np.zeros(n)]))
    share = in_use[row_of, rank] / in_use.sum(axis=1)[row_of]
    quantity = np.round(total[row_of] * share, 2)
    producing = rights[right[row_of]] == "mining"
    life = rng.uniform(*REMAINING_LIFE_YEARS, len(row_of))
    table = pd.DataFrame({
        "deposit_id": deposit_id[row_of],
        "region_code": region[row_of],
        "mineral_code": mineral[row_of],
        "resource_class": resource_class,
        "quantity": quantity,
        "unit": mineral_series.map(ref.mineral_units).to_numpy(dtype=object)[row_of],
        "mining_right": rights[right[row_of]],
        "annual_extraction": np.where(producing, np.round(quantity / life, 2), np.nan),
        "unit_rent": np.where(producing, np.round(rent[row_of], 2), np.nan),
    })
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
    return pa.table({
        "deposit_id": text(table["deposit_id"].to_numpy()),
        "region_code": text(table["region_code"].to_numpy()),
        "mineral_code": text(table["mineral_code"].to_numpy()),
        "resource_class": text(table["resource_class"].to_numpy()),
        "quantity": number(table["quantity"].to_numpy()),
        "unit": text(table["unit"].to_numpy()),
        "mining_right": text(table["mining_right"].to_numpy()),
        "annual_extraction": number(table["annual_extraction"].to_numpy()),
        "unit_rent": number(table["unit_rent"].to_numpy()),
    })


# ---------------------------------------------------------------------------------------------------------------
# Planting defects
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Planted:
    """Dirty rows of one table: row positions (0-based), the column and rule each breaks, and the cells that
    must be written as text (an unparseable number in a number column)."""

    rows: np.ndarray
    columns: np.ndarray
    rules: np.ndarray
    text_cells: dict[str, tuple[np.ndarray, np.ndarray]]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class UnpricedBudget:
    """How many unpriced rows a year's sample may still plant: at most ``share`` of the in-scope rows counted so far.

    Counties are written one after the other, so the year's budget grows with each county's in-scope rows (counted
    low: only clean state rows on untouched state base parcels) and the planted unpriced rows never pass ``share``
    of the year's in-scope rows, however small the province."""

    share: float = UNPRICED_PLANTED_SHARE
    in_scope: int = 0
    planted: int = 0

    def allowance(self, more_in_scope: int) -> int:
        """Unpriced rows a county with ``more_in_scope`` in-scope rows may plant; counts those rows in."""
        self.in_scope += more_in_scope
        return max(0, int(np.floor(self.share * self.in_scope + 1e-9)) - self.planted)


def plant_inconsistencies(tables: dict[str, tuple[pa.Table, Planted]], base_category: np.ndarray, county: County,
                          share: float, rng: np.random.Generator,
                          budgets: dict[str, UnpricedBudget] | None = None) -> pd.DataFrame:
    """Plant each kind of inconsistency on about ``share`` of the county's base parcels of each inventory, and
    return what a run must find (county, category, finding type, base parcel, inventory row, area in m²).

    Only base parcels whose inventory rows are all clean are used, each for one kind, so every planted finding is
    found exactly once and no dirty row changes. Rows are changed in place or appended at the end, so the row
    numbers of the planted dirty rows stay what ``planted_<year>.csv`` says:

    - missing_base: a copy of an inventory row pointing at a base parcel that does not exist (appended);
    - class_mismatch: the base parcel recorded as 0103 旱地;
    - area_exceeds_base: the base parcel recorded at 90 % of its area (its red-line area capped to it);
    - ownership_mismatch: a state base parcel under state inventory rows recorded collective (30);
    - county_mismatch: the inventory rows recorded in another county;
    - missing_inventory: a copy of a base parcel that no inventory row describes (appended). Where such a parcel
      is unpriced (UNPRICED_WITHOUT_INVENTORY), state parcels are taken only within the year's ``budgets`` of that
      category and collective ones otherwise, so the count of the kind stays ``share`` of the base parcels.
    """
    budgets = budgets if budgets is not None else {}
    land, land_planted = tables["land"]
    factor = M2_PER_MU if county.delivery.area_unit == "mu" else 1.0
    base_ids = np.asarray(land.column("parcel_id").to_pylist(), dtype=object)
    base_area = land.column("area_m2").to_numpy(zero_copy_only=False).astype(float)
    base_state = pc.is_in(land.column("ownership"), value_set=pa.array(sorted(STATE_OWNERSHIP))).to_numpy(zero_copy_only=False)
    land_dirty = np.zeros(land.num_rows, dtype=bool)
    land_dirty[land_planted.rows] = True
    other_county = "140105" if county.code != "140105" else "140106"
    found: list[pd.DataFrame] = []
    appended_land: list[pa.Table] = []

    def record(category, kind, base, parcel, area_m2):
        found.append(pd.DataFrame({"region_code": county.code, "category": category, "finding_type": kind,
                                   "base_parcel_id": base, "parcel_id": parcel, "area_m2": np.round(area_m2, 2)}))

    for name in INVENTORIES:
        if name not in tables:
            continue
        inventory, planted = tables[name]
        rows = pd.DataFrame({
            "base": inventory.column("base_parcel_id").to_pylist(), "parcel": inventory.column("parcel_id").to_pylist(),
            "area_m2": np.round(inventory.column("area_m2").to_numpy(zero_copy_only=False).astype(float) * factor, 2),
            "state": pc.is_in(inventory.column(OWNERSHIP_COLUMN[name]),
                              value_set=pa.array(sorted(STATE_OWNERSHIP))).to_numpy(zero_copy_only=False),
        })
        rows["dirty"] = False
        rows.loc[planted.rows, "dirty"] = True
        per_base = rows.groupby("base").agg(dirty=("dirty", "any"), state=("state", "all"))
        clean_bases = per_base.index[~per_base["dirty"]]
        of_category = base_category == name
        usable = np.flatnonzero(of_category & ~land_dirty & (pd.Index(clean_bases).get_indexer(base_ids) >= 0))
        pool = rng.permutation(usable)
        # base parcels all of whose rows are state-owned (positions in the base map)
        state_base = pd.Index(per_base.index[per_base["state"]]).get_indexer(base_ids) >= 0
        for kind in INCONSISTENCY_KINDS:
            k = stochastic_round(share * int(of_category.sum()), rng)
            eligible = base_state[pool] & state_base[pool] if kind == "ownership_mismatch" else np.ones(len(pool), bool)
            if kind == "missing_inventory" and name in UNPRICED_WITHOUT_INVENTORY:
                budget = budgets.setdefault(name, UnpricedBudget())
                in_scope = rows["state"] & ~rows["dirty"] & rows["base"].isin(base_ids[pool[base_state[pool]]])
                allowed = budget.allowance(int(in_scope.sum()))
                eligible = ~base_state[pool] | (np.cumsum(base_state[pool]) <= allowed)
            taken = np.flatnonzero(eligible)[:k]
            picks = pool[taken]
            pool = np.delete(pool, taken)
            if kind == "missing_inventory" and name in UNPRICED_WITHOUT_INVENTORY:
                budgets[name].planted += int(base_state[picks].sum())
            if not len(picks):
                continue
            at = np.sort(picks.astype(np.int64))
            ids = base_ids[at]
            mine = rows[rows["base"].isin(ids)]
            if kind == "missing_base":
                first = mine.drop_duplicates("base")
                copies = inventory.take(pa.array(first.index.to_numpy()))
                missing = parcel_ids(county, MISSING_BASE_SERIAL + np.arange(len(first)))
                copies = copies.set_column(copies.schema.get_field_index("base_parcel_id"), "base_parcel_id",
                                           id_text(missing))
                copies = copies.set_column(copies.schema.get_field_index("parcel_id"), "parcel_id",
                                           id_text(missing * 100 + 1))
                inventory = pa.concat_tables([inventory, copies])
                record(name, kind, missing.astype(str), (missing * 100 + 1).astype(str), first["area_m2"].to_numpy())
            elif kind == "class_mismatch":
                land = replace_cells(land, "land_class", at, pa.array([MISMATCHED_CLASS] * len(at)))
                record(name, kind, mine["base"].to_numpy(), mine["parcel"].to_numpy(), mine["area_m2"].to_numpy())
            elif kind == "area_exceeds_base":
                shrunk = np.round(base_area[at] * SHRUNK_BASE_SHARE, 2)
                land = replace_cells(land, "area_m2", at, pa.array(shrunk))
                redline = land.column("redline_area_m2").to_numpy(zero_copy_only=False).astype(float)[at]
                land = replace_cells(land, "redline_area_m2", at, pa.array(np.fmin(redline, shrunk)))
                covered = mine.groupby("base")["area_m2"].sum().reindex(ids).to_numpy()
                record(name, kind, ids, None, covered - np.round(shrunk * factor, 2))
            elif kind == "ownership_mismatch":
                land = replace_cells(land, "ownership", at, pa.array([COLLECTIVE_CODE] * len(at)))
                record(name, kind, mine["base"].to_numpy(), mine["parcel"].to_numpy(), mine["area_m2"].to_numpy())
            elif kind == "county_mismatch":
                inventory = replace_cells(inventory, "region_code", mine.index.to_numpy(),
                                          pa.array([other_county] * len(mine)))
                record(name, kind, mine["base"].to_numpy(), mine["parcel"].to_numpy(), mine["area_m2"].to_numpy())
            else:  # missing_inventory
                copies = land.take(pa.array(at))
                new_ids = parcel_ids(county, UNDESCRIBED_SERIAL + len(appended_land) * 1_000_000 + np.arange(len(at)))
                copies = copies.set_column(copies.schema.get_field_index("parcel_id"), "parcel_id", id_text(new_ids))
                appended_land.append(copies)
                record(name, kind, new_ids.astype(str), None, np.round(base_area[at] * factor, 2))
        tables[name] = (inventory, planted)
    tables["land"] = (pa.concat_tables([land] + appended_land), land_planted)
    if not found:
        return pd.DataFrame(columns=INCONSISTENCY_COLUMNS)
    return pd.concat(found, ignore_index=True)


def replace_cells(table: pa.Table, column: str, positions: np.ndarray, values: pa.Array | None) -> pa.Table:
    """The table with ``column`` replaced at ``positions`` (None: blanked)."""
    index = table.schema.get_field_index(column)
    array = table.column(index).combine_chunks()
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[positions] = True
    if values is None:
        new = pc.if_else(pa.array(mask), pa.scalar(None, array.type), array)
    else:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        order = np.argsort(positions, kind="stable")
        new = pc.replace_with_mask(array, pa.array(mask), values.take(pa.array(order)).cast(array.type))
    return table.set_column(index, column, new)


def unparseable(values: pa.Array, places: int) -> np.ndarray:
    """Numbers made unreadable the way hand-edited cells are: ``12a.5``."""
    written = pd.Series(decimal_text(values, places).to_pylist(), dtype=object).fillna("0")
    return np.where(written.str.contains(".", regex=False), written.str.replace(".", "a.", n=1, regex=False),
                    written + "a").astype(object)


def rules_of(kinds: np.ndarray) -> np.ndarray:
    """The validation rule (required, type, code_list, range, unique, region) each planted defect breaks."""
    return pd.Series(kinds, dtype=object).map(DEFECT_RULES).to_numpy(dtype=object)


def defect_kinds(kinds: Sequence[str], delivery: Delivery) -> np.ndarray:
    """The defects a delivery can carry: a typed Parquet column cannot hold an unparseable number."""
    typed = delivery.file_format == "parquet"
    return np.array([k for k in kinds if not (typed and k == "unparseable_number")], dtype=object)


def plant_county_defects(table: pa.Table, category: str, eligible: np.ndarray, rng: np.random.Generator,
                         share: float, delivery: Delivery) -> tuple[pa.Table, Planted]:
    """Make ``share`` of the eligible rows dirty, one defect per row, and say which."""
    candidates = np.flatnonzero(eligible)
    k = min(len(candidates), stochastic_round(share * table.num_rows, rng)) if share > 0 else 0
    rows = np.sort(rng.choice(candidates, size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)
    possible = defect_kinds(DEFECT_KINDS, delivery)
    kinds = possible[rng.integers(0, len(possible), k)]
    columns = np.empty(k, dtype=object)
    text_cells: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # A duplicate repeats the id of an earlier clean eligible row; a row with none before it gets a negative area.
    clean = np.setdiff1d(candidates, rows)
    duplicate = kinds == "duplicate_id"
    earlier = np.searchsorted(clean, rows[duplicate])
    kinds[np.flatnonzero(duplicate)[earlier == 0]] = "negative_area"
    duplicate = kinds == "duplicate_id"
    earlier = np.searchsorted(clean, rows[duplicate])
    source = clean[np.floor(rng.random(len(earlier)) * earlier).astype(np.int64)]

    for kind in DEFECT_KINDS:
        at = rows[kinds == kind]
        if not len(at):
            continue
        if kind == "unknown_land_class":
            column = "land_class"
            table = replace_cells(table, column, at, pa.array(rng.choice(UNKNOWN_LAND_CLASSES, len(at))))
        elif kind == "negative_area":
            column = "area_m2"
            table = replace_cells(table, column, at, pc.negate(table.column(column).take(pa.array(at))))
        elif kind == "duplicate_id":
            column = "parcel_id"
            table = replace_cells(table, column, at, table.column(column).take(pa.array(source)))
        elif kind == "unknown_county":
            column = "region_code"
            code = UNKNOWN_COUNTY + ("000000" if delivery.long_region_code else "")
            table = replace_cells(table, column, at, pa.array(np.full(len(at), code, dtype=object)))
        elif kind == "unknown_ownership":
            column = OWNERSHIP_COLUMN[category]
            table = replace_cells(table, column, at, pa.array(rng.choice(UNKNOWN_OWNERSHIPS, len(at))))
        elif kind == "unparseable_number":
            column = NUMBER_DEFECT_COLUMN[category]
            values = table.column(column).take(pa.array(at))
            text_cells[column] = (at, unparseable(values, DECIMALS.get(column, 2)))
        else:  # blank_required: one required column per row, blanked column by column
            pool = np.array(BLANKABLE[category], dtype=object)
            chosen = pool[rng.integers(0, len(pool), len(at))]
            for name in pool:
                if (chosen == name).any():
                    table = replace_cells(table, name, at[chosen == name], None)
            columns[np.isin(rows, at)] = chosen
            continue
        columns[np.isin(rows, at)] = column
    return table, Planted(rows, columns, rules_of(kinds), text_cells)


def plant_province_defects(table: pa.Table, defects: dict[str, str], rng: np.random.Generator,
                           share: float, delivery: Delivery) -> tuple[pa.Table, Planted]:
    """A few dirty rows in a province table (water, minerals), one defect per row."""
    n = table.num_rows
    k = min(n - 1, max(1, int(round(share * n)))) if share > 0 and n > 1 else 0
    rows = np.sort(rng.choice(np.arange(1, n), size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)
    possible = defect_kinds(list(defects), delivery)
    kinds = possible[rng.integers(0, len(possible), k)]
    columns = pd.Series(kinds, dtype=object).map(defects).to_numpy(dtype=object)
    clean = np.setdiff1d(np.arange(n), rows)
    text_cells: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kind in defects:
        at = rows[kinds == kind]
        if not len(at):
            continue
        column = defects[kind]
        if kind == "blank_required":
            table = replace_cells(table, column, at, None)
        elif kind == "unparseable_number":
            text_cells[column] = (at, unparseable(table.column(column).take(pa.array(at)), DECIMALS.get(column, 2)))
        elif kind == "unknown_code":
            table = replace_cells(table, column, at, pa.array(np.full(len(at), UNKNOWN_CODES[column], dtype=object)))
        elif kind == "negative_quantity":
            table = replace_cells(table, column, at, pc.negate(table.column(column).take(pa.array(at))))
        elif kind == "unknown_county":  # distinct codes counting down from 149999: region is part of the water key
            codes = (int(UNKNOWN_COUNTY) - np.arange(len(at))).astype(str).astype(object)
            table = replace_cells(table, column, at, pa.array(codes))
        elif kind == "duplicate_id":  # the whole key of an earlier clean row: deposit × mineral × resource class
            earlier = np.searchsorted(clean, at)
            source = clean[np.floor(rng.random(len(at)) * earlier).astype(np.int64)]
            for name in ("deposit_id", "region_code", "mineral_code", "resource_class", "unit"):
                table = replace_cells(table, name, at, table.column(name).take(pa.array(source)))
    return table, Planted(rows, columns, rules_of(kinds), text_cells)


# ---------------------------------------------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------------------------------------------


def is_chinese(name: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in name)


def header_for(column: Column, delivery: Delivery) -> str:
    """The header a county of this delivery style uses for a column; always a name categories.py knows.

    survey: the short field name of the survey databases (first ASCII alias: BSM, XZQDM, DLBM …);
    chinese: the first Chinese alias (标识码, 行政区代码, 地类编码 …); an area in 亩 says so in its header."""
    style = delivery.headers
    if column.name == "region_code" and delivery.long_region_code:
        name = {"survey": "ZLDWDM", "chinese": "坐落单位代码"}.get(style, column.name)
    else:
        ascii_aliases = [a for a in column.aliases if a.isascii()]
        chinese_aliases = [a for a in column.aliases if is_chinese(a)]
        if style == "survey":
            name = (ascii_aliases or chinese_aliases or [column.name])[0]
        elif style == "chinese":
            name = (chinese_aliases or ascii_aliases or [column.name])[0]
        else:
            name = column.name
    if name != column.name and name not in column.aliases:
        raise ValueError(f"header {name!r} is not an alias of {column.name}")
    if column.kind == "area" and delivery.area_unit == "mu":
        name += "(亩)"
    return name


def headers_for(spec: CategorySpec, names: Sequence[str], delivery: Delivery) -> list[str]:
    headers = [header_for(spec.column(n), delivery) for n in names]
    if len(set(headers)) != len(headers):
        raise ValueError(f"duplicate headers for {spec.name}: {headers}")
    return headers


def decimal_text(values: pa.Array | pa.ChunkedArray, places: int) -> pa.Array:
    """Numbers written with exactly ``places`` decimals, never in exponent form (1.2e+10 would be read as text
    by many tools)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    x = array.to_numpy(zero_copy_only=False).astype(float)
    missing = np.isnan(x)
    scale = 10 ** places
    scaled = np.rint(np.abs(np.nan_to_num(x)) * scale).astype(np.int64)
    written = pc.cast(pa.array(scaled // scale), pa.string())
    if places:
        fraction = pc.utf8_lpad(pc.cast(pa.array(scaled % scale), pa.string()), places, "0")
        written = pc.binary_join_element_wise(written, fraction, ".")
    written = pc.if_else(pa.array(x < 0), pc.binary_join_element_wise("-", written, ""), written)
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), written)


def column_text(name: str, array: pa.ChunkedArray, chinese: bool) -> pa.Array:
    """A column as the text a CSV file holds."""
    kind = array.type
    if pa.types.is_floating(kind):
        return decimal_text(array, DECIMALS.get(name, 2))
    if pa.types.is_boolean(kind):
        yes, no = ("是", "否") if chinese else ("true", "false")
        return pc.if_else(array, yes, no)
    return pc.cast(array.combine_chunks(), pa.string())


def with_text_cells(array: pa.Array, cells: tuple[np.ndarray, np.ndarray]) -> pa.Array:
    positions, values = cells
    mask = np.zeros(len(array), dtype=bool)
    mask[positions] = True
    order = np.argsort(positions, kind="stable")
    return pc.replace_with_mask(array, pa.array(mask), pa.array(values[order], type=pa.string()))


def csv_bytes(table: pa.Table, headers: list[str], planted: Planted, delivery: Delivery) -> bytes:
    chinese = delivery.headers == "chinese"
    columns = []
    for name in table.column_names:
        array = column_text(name, table.column(name), chinese)
        if name in planted.text_cells:
            array = with_text_cells(array, planted.text_cells[name])
        columns.append(array)
    buffer = io.BytesIO()
    buffer.write((",".join(headers) + "\n").encode("utf-8"))
    pacsv.write_csv(pa.table(columns, names=table.column_names), buffer,
                    pacsv.WriteOptions(include_header=False, quoting_style="none"))
    data = buffer.getvalue()
    if delivery.encoding == "gbk":
        return data.decode("utf-8").encode("gbk")
    if delivery.encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + data
    return data


def parquet_table(table: pa.Table, headers: list[str], planted: Planted) -> pa.Table:
    """Typed columns under the delivery's headers (no text cell: see ``defect_kinds``)."""
    if planted.text_cells:
        raise ValueError("a typed Parquet column cannot hold an unparseable number")
    return table.rename_columns(headers)


def xlsx_bytes(table: pa.Table, headers: list[str], planted: Planted, delivery: Delivery) -> bytes:
    """An XLSX workbook: header in row 1 of the first sheet, numbers as numbers, codes as text.

    openpyxl accepts rows one at a time only, so this is the one place rows are handed over in a loop; the
    values themselves are all computed column-wise beforehand."""
    cells = []
    for name in table.column_names:
        array = table.column(name)
        if pa.types.is_boolean(array.type):
            array = column_text(name, array, True)
        values = np.array(array.to_pylist(), dtype=object)
        if name in planted.text_cells:
            positions, written = planted.text_cells[name]
            values[positions] = written
        cells.append(values)
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = FIXED_TIMESTAMP
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(headers)
    for row in zip(*cells):
        sheet.append(row)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return fixed_time_zip(raw.getvalue())


def fixed_time_zip(data: bytes) -> bytes:
    """The same zip with every entry stamped FIXED_TIMESTAMP, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


def write_delivered(path: Path, table: pa.Table, spec: CategorySpec, planted: Planted, delivery: Delivery) -> None:
    headers = headers_for(spec, table.column_names, delivery)
    path.parent.mkdir(parents=True, exist_ok=True)
    if delivery.file_format == "parquet":
        pq.write_table(parquet_table(table, headers, planted), path, compression="snappy")
    elif delivery.file_format == "csv":
        path.write_bytes(csv_bytes(table, headers, planted, delivery))
    elif delivery.file_format == "xlsx":
        path.write_bytes(xlsx_bytes(table, headers, planted, delivery))
    else:
        raise ValueError(f"unknown file format {delivery.file_format}")


def user_row_numbers(positions: np.ndarray, delivery: Delivery) -> np.ndarray:
    """Row numbers as the user sees them: CSV line / Excel row (header is 1), or Parquet record (first is 1)."""
    return positions + (1 if delivery.file_format == "parquet" else 2)


class SampleBook:
    """Where the sample goes, and the record of what was written."""

    def __init__(self, out_dir: Path, years: list[int]):
        self.out_dir = out_dir
        self.files: dict[int, list[str]] = {y: [] for y in years}
        self.rows: dict[int, dict[str, int]] = {y: {c: 0 for c in SPECS} for y in years}
        self.planted: dict[int, list[pd.DataFrame]] = {y: [] for y in years}
        self.inconsistencies: dict[int, list[pd.DataFrame]] = {y: [] for y in years}
        self.budgets: dict[int, dict[str, UnpricedBudget]] = {y: {} for y in years}  # unpriced rows planted

    def clear_year(self, year: int) -> None:
        """Remove the files a previous sample left for this year, so no stale county file is read as input."""
        year_dir = self.out_dir / str(year)
        for category in COUNTY_CATEGORIES:
            if (year_dir / category).is_dir():
                shutil.rmtree(year_dir / category)
        for name in ("water", "minerals"):
            for extension in ("csv", "xlsx", "parquet"):
                (year_dir / f"{name}.{extension}").unlink(missing_ok=True)

    def write(self, year: int, relative: str, category: str, table: pa.Table, planted: Planted,
              delivery: Delivery) -> None:
        write_delivered(self.out_dir / str(year) / relative, table, SPECS[category], planted, delivery)
        self.files[year].append(relative)
        self.rows[year][category] += table.num_rows
        if len(planted):
            self.planted[year].append(pd.DataFrame({
                "category": category, "source_file": relative,
                "source_row": user_row_numbers(planted.rows, delivery),
                "column": planted.columns, "rule": planted.rules,
            }))

    def write_records(self) -> None:
        folder = self.out_dir / "_sample"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "README.txt").write_text(README_TEXT, encoding="utf-8")
        columns = ["category", "source_file", "source_row", "column", "rule"]
        for year, frames in self.planted.items():
            record = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
            record = record.sort_values(["source_file", "source_row"], kind="stable")
            record.to_csv(folder / f"planted_{year}.csv", index=False, columns=columns, lineterminator="\n")
        for year, frames in self.inconsistencies.items():
            record = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=INCONSISTENCY_COLUMNS)
            record = record.sort_values(["region_code", "category", "finding_type", "base_parcel_id", "parcel_id"],
                                        kind="stable")
            record.to_csv(folder / f"planted_inconsistencies_{year}.csv", index=False, columns=INCONSISTENCY_COLUMNS,
                          lineterminator="\n")


def write_county_year(book: SampleBook, county: County, state: CountyState, ref: Reference, seed: int, year: int,
                      dirty_share: float, inconsistency_share: float = 0.0) -> None:
    """The county's four files for the year, each with its share of dirty rows, then the inconsistencies between
    the base map and the inventories, planted on clean rows only (so each is found as planted).

    Dirty land rows are taken among parcels no inventory describes, so every inventory row keeps a valid base."""
    rng = stream(seed, "defects", int(county.code), year)
    category = ref.classes.categories[state.parcels["land_class"]]
    builders = {"land": (state.parcels, land_table), "forest": (state.forest, forest_table),
                "grassland": (state.grassland, grassland_table), "wetland": (state.wetland, wetland_table)}
    tables: dict[str, tuple[pa.Table, Planted]] = {}
    for name in COUNTY_CATEGORIES:
        rows, build = builders[name]
        if not len(rows):
            continue
        table = build(rows, county, ref)
        eligible = category == "land" if name == "land" else np.ones(len(rows), dtype=bool)
        tables[name] = plant_county_defects(table, name, eligible, rng, dirty_share, county.delivery)
    if inconsistency_share > 0 and "land" in tables:
        found = plant_inconsistencies(tables, category, county, inconsistency_share,
                                      stream(seed, "inconsistencies", int(county.code), year), book.budgets[year])
        book.inconsistencies[year].append(found)
    for name, (table, planted) in tables.items():
        relative = f"{name}/{county.file_stem}.{county.delivery.extension}"
        book.write(year, relative, name, table, planted, county.delivery)


def write_province_table(book: SampleBook, category: str, table: pa.Table, delivery: Delivery, seed: int, year: int,
                         dirty_share: float, defects: dict[str, str]) -> None:
    table, planted = plant_province_defects(table, defects, stream(seed, "defects", category, year), dirty_share,
                                            delivery)
    book.write(year, f"{category}.{delivery.extension}", category, table, planted, delivery)
