"""The figures the sample imitates: Shanxi (140000), its land survey, inventories, water and minerals.

Shares and magnitudes only, in one place, so the province's look can be tuned without reading the generators;
the code lists they refer to come from reference_tables/ (see ``reference``).
"""

from __future__ import annotations

import numpy as np

PROVINCE_CODE = "140000"
INVENTORIES = ("forest", "grassland", "wetland")
COUNTY_CATEGORIES = ("land",) + INVENTORIES

M2_PER_MU = 10_000 / 15  # 1 公顷 = 10,000 m² = 15 亩 (DOMAIN §4)
M2_PER_HA = 10_000.0

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
    "0101": (0.5, 0.4),
    "0102": (98.0, 1.0),
    "0103": (288.45, 1.3),
    "0201": (58.0, 0.6),
    "0204": (6.09, 0.6),
    "0301": (318.0, 3.5),
    "0302": (0.5, 1.0),
    "0305": (190.0, 3.0),
    "0307": (101.07, 2.0),
    "0401": (5.0, 2.5),
    "0403": (1.0, 1.0),
    "0404": (304.51, 2.5),
    # wetland classes; Shanxi has no coast, so 0303 红树林地 and 1105 沿海滩涂 get no parcels
    "1106": (4.29, 1.5),
    "1108": (0.2, 1.5),
    "0402": (0.5, 1.5),
    "0306": (0.15, 1.5),
    "0304": (0.0, 1.5),
    "0603": (0.3, 3.0),
    "05H1": (5.5, 0.3),
    "0508": (1.0, 0.8),
    "0601": (11.0, 1.5),
    "0602": (14.0, 2.0),
    "0701": (9.5, 0.6),
    "0702": (52.0, 0.5),
    "08H1": (1.0, 0.3),
    "08H2": (3.5, 0.8),
    "0809": (1.2, 0.3),
    "0810": (0.8, 1.0),
    "09": (2.26, 0.8),
    "1001": (2.5, 1.5),
    "1002": (0.05, 0.5),
    "1003": (7.0, 1.2),
    "1004": (4.0, 0.3),
    "1005": (0.3, 0.3),
    "1006": (12.9, 0.25),
    "1007": (0.2, 50.0),
    "1009": (0.03, 0.2),
    "1101": (5.5, 3.0),
    "1102": (0.3, 5.0),
    "1103": (3.2, 5.0),
    "1104": (1.6, 0.3),
    "1107": (4.5, 0.3),
    "1109": (2.21, 0.5),
    "1201": (1.5, 0.3),
    "1202": (5.0, 0.4),
    "1203": (22.0, 0.2),
    "1204": (2.5, 2.0),
    "1205": (0.8, 2.0),
    "1206": (5.0, 1.5),
    "1207": (7.2, 2.0),
}
PARCEL_AREA_SIGMA = 0.8  # lognormal spread of parcel areas within a class
MIN_PARCEL_M2 = 20.0

FIRST_LEVEL_GROUP = {
    "01": "cropland",
    "02": "orchard",
    "05": "construction",
    "06": "construction",
    "07": "construction",
    "08": "construction",
    "09": "construction",
    "10": "transport",
    "11": "water",
    "12": "other",
}

# Share of state-owned parcels (权属性质 10/20) per group, and per class where the class differs (DOMAIN §2).
STATE_SHARE_BY_GROUP = {
    "cropland": 0.05,
    "orchard": 0.05,
    "forest": 0.35,
    "grassland": 0.30,
    "wetland": 0.60,
    "construction": 0.75,
    "transport": 0.80,
    "water": 0.90,
    "other": 0.50,
}
STATE_SHARE_BY_CLASS = {"0701": 0.95, "0702": 0.0}
STATE_OWNERSHIP = {"10": 0.6, "20": 0.4}
COLLECTIVE_OWNERSHIP = {"30": 0.40, "31": 0.20, "32": 0.25, "33": 0.08, "34": 0.04, "40": 0.03}

ADJUSTABLE_SHARE = 0.03  # parcels of 01–04 classes coded with a trailing K (可调整地类, DOMAIN §2)
CONSTRUCTION_FIRST_LEVELS = ("05", "06", "07", "08", "09", "10")
SUPPLY_METHODS = ("allocated", "granted", "leased", "unsupplied")
SUPPLY_SHARES = {  # first-level class -> shares of SUPPLY_METHODS (state construction land only)
    "05": (0.05, 0.75, 0.05, 0.15),
    "06": (0.10, 0.60, 0.10, 0.20),
    "07": (0.10, 0.80, 0.00, 0.10),
    "08": (0.80, 0.10, 0.00, 0.10),
    "09": (0.80, 0.10, 0.00, 0.10),
    "10": (0.85, 0.05, 0.00, 0.10),
}
# Legal term of a grant (DOMAIN §4): 40 years commercial (05), 70 residential (07), 50 otherwise.
GRANTED_TERM = {"05": 40, "07": 70}
GRANTED_TERM_OTHER = 50
PLOT_RATIO_RANGE = {
    "05": (1.0, 4.0),
    "06": (0.5, 1.5),
    "0701": (1.0, 3.5),
    "0702": (0.3, 1.2),
    "08": (0.5, 2.5),
    "09": (0.2, 1.0),
    "10": (0.05, 0.5),
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
    "pine": 0.27,
    "larch": 0.10,
    "cypress": 0.14,
    "oak": 0.16,
    "birch_poplar": 0.15,
    "soft_broadleaf": 0.04,
    "hard_broadleaf": 0.08,
    "spruce_fir": 0.01,
    "economic": 0.05,
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
    "暖性灌草丛类": (0.33, 1400.0),
    "温性草原类": (0.22, 900.0),
    "暖性草丛类": (0.20, 1600.0),
    "山地草甸类": (0.10, 2200.0),
    "低地草甸类": (0.08, 2600.0),
    "温性荒漠草原类": (0.07, 500.0),
}
HAY_SIGMA = 0.45
SOWN_PASTURE_YIELD_FACTOR = 2.0  # 0403 人工牧草地

BASINS = ("黄河流域", "海河流域")
# Share of each city's counties lying in the 海河 basin (the rest drain to the 黄河), and of counties in both.
HAIHE_SHARE_BY_CITY = {
    "140100": 0.1,
    "140200": 0.9,
    "140300": 1.0,
    "140400": 0.8,
    "140500": 0.3,
    "140600": 0.8,
    "140700": 0.5,
    "140800": 0.0,
    "140900": 0.5,
    "141000": 0.0,
    "141100": 0.05,
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
