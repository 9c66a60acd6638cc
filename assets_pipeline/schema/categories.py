"""The six inventories as counties deliver them (DOMAIN §3): each column described once.

Each category lists its canonical columns (``columns.Column``): the kind they are parsed to, the header aliases
real deliveries use, whether they are required, the code list or range they are checked against and their
names in the workbooks. Header matching is case-, space- and punctuation-insensitive (see
``ingest.headers.header_key``). Area columns may carry their unit in the header (``图斑面积(亩)``, ``area_ha``)
or in a declared unit; they are always stored in m².
"""

from __future__ import annotations

from dataclasses import replace

from assets_pipeline.schema.columns import KINDS, CategorySpec, CodeListBound, Column, column_labels

__all__ = ["CATEGORIES", "CATEGORY_NAMES_ZH", "KINDS", "SPECS", "CategorySpec", "Column", "COLUMN_NAMES_ZH",
           "COLUMN_NAMES_EN"]

CATEGORIES: tuple[str, ...] = ("land", "forest", "grassland", "wetland", "water", "minerals")

CATEGORY_NAMES_ZH = {
    "land": "土地",
    "forest": "森林",
    "grassland": "草原",
    "wetland": "湿地",
    "water": "水",
    "minerals": "矿产",
}

_PARCEL_ID = ("BSM", "标识码", "图斑标识码", "要素标识码")
_REGION = ("XZQDM", "行政区代码", "行政区划代码", "县级行政区代码", "ZLDWDM", "坐落单位代码", "XIAN", "县代码")
_LAND_CLASS = ("DLBM", "地类编码", "地类代码")
_AREA = ("TBMJ", "图斑面积", "面积", "MJ", "XBMJ", "小班面积", "TBDLMJ", "图斑地类面积")
_OWNERSHIP = ("QSXZ", "权属性质", "土地权属性质")
_BASE_PARCEL = ("GTDCTBBSM", "国土调查图斑标识码", "国土变更调查图斑标识码", "底图图斑标识码", "base_bsm")
_OWNERSHIP_CODES = ("ownership_codes", "code")

# Columns several categories share; a category varies one by ``dataclasses.replace``.
PARCEL_ID = Column("parcel_id", "id", aliases=_PARCEL_ID, description="图斑标识码 parcel id",
                   label_zh="标识码", label_en="parcel id")
BASE_PARCEL_ID = Column("base_parcel_id", "id", aliases=_BASE_PARCEL, description="base-map parcel described",
                        label_zh="底图图斑标识码", label_en="base-map parcel id")
REGION_CODE = Column("region_code", "region", aliases=_REGION, description="6-digit county code",
                     label_zh="行政区代码", label_en="county code")
LAND_CLASS = Column("land_class", "code", aliases=_LAND_CLASS, description="land class",
                    label_zh="地类编码", label_en="land class")
AREA_M2 = Column("area_m2", "area", aliases=_AREA, description="parcel area", label_zh="面积", label_en="area",
                 bounds=(("gt", 0),))
OWNERSHIP = Column("ownership", "code", aliases=_OWNERSHIP, description="权属性质", label_zh="权属性质",
                   label_en="ownership", code_list=_OWNERSHIP_CODES)
BASIN = Column("basin", "text", required=False, aliases=("SSLY", "所属流域", "流域"), description="river basin",
               label_zh="流域", label_en="river basin")
# Every category may name the exercising subject of a row; it overrides the rule table (DOMAIN §5). The
# workbooks show it by its canonical name.
SUBJECT = Column("subject", "code", required=False, aliases=("所有权行使主体", "行使主体", "XSZT"),
                 description="exercising subject (central/provincial/municipal), overrides the rule table",
                 label_en="exercising subject", code_list=("exercising_subjects", "subject"))


def _optional_area(name: str, aliases: tuple[str, ...], description: str, label_zh: str, label_en: str) -> Column:
    return Column(name, "area", required=False, aliases=aliases, description=description, label_zh=label_zh,
                  label_en=label_en, bounds=(("ge", 0),))


