"""The inconsistent-parcel report (不一致图斑, DOMAIN §2): ``inconsistencies_<year>.xlsx``.

Sheets, in Chinese with units in the headers: notes; counts and area (亩 and 公顷, 2 decimals) by county and
finding type, the counties under their city with a subtotal per city and the province's total last; the same by
finding type for the province; the parcel list for the counties to fix. A year with an overlay (DOMAIN §6) adds
落图分析按县 (its inconsistent pieces, zone areas stated otherwise and overlapping base parcels, by county, with
counts, 亩 and 公顷) and 落图分析清单 (their list, from spatial_findings.parquet). A subtotal or total is the sum of the
printed rows above it (each county figure rounded half-up to 2 decimals first). The list is written with the
streaming writer (``xlsx_stream``): a province may hold millions of findings.
"""

from __future__ import annotations

import pyarrow as pa

from assets_pipeline.consistency.findings import FINDINGS
from assets_pipeline.consistency.overlay_inputs import SPATIAL_FINDINGS, spatial_labels
from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.publish.excel import MAX_ROWS
from assets_pipeline.publish.xlsx_stream import Sheet, write_workbook
from assets_pipeline.schema.categories import CATEGORY_NAMES_ZH

LIST_COLUMNS = [
    "region_code",
    "category",
    "finding_type",
    "finding_zh",
    "base_parcel_id",
    "parcel_id",
    "area_m2",
    "base_land_class",
    "inventory_land_class",
    "base_area_m2",
    "inventory_area_m2",
    "base_ownership",
    "inventory_ownership",
    "base_region_code",
    "inventory_region_code",
    "source_file",
    "source_row",
    "action",
]
LIST_COLUMNS_ZH = {
    "region_code": "行政区代码",
    "category": "资源类别",
    "finding_type": "问题类型",
    "finding_zh": "问题",
    "base_parcel_id": "底图图斑标识码",
    "parcel_id": "调查记录标识码",
    "area_m2": "涉及面积（平方米）",
    "base_land_class": "底图地类",
    "inventory_land_class": "调查地类",
    "base_area_m2": "底图面积（平方米）",
    "inventory_area_m2": "调查面积（平方米）",
    "base_ownership": "底图权属",
    "inventory_ownership": "调查权属",
    "base_region_code": "底图行政区",
    "inventory_region_code": "调查行政区",
    "source_file": "来源文件",
    "source_row": "来源行号",
    "action": "处理方式",
}
ACTIONS_ZH = {
    "inventory row set aside": "调查记录不计入（以底图为准）",
    "counted from the base map, land part only": "按底图计入，仅计土地部分",
    "base map value used": "采用底图数值",
    "inventory area conformed to the base parcel": "调查面积按底图图斑调整",
}
DECIMAL_LIST_COLUMNS = {"area_m2", "base_area_m2", "inventory_area_m2"}


def _labels() -> pa.Table:
    return pa.table(
        {
            "finding_type": list(FINDINGS),
            "finding_zh": [v[0] for v in FINDINGS.values()],
            "finding_en": [v[1] for v in FINDINGS.values()],
            "finding_order": list(range(len(FINDINGS))),
        }
    )


def _category_zh(column: pa.Array) -> pa.Array:
    names = [None if c is None else CATEGORY_NAMES_ZH.get(c, c) for c in column.to_pylist()]
    return pa.array(names, pa.string())


