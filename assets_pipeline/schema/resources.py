"""The water resources table and the mineral reserves register, as delivered (DOMAIN §3)."""

from __future__ import annotations

from dataclasses import replace

from assets_pipeline.schema.columns import CategorySpec, Column
from assets_pipeline.schema.shared_columns import BASIN, REGION_CODE, SUBJECT

WATER = CategorySpec(
    name="water",
    id_columns=("region_code", "basin", "source_type"),
    area_column=None,
    quantity_columns=("volume_m3",),
    columns=(
        REGION_CODE,
        replace(BASIN, required=True, aliases=BASIN.aliases + ("水资源分区",)),
        Column(
            "source_type",
            "code",
            aliases=("水源类型", "水资源类型", "SYLX"),
            description="surface, groundwater, overlap",
            label_zh="水源类型",
            label_en="water source",
            code_list=("water_source_types", "source_type"),
        ),
        Column(
            "volume_m3",
            "number",
            aliases=("水资源量", "水量", "SL"),
            description="volume m³",
            label_zh="水资源量",
            label_en="water volume",
            measure="volume",
            bounds=(("ge", 0),),
        ),
        Column(
            "overdraft_zone",
            "bool",
            required=False,
            aliases=("超采区", "是否超采区", "CCQ"),
            description="groundwater overdraft zone",
            label_zh="超采区",
            label_en="overdraft zone",
        ),
        SUBJECT,
    ),
)

MINERALS = CategorySpec(
    name="minerals",
    id_columns=("deposit_id", "mineral_code", "resource_class"),
    area_column=None,
    quantity_columns=("quantity",),
    columns=(
        Column(
            "deposit_id",
            "id",
            aliases=("矿区编号", "KQBH", "矿区编码", "矿产地编号"),
            description="deposit id",
            label_zh="矿区编号",
            label_en="deposit id",
        ),
        REGION_CODE,
        Column(
            "mineral_code",
            "code",
            aliases=("矿种", "矿种代码", "KZDM", "KZ"),
            description="mineral",
            label_zh="矿种",
            label_en="mineral",
            code_list=("minerals", "mineral_code"),
        ),
        Column(
            "resource_class",
            "code",
            aliases=("资源储量类型", "储量类别", "资源储量类别", "ZYCLLX"),
            description="GB/T 17766-2020 class",
            label_zh="资源储量类型",
            label_en="resource class",
            code_list=("resource_classes", "resource_class"),
        ),
        Column(
            "quantity",
            "number",
            aliases=("资源储量", "保有资源储量", "数量", "ZYCL"),
            description="quantity in the mineral's unit",
            label_zh="资源储量",
            label_en="quantity",
            bounds=(("ge", 0),),
        ),
        Column(
            "unit",
            "text",
            aliases=("计量单位", "单位", "DW"),
            description="unit of quantity",
            label_zh="计量单位",
            label_en="unit",
        ),
        Column(
            "mining_right",
            "code",
            aliases=("矿业权类型", "矿业权", "KYQLX"),
            description="mining, exploration, none",
            label_zh="矿业权类型",
            label_en="mining right",
            code_list=("mining_right_types", "mining_right"),
        ),
        Column(
            "annual_extraction",
            "number",
            required=False,
            aliases=("年开采量", "年产量", "NKCL"),
            description="annual extraction",
            label_zh="年开采量",
            label_en="annual extraction",
            bounds=(("ge", 0),),
        ),
        Column(
            "unit_rent",
            "number",
            required=False,
            aliases=("单位租金", "单位资源租金", "DWZJ"),
            description="resource rent per unit",
            label_zh="单位租金",
            label_en="unit rent",
            bounds=(("ge", 0),),
        ),
        SUBJECT,
    ),
)