def _polygon_columns(category: str) -> tuple[Column, ...]:
    """The first columns of a polygon inventory drawn on the base map (grassland, wetland)."""
    return (replace(PARCEL_ID, description=f"{category} polygon id"), BASE_PARCEL_ID, REGION_CODE, LAND_CLASS,
            replace(AREA_M2, description="polygon area"), OWNERSHIP)


LAND = CategorySpec(
    name="land",
    id_columns=("parcel_id",),
    columns=(
        PARCEL_ID,
        REGION_CODE,
        replace(LAND_CLASS, description="三调工作分类 land class"),
        AREA_M2,
        replace(OWNERSHIP, description="权属性质 10/20 state, 30-34/40 collective"),
        Column("price_zone", "code", required=False, aliases=("价格区划", "均质区域", "JGQH", "地价区段"),
               description="land price zone", label_zh="价格区划", label_en="price zone"),
        Column("cropland_grade", "integer", required=False, aliases=("GDDB", "耕地等别"), description="cropland grade 1-15",
               label_zh="耕地等别", label_en="cropland grade", bounds=(("ge", 1), ("le", 15))),
        Column("plot_ratio", "number", required=False, aliases=("RJL", "容积率"), description="plot ratio (construction land)",
               label_zh="容积率", label_en="plot ratio", bounds=(("gt", 0), ("le", 50))),
        Column("supply_method", "code", required=False, aliases=("GYFS", "供应方式", "供地方式"),
               description="allocated/granted/leased/unsupplied", label_zh="供应方式", label_en="supply method",
               code_list=("supply_methods", "supply_method")),
        Column("granted_term_years", "number", required=False, aliases=("GYNX", "出让年限", "供应年限"),
               description="legal term of the grant", label_zh="出让年限", label_en="granted term", unit="years",
               bounds=(("gt", 0), ("le", 70))),
        Column("years_used", "number", required=False, aliases=("YSYNX", "已使用年限"),
               description="years of the term already used", label_zh="已使用年限", label_en="years used", unit="years",
               bounds=(("ge", 0), ("le", 70))),
        _optional_area("redline_area_m2", ("STBHHXMJ", "生态保护红线面积"), "area inside the ecological red line",
                       "生态保护红线面积", "area in the ecological red line"),
        _optional_area("basic_farmland_area_m2", ("YJJBNTMJ", "永久基本农田面积", "基本农田面积"),
                       "area inside permanent basic farmland 永久基本农田", "永久基本农田面积", "area in basic farmland"),
        _optional_area("protected_area_m2", ("ZRBHDMJ", "自然保护地面积", "保护地面积"),
                       "area inside protected areas 自然保护地", "自然保护地面积", "area in protected areas"),
        SUBJECT,
    ),
)