def _array(column) -> pa.Array:
    """A column as one array, as the streaming writer takes it."""
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _by_county_sheet(table: pa.Table, name: str = "按县汇总") -> Sheet:
    """Counties under their city, a 小计 row per city, the province's 合计 last (rows in bold)."""
    level = table["level"].to_numpy()
    city = [
        f"{c or ''} {n or ''}".strip()
        for c, n in zip(table["city_code"].to_pylist(), table["city_name"].to_pylist(), strict=False)
    ]
    county = [
        f"{c} {n}".strip() if c else None
        for c, n in zip(table["region_code"].to_pylist(), table["region_name"].to_pylist(), strict=False)
    ]
    county = [x if lv == 0 else ("小计" if lv == 1 else "合计") for x, lv in zip(county, level, strict=False)]
    city = [x if lv < 2 else None for x, lv in zip(city, level, strict=False)]
    columns = [
        pa.array(city, pa.string()),
        pa.array(county, pa.string()),
        _category_zh(table["category"]),
        table["finding_zh"],
        table["parcels"],
        table["area_mu"],
        table["area_ha"],
    ]
    return Sheet(
        name=name,
        header=["市", "县（市、区）", "资源类别", "问题类型", "图斑数（个）", "涉及面积（亩）", "涉及面积（公顷）"],
        columns=[_array(c) for c in columns],
        widths=[18, 20, 10, 20, 12, 16, 16],
        formats=[None, None, None, None, "count", "decimal", "decimal"],
        bold_rows=level > 0,
    )


def _by_type_sheet(table: pa.Table) -> Sheet:
    level = table["level"].to_numpy()
    category = [
        c if lv == 0 else "合计" for c, lv in zip(_category_zh(table["category"]).to_pylist(), level, strict=False)
    ]
    columns = [
        pa.array(category, pa.string()),
        table["finding_zh"],
        table["parcels"],
        table["area_mu"],
        table["area_ha"],
    ]
    return Sheet(
        name="按类型汇总",
        header=["资源类别", "问题类型", "图斑数（个）", "涉及面积（亩）", "涉及面积（公顷）"],
        columns=[_array(c) for c in columns],
        widths=[12, 22, 12, 16, 16],
        formats=[None, None, "count", "decimal", "decimal"],
        bold_rows=level > 0,
    )


def _parcel_sheet(parcels: pa.Table) -> Sheet:
    columns = []
    for name in LIST_COLUMNS:
        column = parcels[name].combine_chunks()
        if name == "category":
            column = _category_zh(column)
        elif name == "action":
            column = pa.array([ACTIONS_ZH.get(a, a) if a else a for a in column.to_pylist()], pa.string())
        columns.append(column)
    return Sheet(
        name="图斑清单",
        header=[LIST_COLUMNS_ZH[c] for c in LIST_COLUMNS],
        columns=columns,
        widths=[12, 10, 20, 18, 20, 22, 16, 10, 10, 16, 16, 10, 10, 12, 12, 30, 10, 30],
        formats=["decimal" if c in DECIMAL_LIST_COLUMNS else None for c in LIST_COLUMNS],
    )


SPATIAL_LIST_COLUMNS_ZH = {
    "region_code": "行政区代码",
    "category": "资源类别",
    "finding_zh": "问题",
    "base_parcel_id": "底图图斑标识码",
    "parcel_id": "调查记录标识码",
    "other_parcel_id": "重叠底图图斑标识码",
    "area_m2": "涉及面积（平方米）",
    "delivered_m2": "报送面积（平方米）",
    "computed_m2": "落图计算面积（平方米）",
    "base_land_class": "底图地类",
    "inventory_land_class": "调查地类",
    "source_file": "来源文件",
    "source_row": "来源行号",
    "other_source_file": "重叠图斑来源文件",
    "other_source_row": "重叠图斑来源行号",
}


def _spatial_sheets(layout: YearLayout, divisions: str) -> list[Sheet]:
    """落图分析 (DOMAIN §6), for a year with an overlay: its findings by county and type with counts, 亩 and 公顷
    (the same layout and rounding as 按县汇总), and their list (spatial_findings.parquet)."""
    if not layout.spatial_findings.is_file():
        return []
    params = {"p": str(layout.spatial_findings), "divisions": divisions}
    with connect() as con:
        con.register("finding_labels", spatial_labels())
        by_county = con.sql(sql.load(__file__, "inconsistencies_by_county"), params=params).to_arrow_table()
        listed = con.sql(
            f"SELECT {', '.join(SPATIAL_LIST_COLUMNS_ZH)} FROM read_parquet($p) LIMIT {MAX_ROWS - 1}",
            params={"p": params["p"]},
        ).to_arrow_table()
    columns = [
        _category_zh(_array(listed[c])) if c == "category" else _array(listed[c]) for c in SPATIAL_LIST_COLUMNS_ZH
    ]
    decimals = {"area_m2", "delivered_m2", "computed_m2"}
    return [
        _by_county_sheet(by_county, "落图分析按县"),
        Sheet(
            name="落图分析清单",
            header=list(SPATIAL_LIST_COLUMNS_ZH.values()),
            columns=columns,
            widths=[12, 10, 26, 20, 22, 20, 16, 16, 16, 10, 10, 30, 10, 30, 10],
            formats=["decimal" if c in decimals else None for c in SPATIAL_LIST_COLUMNS_ZH],
        ),
    ]


