"""The inconsistent-parcel report (不一致图斑, DOMAIN §2): ``inconsistencies_<year>.xlsx``.

Sheets: notes; counts and area (亩 and 公顷) by county and finding type; the same by finding type for the
province; the parcel list (one filterable table, canonical headers) for the counties to fix and send back.
The list is written with the streaming writer (``xlsx_stream``): a province may hold millions of findings.
"""

from __future__ import annotations

import pyarrow as pa

from .consistency import FINDINGS
from .duck import connect
from .excel import MAX_ROWS
from .layout import YearLayout
from .storage import atomic_path
from .xlsx_stream import Sheet, write_workbook

# 1 公顷 = 10,000 m² = 15 亩 (DOMAIN §4)
SUMMARY_SQL = """
    SELECT f.region_code, d.name AS region_name, f.category, f.finding_type, l.finding_zh, l.finding_en,
           count(*) AS parcels, CAST(sum(f.area_m2) * 0.0015 AS DECIMAL(38, 2)) AS area_mu,
           CAST(sum(f.area_m2) * 0.0001 AS DECIMAL(38, 4)) AS area_ha
    FROM read_parquet($p) f
    JOIN finding_labels l USING (finding_type)
    LEFT JOIN read_parquet($divisions) d ON d.region_code = f.region_code
    GROUP BY ALL ORDER BY f.region_code, f.category, min(l.finding_order)
"""
BY_TYPE_SQL = """
    SELECT f.category, f.finding_type, l.finding_zh, l.finding_en, count(*) AS parcels,
           CAST(sum(f.area_m2) * 0.0015 AS DECIMAL(38, 2)) AS area_mu, CAST(sum(f.area_m2) * 0.0001 AS DECIMAL(38, 4)) AS area_ha
    FROM read_parquet($p) f JOIN finding_labels l USING (finding_type)
    GROUP BY ALL ORDER BY f.category, min(l.finding_order)
"""
LIST_COLUMNS = ["region_code", "category", "finding_type", "finding_zh", "base_parcel_id", "parcel_id", "area_m2",
                "base_land_class", "inventory_land_class", "base_area_m2", "inventory_area_m2", "base_ownership",
                "inventory_ownership", "base_region_code", "inventory_region_code", "source_file", "source_row",
                "action"]
LIST_COLUMNS_ZH = {
    "region_code": "行政区代码", "category": "类别", "finding_type": "问题类型", "finding_zh": "问题", "base_parcel_id": "底图图斑标识码",
    "parcel_id": "标识码", "area_m2": "涉及面积(m²)", "base_land_class": "底图地类", "inventory_land_class": "调查地类",
    "base_area_m2": "底图面积(m²)", "inventory_area_m2": "调查面积(m²)", "base_ownership": "底图权属",
    "inventory_ownership": "调查权属", "base_region_code": "底图行政区", "inventory_region_code": "调查行政区",
    "source_file": "来源文件", "source_row": "来源行", "action": "处理",
}


def _labels() -> pa.Table:
    return pa.table({"finding_type": list(FINDINGS), "finding_zh": [v[0] for v in FINDINGS.values()],
                     "finding_en": [v[1] for v in FINDINGS.values()], "finding_order": list(range(len(FINDINGS)))})


def _sheet(name: str, table: pa.Table, widths: list[float] | None = None) -> Sheet:
    return Sheet(name=name, header=table.column_names, columns=[c.combine_chunks() for c in table.columns],
                 widths=widths or [16] * table.num_columns)


def write_inconsistency_workbook(layout: YearLayout) -> dict[str, int]:
    """Write ``inconsistencies_<year>.xlsx`` from ``inconsistencies.parquet``; returns findings per type."""
    params = {"p": str(layout.inconsistencies), "divisions": str(layout.reference("admin_divisions"))}
    with connect() as con:
        con.register("finding_labels", _labels())
        by_county = con.sql(SUMMARY_SQL, params=params).to_arrow_table()
        by_type = con.sql(BY_TYPE_SQL, params={"p": params["p"]}).to_arrow_table()
        parcels = con.sql(
            f"SELECT {', '.join(LIST_COLUMNS)} FROM read_parquet($p) LIMIT {MAX_ROWS - 1}", params={"p": params["p"]}
        ).to_arrow_table()
    notes_rows = [
        "不一致图斑 Inconsistent parcels",
        f"年度 Year: {layout.year}",
        "统一底图（国土变更调查）与森林、草原、湿地调查不一致的图斑。清单表的表头为规范字段名，请按县筛选、核实并修改后报送。",
        "Parcels where the land survey (the base map) and the forest, grassland or wetland inventory disagree. The list's "
        "headers are the canonical column names: filter by county, check, correct and send back.",
        "涉及面积：调查记录面积；面积超出底图图斑为超出部分；底图图斑无调查记录为底图面积。1 公顷 = 15 亩。",
        "Area concerned: the inventory row's area; for area_exceeds_base the excess; for missing_inventory the base area.",
        "",
    ] + [f"{code}: {zh} / {en}" for code, (zh, en) in FINDINGS.items()] + [""] + [
        f"{c}: {zh}" for c, zh in LIST_COLUMNS_ZH.items()]
    notes = Sheet(name="说明 Notes", header=["说明 Notes"], columns=[pa.array(notes_rows, pa.string())],
                  widths=[120], freeze=None, autofilter=False)
    sheets = [
        notes,
        _sheet("按县汇总 By county", by_county, [12, 16, 12, 20, 20, 36, 10, 14, 14]),
        _sheet("按类型汇总 By type", by_type, [12, 20, 20, 36, 10, 14, 14]),
        _sheet("图斑清单 Parcels", parcels, [12, 10, 20, 18, 20, 20, 14, 10, 10, 14, 14, 10, 10, 12, 12, 30, 10, 36]),
    ]
    with atomic_path(layout.inconsistencies_workbook) as tmp:
        write_workbook(tmp, sheets)
    counts: dict[str, int] = {}
    for finding, n in zip(by_type["finding_type"].to_pylist(), by_type["parcels"].to_pylist()):
        counts[finding] = counts.get(finding, 0) + n
    return counts