FOREST = CategorySpec(
    name="forest",
    id_columns=("parcel_id",),
    quantity_columns=("stock_m3", "bamboo_stems"),
    columns=(
        replace(PARCEL_ID, aliases=_PARCEL_ID + ("小班标识码", "XBBSM"), description="sub-compartment id"),
        BASE_PARCEL_ID,
        REGION_CODE,
        LAND_CLASS,
        replace(AREA_M2, description="sub-compartment area"),
        Column("land_ownership", "code", aliases=_OWNERSHIP + ("土地所有权", "LD_QS", "林地所有权"),
               description="land ownership (QSXZ)", label_zh="土地权属", label_en="land ownership",
               code_list=_OWNERSHIP_CODES),
        Column("tree_ownership", "code", aliases=("LM_SUOYQ", "林木所有权", "LMSYQ"), description="tree ownership, 1 = state",
               label_zh="林木所有权", label_en="tree ownership", code_list=("tree_ownership_codes", "code")),
        Column("forest_type", "code", aliases=("LZ", "林种"), description="林种 forest type", label_zh="林种",
               label_en="forest type", code_list=("forest_types", "forest_type")),
        Column("origin", "code", aliases=("QY", "起源"), description="1 natural, 2 planted", label_zh="起源",
               label_en="origin", code_list=("forest_origins", "origin")),
        Column("species_code", "code", aliases=("YSSZ", "优势树种", "树种"), description="dominant species",
               label_zh="优势树种", label_en="dominant species", code_list=("forest_species", "species_code")),
        Column("age_group", "code", aliases=("LING_ZU", "龄组", "LZU"), description="1 幼龄林 … 5 过熟林", label_zh="龄组",
               label_en="age group", code_list=("forest_age_groups", "age_group")),
        Column("stock_m3", "number", aliases=("ZTBXJ", "蓄积", "小班蓄积", "活立木蓄积"), description="growing stock m³",
               label_zh="蓄积", label_en="growing stock", unit="m3", bounds=(("ge", 0),)),
        Column("bamboo_stems", "integer", required=False, aliases=("ZTBZS", "株数", "竹子株数"), description="bamboo stems",
               label_zh="竹株数", label_en="bamboo stems", unit="stems", bounds=(("ge", 0),)),
        Column("land_grade", "integer", required=False, aliases=("ZL_DJ", "林地质量等级", "林地等级", "DJ"),
               description="forest-land grade 1-5", label_zh="林地等级", label_en="forest-land grade",
               bounds=(("ge", 1), ("le", 5))),
        SUBJECT,
    ),
)

GRASSLAND = CategorySpec(
    name="grassland",
    id_columns=("parcel_id",),
    quantity_columns=("hay_yield_kg_per_ha",),
    columns=(
        *_polygon_columns("grassland"),
        Column("grassland_type", "code", aliases=("草原类", "草地类", "CYL", "CDL"), description="grassland class (18 classes)",
               label_zh="草原类", label_en="grassland class", code_list=("grassland_types", "grassland_type")),
        Column("grade", "integer", aliases=("草原等级", "等级", "CYDJ"), description="grassland grade 1-8",
               label_zh="草原等级", label_en="grassland grade",
               bounds=(("ge", CodeListBound("grades", "lowest")), ("le", CodeListBound("grades", "highest")))),
        Column("hay_yield_kg_per_ha", "number", aliases=("MGQGCCL", "干草产量", "单位面积干草产量"), description="hay yield kg/ha",
               label_zh="干草产量", label_en="hay yield", unit="kg/ha", bounds=(("ge", 0), ("le", 50_000))),
        Column("vegetation_cover_pct", "number", aliases=("ZBGD", "植被盖度"), description="vegetation cover %",
               label_zh="植被盖度", label_en="vegetation cover", unit="%", bounds=(("ge", 0), ("le", 100))),
        SUBJECT,
    ),
)

WETLAND = CategorySpec(
    name="wetland",
    id_columns=("parcel_id",),
    columns=(
        *_polygon_columns("wetland"),
        Column("wetland_type", "code", aliases=("SDL", "湿地类", "湿地型", "湿地类型"), description="wetland type",
               label_zh="湿地型", label_en="wetland type", code_list=("wetland_types", "wetland_type")),
        BASIN,
        Column("protection_status", "text", required=False, aliases=("BHZK", "保护状况", "保护形式"),
               description="protection status", label_zh="保护状况", label_en="protection status"),
        SUBJECT,
    ),
)