def write_inconsistency_workbook(layout: YearLayout) -> dict[str, int]:
    """Write ``inconsistencies_<year>.xlsx`` from ``inconsistencies.parquet``; returns findings per type."""
    params = {"p": str(layout.inconsistencies), "divisions": str(layout.reference("admin_divisions"))}
    with connect() as con:
        con.register("finding_labels", _labels())
        by_county = con.sql(sql.load(__file__, "inconsistencies_by_county"), params=params).to_arrow_table()
        by_type = con.sql(sql.load(__file__, "inconsistencies_by_type"), params={"p": params["p"]}).to_arrow_table()
        counts = dict(
            con.execute(
                "SELECT finding_type, count(*) FROM read_parquet($p) GROUP BY ALL", {"p": params["p"]}
            ).fetchall()
        )
        parcels = con.sql(
            f"SELECT {', '.join(LIST_COLUMNS)} FROM read_parquet($p) LIMIT {MAX_ROWS - 1}", params={"p": params["p"]}
        ).to_arrow_table()
    notes_rows = (
        [
            f"{layout.year}年不一致图斑",
            "统一底图（国土变更调查）与森林、草原、湿地调查不一致的图斑。请各县在“图斑清单”中筛选本县图斑，核实后修改并报送；"
            "各县另有一份工作簿（to_counties 文件夹），按报送时的原表头与原值列出本县需修改的行。",
            "涉及面积：调查记录的面积；“面积超出底图图斑”为超出部分；“底图图斑无调查记录”为底图图斑面积。1 公顷 = 15 亩。",
            "按县汇总：各县按所属市排列，“小计”为该市所列各县之和，“合计”为全省各市之和；县级面积四舍五入保留两位小数，"
            "小计、合计为所列数之和。",
            "",
            "问题类型：",
        ]
        + [f"{zh}（{en}）" for zh, en in FINDINGS.values()]
        + [
            "",
            "Parcels where the land survey (the base map) and the forest, grassland or wetland inventory disagree; "
            "areas in mu and ha (1 ha = 15 mu), county figures rounded to 2 decimals, subtotals the sums of the rows "
            "printed. Each county also gets its own workbook in to_counties/, with its rows as it delivered them.",
        ]
    )
    if layout.spatial_findings.is_file():
        notes_rows += [
            "",
            "落图分析（图层叠加）：调查图层与底图叠加后不一致的图块（涉及面积为图块平差后面积），报送的管控区面积与叠加计算"
            "不一致的图斑（涉及面积为差额），相互重叠的底图图斑（涉及面积为重叠面积，即重复计算的面积）。见“落图分析按县”"
            "“落图分析清单”。",
        ] + [f"{zh}（{en}）" for zh, en in SPATIAL_FINDINGS.values()]
    notes = Sheet(
        name="说明",
        header=["说明"],
        columns=[pa.array(notes_rows, pa.string())],
        widths=[140],
        freeze=None,
        autofilter=False,
    )
    sheets = [notes, _by_county_sheet(by_county), _by_type_sheet(by_type), _parcel_sheet(parcels)]
    sheets += _spatial_sheets(layout, params["divisions"])
    with atomic_path(layout.inconsistencies_workbook) as tmp:
        write_workbook(tmp, sheets)
    return {k: int(v) for k, v in counts.items()}
