"""The land survey (国土调查, the base map) as counties deliver it (DOMAIN §2, §3)."""

from __future__ import annotations

from dataclasses import replace

from assets_pipeline.schema.columns import CategorySpec, Column
from assets_pipeline.schema.shared_columns import (
    AREA_M2,
    LAND_CLASS,
    OWNERSHIP,
    PARCEL_ID,
    REGION_CODE,
    SUBJECT,
    optional_area,
)

# The "of which" zones (DOMAIN §6: ZONES) and the land-survey column stating each parcel's area inside the zone.
MEMO_AREA_COLUMNS = {
    "redline": "redline_area_m2",
    "farmland": "basic_farmland_area_m2",
    "protected": "protected_area_m2",
    "core": "protected_core_area_m2",
    "urban": "urban_boundary_area_m2",
}

LAND = CategorySpec(
    name="land",
    id_columns=("parcel_id",),
    columns=(
        PARCEL_ID,
        REGION_CODE,
        replace(LAND_CLASS, description="三调工作分类 land class"),
        AREA_M2,
        replace(OWNERSHIP, description="权属性质 10/20 state, 30-34/40 collective"),
        Column(
            "price_zone",
            "code",
            required=False,
            aliases=("价格区划", "均质区域", "JGQH", "地价区段"),
            description="land price zone",
            label_zh="价格区划",
            label_en="price zone",
        ),
        Column(
            "cropland_grade",
            "integer",
            required=False,
            aliases=("GDDB", "耕地等别"),
            description="cropland grade 1-15",
            label_zh="耕地等别",
            label_en="cropland grade",
            bounds=(("ge", 1), ("le", 15)),
        ),
        Column(
            "plot_ratio",
            "number",
            required=False,
            aliases=("RJL", "容积率"),
            description="plot ratio (construction land)",
            label_zh="容积率",
            label_en="plot ratio",
            bounds=(("gt", 0), ("le", 50)),
        ),
        Column(
            "supply_method",
            "code",
            required=False,
            aliases=("GYFS", "供应方式", "供地方式"),
            description="allocated/granted/leased/unsupplied",
            label_zh="供应方式",
            label_en="supply method",
            code_list=("supply_methods", "supply_method"),
        ),
        Column(
            "granted_term_years",
            "number",
            required=False,
            aliases=("GYNX", "出让年限", "供应年限"),
            description="legal term of the grant",
            label_zh="出让年限",
            label_en="granted term",
            unit="years",
            bounds=(("gt", 0), ("le", 70)),
        ),
        Column(
            "years_used",
            "number",
            required=False,
            aliases=("YSYNX", "已使用年限"),
            description="years of the term already used",
            label_zh="已使用年限",
            label_en="years used",
            unit="years",
            bounds=(("ge", 0), ("le", 70)),
        ),
        optional_area(
            "redline_area_m2",
            ("STBHHXMJ", "生态保护红线面积"),
            "area inside the ecological red line",
            "生态保护红线面积",
            "area in the ecological red line",
        ),
        optional_area(
            "basic_farmland_area_m2",
            ("YJJBNTMJ", "永久基本农田面积", "基本农田面积"),
            "area inside permanent basic farmland 永久基本农田",
            "永久基本农田面积",
            "area in basic farmland",
        ),
        optional_area(
            "protected_area_m2",
            ("ZRBHDMJ", "自然保护地面积", "保护地面积"),
            "area inside protected areas 自然保护地",
            "自然保护地面积",
            "area in protected areas",
        ),
        optional_area(
            "protected_core_area_m2",
            ("HXQMJ", "核心保护区面积", "自然保护地核心区面积"),
            "area inside the core zones of protected areas 自然保护地核心区",
            "自然保护地核心区面积",
            "area in protected-area core zones",
        ),
        optional_area(
            "urban_boundary_area_m2",
            ("CZKFBJMJ", "城镇开发边界面积"),
            "area inside the urban development boundary 城镇开发边界",
            "城镇开发边界面积",
            "area in the urban development boundary",
        ),
        SUBJECT,
    ),
)
