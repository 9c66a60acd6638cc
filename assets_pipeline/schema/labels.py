"""Names the published workbooks print for the categories, resources, owners, memos and value components.

One definition each, in Chinese and English; the Chinese category names are ``categories.CATEGORY_NAMES_ZH``.
"""

from __future__ import annotations

CATEGORY_NAMES_EN = {
    "land": "Land",
    "forest": "Forest",
    "grassland": "Grassland",
    "wetland": "Wetland",
    "water": "Water",
    "minerals": "Minerals",
}
RESOURCE_NAMES = {
    "zh": {
        "land": "土地资源",
        "forest": "森林资源",
        "grassland": "草原资源",
        "wetland": "湿地资源",
        "water": "水资源",
        "minerals": "矿产资源",
    },
    "en": {
        "land": "land resources",
        "forest": "forest resources",
        "grassland": "grassland resources",
        "wetland": "wetland resources",
        "water": "water resources",
        "minerals": "mineral resources",
    },
}
# The exercising subjects of ownership; in Chinese the ledgers carry their names (subject_name).
SUBJECT_NAMES_EN = {
    "central": "central government",
    "provincial": "provincial government (agent)",
    "municipal": "city government (agent)",
}
# The "of which" zones (ledgers.memos).
MEMO_NAMES = {
    "zh": {
        "redline": "生态保护红线",
        "farmland": "永久基本农田",
        "protected": "自然保护地",
        "core": "自然保护地核心区",
        "urban": "城镇开发边界",
    },
    "en": {
        "redline": "ecological red line",
        "farmland": "permanent basic farmland",
        "protected": "protected areas",
        "core": "protected-area core zones",
        "urban": "urban development boundary",
    },
}
# The components of a value (valuation models), in print order.
COMPONENTS = ("land", "trees", "water", "mineral")
COMPONENT_NAMES = {
    "zh": {"land": "土地", "trees": "林木", "water": "水资源", "mineral": "矿产资源"},
    "en": {"land": "Land", "trees": "Trees", "water": "Water", "mineral": "Mineral"},
}
# Rejected rows whose county could not be determined (their county code is not a county of the province, and
# their file's name does not start with one): one code and name in the county packs and the scorecard, listed last.
UNKNOWN_COUNTY_CODE = "000000"
UNKNOWN_COUNTY_NAMES = {"zh": "未能确定所属县", "en": "county not determined"}
# The land under a forest is forest land (林地); the component is named so on the forest sheets.
FOREST_LAND = {"zh": "林地", "en": "Forest land"}


def component_name(category: str, component: str, lang: str) -> str:
    """A value component's name in a category's sheets: 林地 for the land of a forest, else the component's."""
    if category == "forest" and component == "land":
        return FOREST_LAND[lang]
    return COMPONENT_NAMES[lang].get(component, component)