WATER = CategorySpec(
    name="water",
    id_columns=("region_code", "basin", "source_type"),
    area_column=None,
    quantity_columns=("volume_m3",),
    columns=(
        REGION_CODE,
        replace(BASIN, required=True, aliases=BASIN.aliases + ("水资源分区",)),
        Column("source_type", "code", aliases=("水源类型", "水资源类型", "SYLX"), description="surface, groundwater, overlap",
               label_zh="水源类型", label_en="water source", code_list=("water_source_types", "source_type")),
        Column("volume_m3", "number", aliases=("水资源量", "水量", "SL"), description="volume m³", label_zh="水资源量",
               label_en="water volume", measure="volume", bounds=(("ge", 0),)),
        Column("overdraft_zone", "bool", required=False, aliases=("超采区", "是否超采区", "CCQ"),
               description="groundwater overdraft zone", label_zh="超采区", label_en="overdraft zone"),
        SUBJECT,
    ),
)

MINERALS = CategorySpec(
    name="minerals",
    id_columns=("deposit_id", "mineral_code", "resource_class"),
    area_column=None,
    quantity_columns=("quantity",),
    columns=(
        Column("deposit_id", "id", aliases=("矿区编号", "KQBH", "矿区编码", "矿产地编号"), description="deposit id",
               label_zh="矿区编号", label_en="deposit id"),
        REGION_CODE,
        Column("mineral_code", "code", aliases=("矿种", "矿种代码", "KZDM", "KZ"), description="mineral", label_zh="矿种",
               label_en="mineral", code_list=("minerals", "mineral_code")),
        Column("resource_class", "code", aliases=("资源储量类型", "储量类别", "资源储量类别", "ZYCLLX"),
               description="GB/T 17766-2020 class", label_zh="资源储量类型", label_en="resource class",
               code_list=("resource_classes", "resource_class")),
        Column("quantity", "number", aliases=("资源储量", "保有资源储量", "数量", "ZYCL"), description="quantity in the mineral's unit",
               label_zh="资源储量", label_en="quantity", bounds=(("ge", 0),)),
        Column("unit", "text", aliases=("计量单位", "单位", "DW"), description="unit of quantity", label_zh="计量单位",
               label_en="unit"),
        Column("mining_right", "code", aliases=("矿业权类型", "矿业权", "KYQLX"), description="mining, exploration, none",
               label_zh="矿业权类型", label_en="mining right", code_list=("mining_right_types", "mining_right")),
        Column("annual_extraction", "number", required=False, aliases=("年开采量", "年产量", "NKCL"), description="annual extraction",
               label_zh="年开采量", label_en="annual extraction", bounds=(("ge", 0),)),
        Column("unit_rent", "number", required=False, aliases=("单位租金", "单位资源租金", "DWZJ"),
               description="resource rent per unit", label_zh="单位租金", label_en="unit rent", bounds=(("ge", 0),)),
        SUBJECT,
    ),
)

SPECS: dict[str, CategorySpec] = {
    s.name: s for s in (LAND, FOREST, GRASSLAND, WETLAND, WATER, MINERALS)
}

# The inventories' columns by their names in the workbooks (the rejects workbook, the county packs).
COLUMN_NAMES_ZH: dict[str, str] = column_labels(SPECS.values(), "zh")
COLUMN_NAMES_EN: dict[str, str] = column_labels(SPECS.values(), "en")

# Units an area header or declaration may name, with their factor to m² (1 公顷 = 10,000 m² = 15 亩).
AREA_UNITS: dict[str, str] = {
    "m2": "m2", "㎡": "m2", "平方米": "m2", "sqm": "m2",
    "mu": "mu", "亩": "mu",
    "ha": "ha", "hm2": "ha", "公顷": "ha", "hectare": "ha",
}
# Exact factors as strings: areas are converted in decimal and kept to 2 decimals of m² (survey precision).
AREA_FACTORS: dict[str, str] = {"m2": "1", "ha": "10000", "mu": "666.6666666666666666666666667"}

VOLUME_UNITS: dict[str, str] = {"m3": "m3", "立方米": "m3", "万立方米": "wan_m3", "万m3": "wan_m3", "亿立方米": "yi_m3"}
VOLUME_FACTORS: dict[str, str] = {"m3": "1", "wan_m3": "10000", "yi_m3": "100000000"}
