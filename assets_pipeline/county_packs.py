"""Per county, a workbook of its rows to fix and send back: ``to_counties/<code>_<name>.xlsx``.

A county fixes rows in its own file, not in the province's canonical table. So each pack shows the rows as the
county delivered them: its own headers (the header names ingest matched, kept in the ingest record), its own
cell text and its file's row numbers (CSV line, Excel row, Parquet record). The delivered text is kept nowhere
in the stages (ingest keeps parsed, converted values), so the rows are read again from the delivered files with
the project's own readers — only the files that hold rows to fix, batch by batch, keeping only those rows.

A pack holds both the county's rejected rows (validation, and the consistency step's ``reject`` policy) and its
inconsistent parcels (不一致图斑, DOMAIN §2), one sheet per delivered file. The offending cells are marked, and
each row says what is wrong in plain Chinese and English, with no validator internals (``greater_than(0)``
reads 须大于0 / must be greater than 0). The file's own columns come first, in its order, so corrected rows can be
copied back over the same rows of the file (the row number says which) and delivered again.

The province-wide ``rejects_<year>.xlsx`` and ``rejects.parquet`` stay as they are, for analysts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .categories import CATEGORIES, CATEGORY_NAMES_ZH, SPECS
from .consistency import FINDINGS, OWNERSHIP_COLUMN
from .layout import YearLayout, part_files
from .readers import DeliveredFile, map_headers, read_batches
from .storage import atomic_path
from .validate import COLUMN_NAMES_ZH
from .xlsx_stream import Sheet, write_workbook

ROW_HEADER = "原文件行号 Row"
PROBLEM_HEADER = "问题说明 Problem"
UNKNOWN_COUNTY = ("000000", "未能确定所属县")

# the delivered column a finding is about (canonical name; the pack shows the county's own header)
FINDING_COLUMNS = {"missing_base": "base_parcel_id", "class_mismatch": "land_class", "area_exceeds_base": "area_m2",
                   "county_mismatch": "region_code", "missing_inventory": "parcel_id"}


def pack_folder(layout: YearLayout) -> Path:
    return layout.root / "to_counties"


# ---------------------------------------------------------------------------------------------- reasons

_BOUND = r"(-?\d+(?:\.\d+)?)"
_RANGE_SENTENCES = [
    (re.compile(rf"^greater_than\({_BOUND}\)$"), "须大于{0}", "must be greater than {0}"),
    (re.compile(rf"^greater_than_or_equal_to\({_BOUND}\)$"), "不得小于{0}", "must not be less than {0}"),
    (re.compile(rf"^less_than\({_BOUND}\)$"), "须小于{0}", "must be less than {0}"),
    (re.compile(rf"^less_than_or_equal_to\({_BOUND}\)$"), "不得大于{0}", "must not be greater than {0}"),
    (re.compile(rf"^in_range\({_BOUND}, ?{_BOUND}\)$"), "须在{0}至{1}之间", "must be between {0} and {1}"),
]
_RULE_SENTENCES = {
    "required": ("必填，不能为空", "is required and may not be blank"),
    "type": ("不是有效的数值或格式，请填写数字", "is not a valid number or format; enter a number"),
    "code_list": ("不是代码表中的代码，请按代码表填写", "is not a code of the code list; use the code list"),
    "region": ("不是本省县级行政区代码", "is not a county code of the province"),
    "range": ("数值超出允许范围", "is out of the allowed range"),
    "unit": ("计量单位与该矿种的单位不符", "does not match the mineral's unit"),
    "consistency": ("与本行其他字段矛盾", "contradicts another field of the row"),
}
_FRAME_SENTENCES = {
    "redline_area_m2 > area_m2": ("生态保护红线面积大于图斑面积", "red line area is greater than the parcel's area"),
    "years_used > granted_term_years": ("已使用年限大于出让年限", "years used exceed the granted term"),
    "unit differs from minerals.csv": ("计量单位与该矿种的单位不符", "does not match the mineral's unit"),
}
_EXCEL_ERROR = re.compile(r"#(N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!)")
_FIRST_SEEN = re.compile(r"^first seen in (.+) row (\d+)$")


def plain_reason(rule: str, check: str | None, header: str) -> tuple[str, str]:
    """A reject line's reason as a county reads it, naming its own column: (Chinese, English)."""
    check = check or ""
    for pattern, zh, en in _RANGE_SENTENCES:
        m = pattern.match(check)
        if m:
            bounds = [_plain_number(b) for b in m.groups()]
            return f"{header}：{zh.format(*bounds)}", f"{header}: {en.format(*bounds)}"
    if check in _FRAME_SENTENCES:
        zh, en = _FRAME_SENTENCES[check]
        return f"{header}：{zh}", f"{header}: {en}"
    if rule == "unique":
        m = _FIRST_SEEN.match(check)
        where_zh = f"（首次出现于 {m.group(1)} 第{m.group(2)}行）" if m else ""
        where_en = f" (first in {m.group(1)}, row {m.group(2)})" if m else ""
        return f"{header}：标识重复{where_zh}", f"{header}: duplicate id{where_en}"
    if rule == "type" and check not in ("", "parse"):
        if "formula" in check.lower():
            return f"{header}：公式没有保存计算结果，请填写数值", f"{header}: a formula without a saved value; enter the value"
        if _EXCEL_ERROR.search(check) or "error" in check.lower():
            return f"{header}：单元格为 Excel 错误值，请填写正确数值", f"{header}: an Excel error value; enter the value"
    zh, en = _RULE_SENTENCES.get(rule, ("数据有误", "is wrong"))
    return f"{header}：{zh}", f"{header}: {en}"


