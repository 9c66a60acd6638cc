"""The six inventories as counties deliver them (DOMAIN §3): each column described once.

Each category lists its canonical columns (``columns.Column``): the kind they are parsed to, the header aliases
real deliveries use, whether they are required, the code list or range they are checked against and their
names in the workbooks. Header matching is case-, space- and punctuation-insensitive (see
``ingest.headers.header_key``). Area columns may carry their unit in the header (``图斑面积(亩)``, ``area_ha``)
or in a declared unit; they are always stored in m².
"""

from __future__ import annotations

from assets_pipeline.schema.columns import KINDS, CategorySpec, Column, column_labels
from assets_pipeline.schema.inventories import FOREST, GRASSLAND, WETLAND
from assets_pipeline.schema.land import LAND
from assets_pipeline.schema.resources import MINERALS, WATER

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES_ZH",
    "KINDS",
    "SPECS",
    "CategorySpec",
    "Column",
    "COLUMN_NAMES_ZH",
    "COLUMN_NAMES_EN",
]

CATEGORIES: tuple[str, ...] = ("land", "forest", "grassland", "wetland", "water", "minerals")

CATEGORY_NAMES_ZH = {
    "land": "土地",
    "forest": "森林",
    "grassland": "草原",
    "wetland": "湿地",
    "water": "水",
    "minerals": "矿产",
}

SPECS: dict[str, CategorySpec] = {s.name: s for s in (LAND, FOREST, GRASSLAND, WETLAND, WATER, MINERALS)}

# The inventories' columns by their names in the workbooks (the rejects workbook, the county packs).
COLUMN_NAMES_ZH: dict[str, str] = column_labels(SPECS.values(), "zh")
COLUMN_NAMES_EN: dict[str, str] = column_labels(SPECS.values(), "en")

# Units an area header or declaration may name, with their factor to m² (1 公顷 = 10,000 m² = 15 亩).
AREA_UNITS: dict[str, str] = {
    "m2": "m2",
    "㎡": "m2",
    "平方米": "m2",
    "sqm": "m2",
    "mu": "mu",
    "亩": "mu",
    "ha": "ha",
    "hm2": "ha",
    "公顷": "ha",
    "hectare": "ha",
}
# Exact factors as strings: areas are converted in decimal and kept to 2 decimals of m² (survey precision).
AREA_FACTORS: dict[str, str] = {"m2": "1", "ha": "10000", "mu": "666.6666666666666666666666667"}

VOLUME_UNITS: dict[str, str] = {"m3": "m3", "立方米": "m3", "万立方米": "wan_m3", "万m3": "wan_m3", "亿立方米": "yi_m3"}
VOLUME_FACTORS: dict[str, str] = {"m3": "1", "wan_m3": "10000", "yi_m3": "100000000"}
