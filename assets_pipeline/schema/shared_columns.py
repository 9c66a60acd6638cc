"""Columns and header aliases several inventories share (DOMAIN §3); a category varies one by
``dataclasses.replace``."""

from __future__ import annotations

from dataclasses import replace

from assets_pipeline.schema.columns import Column

PARCEL_ID_ALIASES = ("BSM", "标识码", "图斑标识码", "要素标识码")
REGION_ALIASES = ("XZQDM", "行政区代码", "行政区划代码", "县级行政区代码", "ZLDWDM", "坐落单位代码", "XIAN", "县代码")
LAND_CLASS_ALIASES = ("DLBM", "地类编码", "地类代码")
AREA_ALIASES = ("TBMJ", "图斑面积", "面积", "MJ", "XBMJ", "小班面积", "TBDLMJ", "图斑地类面积")
OWNERSHIP_ALIASES = ("QSXZ", "权属性质", "土地权属性质")
BASE_PARCEL_ALIASES = ("GTDCTBBSM", "国土调查图斑标识码", "国土变更调查图斑标识码", "底图图斑标识码", "base_bsm")
OWNERSHIP_CODE_LIST = ("ownership_codes", "code")

# Columns several categories share; a category varies one by ``dataclasses.replace``.
PARCEL_ID = Column(
    "parcel_id",
    "id",
    aliases=PARCEL_ID_ALIASES,
    description="图斑标识码 parcel id",
    label_zh="标识码",
    label_en="parcel id",
)
BASE_PARCEL_ID = Column(
    "base_parcel_id",
    "id",
    aliases=BASE_PARCEL_ALIASES,
    description="base-map parcel described",
    label_zh="底图图斑标识码",
    label_en="base-map parcel id",
)
REGION_CODE = Column(
    "region_code",
    "region",
    aliases=REGION_ALIASES,
    description="6-digit county code",
    label_zh="行政区代码",
    label_en="county code",
)
LAND_CLASS = Column(
    "land_class",
    "code",
    aliases=LAND_CLASS_ALIASES,
    description="land class",
    label_zh="地类编码",
    label_en="land class",
)
AREA_M2 = Column(
    "area_m2",
    "area",
    aliases=AREA_ALIASES,
    description="parcel area",
    label_zh="面积",
    label_en="area",
    bounds=(("gt", 0),),
)
OWNERSHIP = Column(
    "ownership",
    "code",
    aliases=OWNERSHIP_ALIASES,
    description="权属性质",
    label_zh="权属性质",
    label_en="ownership",
    code_list=OWNERSHIP_CODE_LIST,
)
BASIN = Column(
    "basin",
    "text",
    required=False,
    aliases=("SSLY", "所属流域", "流域"),
    description="river basin",
    label_zh="流域",
    label_en="river basin",
)
# Every category may name the exercising subject of a row; it overrides the rule table (DOMAIN §5). The
# workbooks show it by its canonical name.
SUBJECT = Column(
    "subject",
    "code",
    required=False,
    aliases=("所有权行使主体", "行使主体", "XSZT"),
    description="exercising subject (central/provincial/municipal), overrides the rule table",
    label_en="exercising subject",
    code_list=("exercising_subjects", "subject"),
)


def optional_area(name: str, aliases: tuple[str, ...], description: str, label_zh: str, label_en: str) -> Column:
    return Column(
        name,
        "area",
        required=False,
        aliases=aliases,
        description=description,
        label_zh=label_zh,
        label_en=label_en,
        bounds=(("ge", 0),),
    )


def polygon_columns(category: str) -> tuple[Column, ...]:
    """The first columns of a polygon inventory drawn on the base map (grassland, wetland)."""
    return (
        replace(PARCEL_ID, description=f"{category} polygon id"),
        BASE_PARCEL_ID,
        REGION_CODE,
        LAND_CLASS,
        replace(AREA_M2, description="polygon area"),
        OWNERSHIP,
    )