def _plain_number(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


def finding_reason(finding: str, row: dict) -> tuple[str, str]:
    """An inconsistent parcel's finding in words, with both sides' figures where they differ."""
    zh, en = FINDINGS.get(finding, (finding, finding))
    detail_zh = detail_en = ""
    if finding == "class_mismatch":
        detail_zh = f"：底图地类 {row.get('base_land_class')}，本表地类 {row.get('inventory_land_class')}"
        detail_en = f": base map class {row.get('base_land_class')}, this file {row.get('inventory_land_class')}"
    elif finding == "area_exceeds_base":
        detail_zh = f"：底图面积 {row.get('base_area_m2')} 平方米，调查面积合计 {row.get('inventory_area_m2')} 平方米"
        detail_en = f": base area {row.get('base_area_m2')} m², inventory total {row.get('inventory_area_m2')} m²"
    elif finding == "ownership_mismatch":
        detail_zh = f"：底图权属 {row.get('base_ownership')}，本表 {row.get('inventory_ownership')}"
        detail_en = f": base map {row.get('base_ownership')}, this file {row.get('inventory_ownership')}"
    elif finding == "county_mismatch":
        detail_zh = f"：底图行政区 {row.get('base_region_code')}，本表 {row.get('inventory_region_code')}"
        detail_en = f": base map {row.get('base_region_code')}, this file {row.get('inventory_region_code')}"
    elif finding in ("missing_base", "missing_inventory"):
        detail_zh = f"：底图图斑 {row.get('base_parcel_id')}"
        detail_en = f": base parcel {row.get('base_parcel_id')}"
    return f"不一致图斑 {zh}{detail_zh}", f"inconsistent parcel, {en}{detail_en}"


# ---------------------------------------------------------------------------------------------- what to fix


def _records(layout: YearLayout) -> dict[str, tuple[str, dict]]:
    """Delivered file (relative path) → (category, its ingest record: header map, sheet, format)."""
    out: dict[str, tuple[str, dict]] = {}
    for category in CATEGORIES:
        path = layout.record("ingested", category)
        if path.exists():
            for f in json.loads(path.read_text(encoding="utf-8"))["files"]:
                out[f["relative"]] = (category, f)
    return out


def _problems(layout: YearLayout, records: dict[str, tuple[str, dict]]) -> list[dict]:
    """One entry per (file, row, column, reason): the rejects and the inconsistent parcels, with their county."""
    counties = _counties(layout)
    entries: list[dict] = []
    for category in CATEGORIES:
        rows = _parts(layout.rejected_rows(category), layout.consistency_rejected_rows(category),
                      columns=["_row_id", "_source_file", "_source_row", "region_code"])
        lines = _parts(layout.reject_lines(category), layout.consistency_reject_lines(category),
                       columns=["_row_id", "column", "rule", "check"])
        if rows is None or lines is None or not rows.num_rows:
            continue
        by_id = {r["_row_id"]: r for r in rows.to_pylist()}
        for line in lines.to_pylist():
            row = by_id.get(line["_row_id"])
            if row is None:
                continue
            entries.append({"file": row["_source_file"], "row": row["_source_row"], "category": category,
                            "county": _county_of(row["region_code"], row["_source_file"], counties),
                            "column": line["column"], "rule": line["rule"], "check": line["check"], "finding": None})
    if layout.inconsistencies.exists():
        for f in pq.read_table(layout.inconsistencies).to_pylist():
            if f["source_file"] is None or f["source_row"] is None:
                continue
            category = records.get(f["source_file"], (f["category"], {}))[0]
            column = FINDING_COLUMNS.get(f["finding_type"])
            if f["finding_type"] == "ownership_mismatch":
                column = OWNERSHIP_COLUMN.get(category, "ownership")
            entries.append({"file": f["source_file"], "row": f["source_row"], "category": category,
                            "county": _county_of(f["region_code"], f["source_file"], counties),
                            "column": column, "rule": None, "check": None, "finding": f["finding_type"], "detail": f})
    return entries


def _counties(layout: YearLayout) -> dict[str, str]:
    """The province's counties (code → name), from the year's reference snapshot."""
    table = pq.read_table(layout.reference("admin_divisions"), columns=["region_code", "name", "level"])
    return {c: n for c, n, lv in zip(*(table[k].to_pylist() for k in ("region_code", "name", "level"))) if lv == "county"}


def _county_of(code: str | None, source_file: str, counties: dict[str, str]) -> str:
    """The row's county; a code that is not a county of the province falls back on the file's name
    (``140105_小店区.csv``), as the scorecard does."""
    if code in counties:
        return code
    m = re.search(r"(^|/)([0-9]{6})_", source_file or "")
    if m and m.group(2) in counties:
        return m.group(2)
    return UNKNOWN_COUNTY[0]


def _parts(*folders, columns: list[str]) -> pa.Table | None:
    files = [f for folder in folders for f in part_files(folder)]
    if not files:
        return None
    return pa.concat_tables([pq.read_table(f, columns=columns) for f in files], promote_options="permissive")


# ---------------------------------------------------------------------------------------------- the packs


def write_county_packs(layout: YearLayout, input_dir: Path) -> dict[str, Path]:
    """Write one pack per county with rows to fix (and remove the packs of a previous run); returns them."""
    records = _records(layout)
    entries = _problems(layout, records)
    names = _counties(layout) | {UNKNOWN_COUNTY[0]: UNKNOWN_COUNTY[1]}
    by_file: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        by_file[e["file"]].append(e)
    sheets: dict[str, list[Sheet]] = defaultdict(list)
    year_dir = Path(input_dir) / str(layout.year)
    for relative in sorted(by_file):
        category, record = records.get(relative, (by_file[relative][0]["category"], {}))
        delivered = _delivered_rows(year_dir / relative, relative, category, record, {e["row"] for e in by_file[relative]})
        for county in sorted({e["county"] for e in by_file[relative]}):
            mine = [e for e in by_file[relative] if e["county"] == county]
            sheets[county].append(_file_sheet(relative, category, record, delivered, mine))
    folder = pack_folder(layout)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for county, county_sheets in sorted(sheets.items()):
        path = folder / f"{county}_{_file_name(names.get(county, ''))}.xlsx"
        with atomic_path(path) as tmp:
            write_workbook(tmp, [_notes(layout, county, names.get(county, ""))] + county_sheets)
        written[county] = path
    for old in folder.glob("*.xlsx"):
        if old not in written.values():
            old.unlink()
    return written


def _file_name(name: str) -> str:
    """A county's name as part of a file name: no path or reserved characters, at most 40 characters (a name
    comes from the reference table, which a province edits)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")[:40]


def _delivered_rows(path: Path, relative: str, category: str, record: dict, rows: set[int]) -> pa.Table:
    """The wanted rows of a delivered file as the county wrote them: its own columns, cell text, row numbers.

    The file is read again with the reader ingest used (same sheet), batch by batch, keeping only those rows."""
    delivered = DeliveredFile(path=path, relative=relative)
    wanted = pa.array(sorted(rows), pa.int64())
    kept: list[pa.Table] = []
    for batch in read_batches(path, delivered, sheet=record.get("sheet"), spec=SPECS[category]):
        chosen = batch.filter(pc.is_in(batch.column("_source_row"), value_set=wanted))
        if chosen.num_rows:
            kept.append(pa.Table.from_batches([chosen]))
    if not kept:
        return pa.table({"_source_row": pa.array([], pa.int64())})
    table = pa.concat_tables(kept, promote_options="permissive")
    return pa.table({name: _text(table.column(name)) if name != "_source_row" else table.column(name)
                     for name in table.column_names})


def _text(column) -> pa.Array:
    """A delivered column as text (an empty cell stays empty); a Parquet number as the county's program wrote
    it (12.0 → 12)."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
        return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)  # an empty cell stays empty
    if pa.types.is_floating(column.type):
        integral = pc.fill_null(pc.equal(pc.floor(column), column), False)
        as_int = pc.cast(pc.cast(pc.if_else(integral, column, None), pa.int64(), safe=False), pa.string())
        return pc.if_else(integral, as_int, pc.cast(column, pa.string()))
    return pc.cast(column, pa.string())


