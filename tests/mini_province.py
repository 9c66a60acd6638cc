"""A hand-made province small enough to work every figure out by hand.

Two counties of Taiyuan (140105 小店区, 140106 迎泽区). Each planted defect is listed in
``PLANTED`` with the file, the row as the user sees it, the column and the rule expected.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

YEAR = 2023

# land, county 140105: GBK CSV, Chinese headers, area in 亩 (1 亩 = 666.67 m² to the cent of m²).
LAND_GBK_HEADER = ["BSM", "XZQDM", "DLBM", "图斑面积(亩)", "QSXZ", "耕地等别", "RJL", "GYFS", "GYNX", "YSYNX"]
LAND_GBK_ROWS = [
    # line 2: state cropland, 3 亩 = 2000.00 m²
    ["1401050000000001", "140105001001", "0103", "3", "10", "7", "", "", "", ""],
    # line 3: collective cropland → excluded, 1.5 亩 = 1000.00 m²
    ["1401050000000002", "140105", "0101", "1.5", "30", "5", "", "", "", ""],
    # line 4: granted urban residential land, 0.9 亩 = 600.00 m²
    ["1401050000000003", "140105", "0701", "0.9", "20", "", "2.2", "出让", "70", "20"],
    # line 5: unknown land class → code_list
    ["1401050000000004", "140105", "0199", "1", "10", "", "", "", "", ""],
    # line 6: negative area → range
    ["1401050000000005", "140105", "0301", "-2", "10", "", "", "", "", ""],
    # line 7: duplicate id of line 2 → unique
    ["1401050000000001", "140105", "0103", "1", "10", "", "", "", "", ""],
    # line 8: blank ownership → required
    ["1401050000000006", "140105", "1001", "1", "", "", "", "", "", ""],
    # line 9: unparseable area → type
    ["1401050000000007", "140105", "1001", "12a.5", "10", "", "", "", "", ""],
    # line 10: forest-class parcel, state (its value comes through the forest inventory)
    ["1401050000000008", "140105", "0301", "30", "10", "", "", "", "", ""],
]

# land, county 140106: Parquet, canonical headers, areas in m².
LAND_PARQUET = pd.DataFrame(
    {
        "parcel_id": ["1401060000000001", "1401060000000002", "1401060000000003", "1401060000000004"],
        "region_code": ["140106", "140106", "149999", "140106"],  # record 3: not a county → region
        "land_class": ["1003", "0404", "1003", "0103K"],
        "area_m2": [1500.25, 50000.0, 10.0, 800.0],
        "ownership": ["10", "10", "10", "40"],
    }
)

FOREST_HEADER = [
    "标识码",
    "国土调查图斑标识码",
    "行政区代码",
    "地类编码",
    "面积",
    "权属性质",
    "林木所有权",
    "林种",
    "起源",
    "优势树种",
    "龄组",
    "蓄积",
]
FOREST_ROWS = [
    # Excel row 2: state land, state trees
    ["F0001", "1401050000000008", "140105", "0301", 20000, "10", "1", "1", "1", "200", "4", 150.5],
    # row 3: collective land, state trees → valid (trees are valued, DOMAIN §2)
    ["F0002", "1401050000000009", "140105", "0301", 10000, "30", "1", "3", "2", "200", "2", 40],
    # row 4: collective land and trees → excluded
    ["F0003", "1401050000000010", "140105", "0305", 5000, "30", "2", "1", "1", "200", "1", 0],
    # row 5: unknown species → code_list
    ["F0004", "1401050000000011", "140105", "0301", 5000, "10", "1", "1", "1", "999", "3", 10],
]

GRASSLAND_CSV = (
    "parcel_id,base_parcel_id,region_code,land_class,area_m2,ownership,grassland_type,grade,hay_yield_kg_per_ha,vegetation_cover_pct\n"
    'G0001,1401060000000002,140106,0404,"50,000",10,02,5,"1,200",60\n'  # line 2: thousand separators
    "G0002,1401060000000099,140106,0401,1000,10,02,9,800,50\n"  # line 3: grade 9 → range
)

WETLAND_CSV = (
    "parcel_id,base_parcel_id,region_code,land_class,area_m2,ownership,wetland_type,basin,protection_status\n"
    "W0001,1401050000000020,140105,1106,２５００,10,1106,黄河流域,\n"  # line 2: full-width digits
)

WATER_CSV = (
    "region_code\tbasin\t水源类型\t水资源量(万立方米)\toverdraft_zone\n"
    "140105\t黄河流域\t地表水\t120\t否\n"
    "140105\t黄河流域\t地下水\t80\t是\n"
    "140105\t黄河流域\t重复计算量\t30\t否\n"
)

MINERALS_CSV = (
    "deposit_id,region_code,mineral_code,resource_class,quantity,unit,mining_right,annual_extraction,unit_rent,所有权行使主体\n"
    "D001,140105,coal,proved_reserve,100,万吨,mining,10,5,\n"
    "D001,140105,coal,inferred,50,万吨,mining,,,中央直接行使\n"  # line 3: the delivery names its subject
    "D002,140106,gold,measured,200,吨,exploration,,,\n"  # line 4: gold is counted in 千克 → unit
)

# (category, source_file, source_row, column, rule)
PLANTED = {
    ("land", "land/140105_小店区.csv", 5, "land_class", "code_list"),
    ("land", "land/140105_小店区.csv", 6, "area_m2", "range"),
    ("land", "land/140105_小店区.csv", 7, "parcel_id", "unique"),
    ("land", "land/140105_小店区.csv", 8, "ownership", "required"),
    ("land", "land/140105_小店区.csv", 9, "area_m2", "type"),
    ("land", "land/140106_迎泽区.parquet", 3, "region_code", "region"),
    ("forest", "forest.xlsx", 5, "species_code", "code_list"),
    ("grassland", "grassland.csv", 3, "grade", "range"),
    ("minerals", "minerals.csv", 4, "unit", "unit"),
}


def write_mini_province(root: Path, year: int = YEAR) -> Path:
    base = Path(root) / str(year)
    (base / "land").mkdir(parents=True, exist_ok=True)
    lines = [",".join(LAND_GBK_HEADER)] + [",".join(r) for r in LAND_GBK_ROWS]
    (base / "land" / "140105_小店区.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    LAND_PARQUET.to_parquet(base / "land" / "140106_迎泽区.parquet", index=False)
    wb = Workbook()
    ws = wb.active
    ws.append(FOREST_HEADER)
    for row in FOREST_ROWS:
        ws.append(row)
    wb.save(base / "forest.xlsx")
    (base / "grassland.csv").write_text(GRASSLAND_CSV, encoding="utf-8-sig")
    (base / "wetland.csv").write_text(WETLAND_CSV, encoding="utf-8")
    (base / "water.csv").write_text(WATER_CSV, encoding="gb18030")
    (base / "minerals.csv").write_text(MINERALS_CSV, encoding="utf-8")
    return Path(root)
