"""The six inventories as counties deliver them (DOMAIN §3).

Each category lists its canonical columns with the type they are parsed to and the header aliases
real deliveries use. Header matching is case-, space- and punctuation-insensitive (see
``readers.header_key``). Area columns may carry their unit in the header (``图斑面积(亩)``,
``area_ha``) or in a declared unit; they are always stored in m².
"""

from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES: tuple[str, ...] = ("land", "forest", "grassland", "wetland", "water", "minerals")

CATEGORY_NAMES_ZH = {
    "land": "土地",
    "forest": "森林",
    "grassland": "草原",
    "wetland": "湿地",
    "water": "水",
    "minerals": "矿产",
}

# Column kinds: how a delivered cell is parsed.
#   id      free text identifier, trimmed
#   code    a code from a code list: trimmed, full-width folded, a float artefact ``140105.0`` undone
#   region  a 6-digit county code; 12- or 19-digit 坐落单位代码 are cut to their first 6 digits
#   number  a decimal quantity (thousand separators, full-width digits accepted)
#   area    a number in m² (converted from 亩 or 公顷 where the header or declaration says so)
#   integer a whole number
#   bool    yes/no (是/否, true/false, 1/0, Y/N)
KINDS = ("id", "code", "region", "number", "area", "integer", "bool", "text")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class CategorySpec:
    name: str
    columns: tuple[Column, ...]
    id_columns: tuple[str, ...] = field(default=())
    area_column: str | None = "area_m2"
    quantity_columns: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_PARCEL_ID = ("BSM", "标识码", "图斑标识码", "要素标识码")
_REGION = ("XZQDM", "行政区代码", "行政区划代码", "县级行政区代码", "ZLDWDM", "坐落单位代码", "XIAN", "县代码")
_LAND_CLASS = ("DLBM", "地类编码", "地类代码")
_AREA = ("TBMJ", "图斑面积", "面积", "MJ", "XBMJ", "小班面积", "TBDLMJ", "图斑地类面积")
_OWNERSHIP = ("QSXZ", "权属性质", "土地权属性质")
_BASE_PARCEL = ("GTDCTBBSM", "国土调查图斑标识码", "国土变更调查图斑标识码", "底图图斑标识码", "base_bsm")
# Every category may name the exercising subject of a row; it overrides the rule table (DOMAIN §5).
_SUBJECT = Column("subject", "code", required=False, aliases=("所有权行使主体", "行使主体", "XSZT"),
                  description="exercising subject (central/provincial/municipal), overrides the rule table")

LAND = CategorySpec(
    name="land",
    id_columns=("parcel_id",),
    columns=(
        Column("parcel_id", "id", aliases=_PARCEL_ID, description="图斑标识码 parcel id"),
        Column("region_code", "region", aliases=_REGION, description="6-digit county code"),
        Column("land_class", "code", aliases=_LAND_CLASS, description="三调工作分类 land class"),
        Column("area_m2", "area", aliases=_AREA, description="parcel area"),
        Column("ownership", "code", aliases=_OWNERSHIP, description="权属性质 10/20 state, 30-34/40 collective"),
        Column("price_zone", "code", required=False, aliases=("价格区划", "均质区域", "JGQH", "地价区段"), description="land price zone"),
        Column("cropland_grade", "integer", required=False, aliases=("GDDB", "耕地等别"), description="cropland grade 1-15"),
        Column("plot_ratio", "number", required=False, aliases=("RJL", "容积率"), description="plot ratio (construction land)"),
        Column("supply_method", "code", required=False, aliases=("GYFS", "供应方式", "供地方式"), description="allocated/granted/leased/unsupplied"),
        Column("granted_term_years", "number", required=False, aliases=("GYNX", "出让年限", "供应年限"), description="legal term of the grant"),
        Column("years_used", "number", required=False, aliases=("YSYNX", "已使用年限"), description="years of the term already used"),
        Column("redline_area_m2", "area", required=False, aliases=("STBHHXMJ", "生态保护红线面积"), description="area inside the ecological red line"),
        Column("basic_farmland_area_m2", "area", required=False, aliases=("YJJBNTMJ", "永久基本农田面积", "基本农田面积"),
               description="area inside permanent basic farmland 永久基本农田"),
        Column("protected_area_m2", "area", required=False, aliases=("ZRBHDMJ", "自然保护地面积", "保护地面积"),
               description="area inside protected areas 自然保护地"),
        _SUBJECT,
    ),
)

FOREST = CategorySpec(
    name="forest",
    id_columns=("parcel_id",),
    quantity_columns=("stock_m3", "bamboo_stems"),
    columns=(
        Column("parcel_id", "id", aliases=_PARCEL_ID + ("小班标识码", "XBBSM"), description="sub-compartment id"),
        Column("base_parcel_id", "id", aliases=_BASE_PARCEL, description="base-map parcel described"),
        Column("region_code", "region", aliases=_REGION, description="6-digit county code"),
        Column("land_class", "code", aliases=_LAND_CLASS, description="land class"),
        Column("area_m2", "area", aliases=_AREA, description="sub-compartment area"),
        Column("land_ownership", "code", aliases=_OWNERSHIP + ("土地所有权", "LD_QS", "林地所有权"), description="land ownership (QSXZ)"),
        Column("tree_ownership", "code", aliases=("LM_SUOYQ", "林木所有权", "LMSYQ"), description="tree ownership, 1 = state"),
        Column("forest_type", "code", aliases=("LZ", "林种"), description="林种 forest type"),
        Column("origin", "code", aliases=("QY", "起源"), description="1 natural, 2 planted"),
        Column("species_code", "code", aliases=("YSSZ", "优势树种", "树种"), description="dominant species"),
        Column("age_group", "code", aliases=("LING_ZU", "龄组", "LZU"), description="1 幼龄林 … 5 过熟林"),
        Column("stock_m3", "number", aliases=("ZTBXJ", "蓄积", "小班蓄积", "活立木蓄积"), description="growing stock m³"),
        Column("bamboo_stems", "integer", required=False, aliases=("ZTBZS", "株数", "竹子株数"), description="bamboo stems"),
        Column("land_grade", "integer", required=False, aliases=("ZL_DJ", "林地质量等级", "林地等级", "DJ"), description="forest-land grade 1-5"),
        _SUBJECT,
    ),
)