def _file_sheet(relative: str, category: str, record: dict, delivered: pa.Table, entries: list[dict]) -> Sheet:
    """One delivered file's rows to fix: the file's columns in its order, then the row number and the reasons."""
    headers = [n for n in delivered.column_names if n != "_source_row"]
    mapping = record.get("header_map") or map_headers(Path(relative), headers, SPECS[category])[0]
    header_of = {canonical: header for header, canonical in mapping.items()}
    source_rows = delivered.column("_source_row").to_numpy()
    order = np.argsort(source_rows, kind="stable")
    delivered = delivered.take(pa.array(order))
    source_rows = source_rows[order]
    position = {int(r): i for i, r in enumerate(source_rows)}
    reasons: dict[int, list[str]] = defaultdict(list)
    marked: dict[str, np.ndarray] = {h: np.zeros(len(source_rows), dtype=bool) for h in headers}
    for e in sorted(entries, key=lambda e: (e["row"], e["finding"] is not None, e["column"] or "")):
        i = position.get(int(e["row"]))
        if i is None:
            continue
        header = header_of.get(e["column"])
        if header in marked:
            marked[header][i] = True
        shown = header or COLUMN_NAMES_ZH.get(e["column"] or "", e["column"] or "")
        zh, en = (finding_reason(e["finding"], e["detail"]) if e["finding"]
                  else plain_reason(e["rule"], e["check"], shown))
        sentence = f"{zh} / {en}"
        if sentence not in reasons[i]:
            reasons[i].append(sentence)
    problems = pa.array(["；".join(reasons[i]) for i in range(len(source_rows))], pa.string())
    name = f"{CATEGORY_NAMES_ZH.get(category, category)} {Path(relative).name}"
    return Sheet(
        name=name,
        header=headers + [ROW_HEADER, PROBLEM_HEADER],
        columns=[delivered.column(h).combine_chunks() for h in headers]
        + [pa.array(source_rows, pa.int64()), problems],
        highlight=[marked[h] for h in headers] + [None, None],
        numeric_text=[False] * (len(headers) + 2),
        widths=[max(10.0, min(30.0, _display_width(h) + 3.0)) for h in headers] + [12.0, 70.0],
        mark_blank=True,
    )


def _display_width(text: str) -> int:
    """A header's width in column units: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _notes(layout: YearLayout, county: str, name: str) -> Sheet:
    lines = [
        f"{county} {name}：{layout.year}年度需修改后重新报送的数据行",
        f"{county} {name}: rows of {layout.year} to correct and deliver again",
        "",
        "每个报送文件一张工作表，表头与数值均为贵单位报送时的原样；红色单元格为出错或与底图不一致的值，"
        "“原文件行号”为该行在原文件中的行号（CSV 为行号，Excel 为行号，Parquet 为记录序号），“问题说明”说明原因。",
        "One sheet per delivered file, headers and values as you delivered them; red cells hold the values to "
        "correct; Row is the row's number in your file (CSV line, Excel row, Parquet record); Problem says why.",
        "修改方法：在本表改正红色单元格后，将本行从第一列到“原文件行号”之前的各列复制，粘贴到原文件的同一行，"
        "再报送整个文件。",
        "To correct: fix the red cells here, copy the row's columns up to (not including) Row, paste them over the "
        "same row of your file, and deliver the whole file again.",
        "“不一致图斑”为统一底图（国土变更调查）与森林、草原、湿地调查不一致之处，请核实后改正本表或底图。",
        "\"Inconsistent parcel\": the land survey (base map) and the forest, grassland or wetland inventory "
        "disagree; check and correct this file or the base map.",
    ]
    return Sheet(name="说明 Notes", header=["说明 Notes"], columns=[pa.array(lines, pa.string())], widths=[140],
                 freeze=None, autofilter=False)