GRASSLAND = CategorySpec(
    name="grassland",
    id_columns=("parcel_id",),
    quantity_columns=("hay_yield_kg_per_ha",),
    columns=(
        Column("parcel_id", "id", aliases=_PARCEL_ID, description="grassland polygon id"),
        Column("base_parcel_id", "id", aliases=_BASE_PARCEL, description="base-map parcel described"),
        Column("region_code", "region", aliases=_REGION, description="6-digit county code"),
        Column("land_class", "code", aliases=_LAND_CLASS, description="land class"),
        Column("area_m2", "area", aliases=_AREA, description="polygon area"),
        Column("ownership", "code", aliases=_OWNERSHIP, description="权属性质"),
        Column("grassland_type", "code", aliases=("草原类", "草地类", "CYL", "CDL"), description="grassland class (18 classes)"),
        Column("grade", "integer", aliases=("草原等级", "等级", "CYDJ"), description="grassland grade 1-8"),
        Column("hay_yield_kg_per_ha", "number", aliases=("MGQGCCL", "干草产量", "单位面积干草产量"), description="hay yield kg/ha"),
        Column("vegetation_cover_pct", "number", aliases=("ZBGD", "植被盖度"), description="vegetation cover %"),
        _SUBJECT,
    ),
)

WETLAND = CategorySpec(
    name="wetland",
    id_columns=("parcel_id",),
    columns=(
        Column("parcel_id", "id", aliases=_PARCEL_ID, description="wetland polygon id"),
        Column("base_parcel_id", "id", aliases=_BASE_PARCEL, description="base-map parcel described"),
        Column("region_code", "region", aliases=_REGION, description="6-digit county code"),
        Column("land_class", "code", aliases=_LAND_CLASS, description="land class"),
        Column("area_m2", "area", aliases=_AREA, description="polygon area"),
        Column("ownership", "code", aliases=_OWNERSHIP, description="权属性质"),
        Column("wetland_type", "code", aliases=("SDL", "湿地类", "湿地型", "湿地类型"), description="wetland type"),
        Column("basin", "text", required=False, aliases=("SSLY", "所属流域", "流域"), description="river basin"),
        Column("protection_status", "text", required=False, aliases=("BHZK", "保护状况", "保护形式"), description="protection status"),
        _SUBJECT,
    ),
)

WATER = CategorySpec(
    name="water",
    id_columns=("region_code", "basin", "source_type"),
    area_column=None,
    quantity_columns=("volume_m3",),
    columns=(
        Column("region_code", "region", aliases=_REGION, description="6-digit county code"),
        Column("basin", "text", aliases=("SSLY", "所属流域", "流域", "水资源分区"), description="river basin"),
        Column("source_type", "code", aliases=("水源类型", "水资源类型", "SYLX"), description="surface, groundwater, overlap"),
        Column("volume_m3", "number", aliases=("水资源量", "水量", "SL"), description="volume m³"),
        Column("overdraft_zone", "bool", required=False, aliases=("超采区", "是否超采区", "CCQ"), description="groundwater overdraft zone"),
        _SUBJECT,
    ),
)

MINERALS = CategorySpec(
    name="minerals",
    id_columns=("deposit_id", "mineral_code", "resource_class"),
    area_column=None,
    quantity_columns=("quantity",),
    columns=(
        Column("deposit_id", "id", aliases=("矿区编号", "KQBH", "矿区编码", "矿产地编号"), description="deposit id"),
        Column("region_code", "region", aliases=_REGION, description="6-digit county code"),
        Column("mineral_code", "code", aliases=("矿种", "矿种代码", "KZDM", "KZ"), description="mineral"),
        Column("resource_class", "code", aliases=("资源储量类型", "储量类别", "资源储量类别", "ZYCLLX"), description="GB/T 17766-2020 class"),
        Column("quantity", "number", aliases=("资源储量", "保有资源储量", "数量", "ZYCL"), description="quantity in the mineral's unit"),
        Column("unit", "text", aliases=("计量单位", "单位", "DW"), description="unit of quantity"),
        Column("mining_right", "code", aliases=("矿业权类型", "矿业权", "KYQLX"), description="mining, exploration, none"),
        Column("annual_extraction", "number", required=False, aliases=("年开采量", "年产量", "NKCL"), description="annual extraction"),
        Column("unit_rent", "number", required=False, aliases=("单位租金", "单位资源租金", "DWZJ"), description="resource rent per unit"),
        _SUBJECT,
    ),
)

SPECS: dict[str, CategorySpec] = {
    s.name: s for s in (LAND, FOREST, GRASSLAND, WETLAND, WATER, MINERALS)
}

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
