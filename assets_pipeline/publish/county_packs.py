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
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets_pipeline.consistency.findings import OWNERSHIP_COLUMN
from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.infra.parallel import run_tasks
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.ingest.delivered import DeliveredFile, worth_workers
from assets_pipeline.ingest.headers import map_headers
from assets_pipeline.ingest.readers import read_batches
from assets_pipeline.publish.excel import display_width
from assets_pipeline.publish.xlsx_stream import Sheet, write_workbook
from assets_pipeline.schema.categories import CATEGORIES, CATEGORY_NAMES_ZH, COLUMN_NAMES_ZH, SPECS
from assets_pipeline.schema.labels import UNKNOWN_COUNTY_CODE, UNKNOWN_COUNTY_NAMES
from assets_pipeline.spatial.layers import layer_format

ROW_HEADER = "原文件行号 Row"
PROBLEM_HEADER = "问题说明 Problem"
UNKNOWN_COUNTY = (UNKNOWN_COUNTY_CODE, UNKNOWN_COUNTY_NAMES["zh"])

# the delivered column a finding is about (canonical name; the pack shows the county's own header)
FINDING_COLUMNS = {
    "missing_base": "base_parcel_id",
    "class_mismatch": "land_class",
    "area_exceeds_base": "area_m2",
    "county_mismatch": "region_code",
    "missing_inventory": "parcel_id",
}


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
    "geometry": (
        "图斑没有可用的面图形，请补绘图形后重新报送",
        "the feature has no usable polygon; draw it and deliver again",
    ),
}
_FRAME_SENTENCES = {
    "redline_area_m2 > area_m2": ("生态保护红线面积大于图斑面积", "red line area is greater than the parcel's area"),
    "protected_core_area_m2 > area_m2": (
        "自然保护地核心区面积大于图斑面积",
        "protected-area core zone area is greater than the parcel's area",
    ),
    "urban_boundary_area_m2 > area_m2": (
        "城镇开发边界面积大于图斑面积",
        "urban development boundary area is greater than the parcel's area",
    ),
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
            return (
                f"{header}：公式没有保存计算结果，请填写数值",
                f"{header}: a formula without a saved value; enter the value",
            )
        if _EXCEL_ERROR.search(check) or "error" in check.lower():
            return (
                f"{header}：单元格为 Excel 错误值，请填写正确数值",
                f"{header}: an Excel error value; enter the value",
            )
    zh, en = _RULE_SENTENCES.get(rule, ("数据有误", "is wrong"))
    return f"{header}：{zh}", f"{header}: {en}"


def _plain_number(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


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


def _problems(layout: YearLayout, records: dict[str, tuple[str, dict]], con) -> None:
    """A view ``problems`` of one line per (file, row, county, column, sentence): the rejects and the inconsistent
    parcels, in DuckDB (a province's rejects are not looped over in Python: only their distinct reasons are)."""
    counties = _counties(layout)
    con.register("counties", pa.table({"region_code": list(counties)}))
    selects = []
    for category in CATEGORIES:
        rows = [
            str(f)
            for f in part_files(layout.rejected_rows(category)) + part_files(layout.consistency_rejected_rows(category))
        ]
        lines = [
            str(f)
            for f in part_files(layout.reject_lines(category)) + part_files(layout.consistency_reject_lines(category))
        ]
        if rows and lines:
            con.register(f"rows_{category}", con.read_parquet(rows, union_by_name=True))
            con.register(f"lines_{category}", con.read_parquet(lines, union_by_name=True))
            selects.append(f"""SELECT r._source_file AS file, r._source_row AS row, '{category}' AS category,
                                      r.region_code, l."column" AS col, l.rule, l."check" AS chk, NULL::VARCHAR AS sentence
                               FROM lines_{category} l JOIN rows_{category} r USING (_row_id)""")
    if layout.inconsistencies.exists():
        con.execute(sql.load(__file__, "finding_sentences"), {"p": str(layout.inconsistencies)})
        con.register(
            "finding_columns",
            pa.table(
                {
                    "finding_type": list(FINDING_COLUMNS) + ["ownership_mismatch"] * len(OWNERSHIP_COLUMN),
                    "category": [None] * len(FINDING_COLUMNS) + list(OWNERSHIP_COLUMN),
                    "col": list(FINDING_COLUMNS.values()) + list(OWNERSHIP_COLUMN.values()),
                }
            ),
        )
        selects.append("""SELECT f.file, f.row, f.category, f.region_code, c.col, NULL AS rule, NULL AS chk, f.sentence
                          FROM findings f LEFT JOIN finding_columns c ON c.finding_type = f.finding_type
                               AND (c.category IS NULL OR c.category = f.category)""")
    body = (
        " UNION ALL ".join(selects)
        if selects
        else (
            "SELECT NULL::VARCHAR AS file, NULL::BIGINT AS row, NULL::VARCHAR AS category, NULL::VARCHAR AS region_code, "
            "NULL::VARCHAR AS col, NULL::VARCHAR AS rule, NULL::VARCHAR AS chk, NULL::VARCHAR AS sentence WHERE false"
        )
    )
    con.execute(f"CREATE TEMP VIEW problem_lines AS {body}")
    con.execute(sql.load(__file__, "raw_problems"), {"unknown": UNKNOWN_COUNTY[0]})
    # the reject lines' reasons in words: one Python call per distinct (file, column, rule, check), not per row
    distinct = con.execute(
        "SELECT DISTINCT file, category, col, rule, chk FROM raw_problems WHERE sentence IS NULL"
    ).fetchall()
    headers = {}
    for file, category, col, rule, chk in distinct:
        header = _header_of(records, file, category).get(col) or (COLUMN_NAMES_ZH | {"geometry": "图形"}).get(
            col or "", col or ""
        )
        zh, en = plain_reason(rule, chk, header)
        headers.setdefault("file", []).append(file)
        headers.setdefault("col", []).append(col)
        headers.setdefault("rule", []).append(rule)
        headers.setdefault("chk", []).append(chk)
        headers.setdefault("reason", []).append(f"{zh} / {en}")
    reasons = (
        pa.table(headers)
        if headers
        else pa.table({k: pa.array([], pa.string()) for k in ("file", "col", "rule", "chk", "reason")})
    )
    con.register("reasons", reasons)
    con.execute(sql.load(__file__, "problems"))


def _header_of(records: dict[str, tuple[str, dict]], file: str, category: str) -> dict[str, str]:
    """Canonical column → the header the county's file gave it (the ingest record's header map)."""
    record = records.get(file, (category, {}))[1]
    return {canonical: header for header, canonical in (record.get("header_map") or {}).items()}


def _counties(layout: YearLayout) -> dict[str, str]:
    """The province's counties (code → name), from the year's reference snapshot."""
    table = pq.read_table(layout.reference("admin_divisions"), columns=["region_code", "name", "level"])
    return {
        c: n
        for c, n, lv in zip(*(table[k].to_pylist() for k in ("region_code", "name", "level")), strict=False)
        if lv == "county"
    }


# ---------------------------------------------------------------------------------------------- the packs


def write_county_packs(layout: YearLayout, input_dir: Path, parallel: bool | None = None) -> dict[str, Path]:
    """Write one pack per county with rows to fix (and remove the packs of a previous run); returns them. The
    delivered files are read again in worker processes when ``parallel``, or by default when layers among them are
    large enough (``ingest.delivered.worth_workers``); the packs are the same either way."""
    records = _records(layout)
    names = _counties(layout) | {UNKNOWN_COUNTY[0]: UNKNOWN_COUNTY[1]}
    sheets: dict[str, list[Sheet]] = defaultdict(list)
    year_dir = Path(input_dir) / str(layout.year)
    with connect(layout.stages / "duckdb_tmp") as con:
        _problems(layout, records, con)
        files = con.execute("SELECT file, any_value(category) FROM problems GROUP BY file ORDER BY file").fetchall()
        # per row its distinct reasons (in one order whatever the threads did), and per column its offending rows
        by_row = con.sql(
            "SELECT file, county, row, list(DISTINCT sentence ORDER BY sentence) FROM problems "
            "GROUP BY file, county, row ORDER BY file, county, row"
        ).to_arrow_table()
        marks: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(dict)
        for file, county, col, rows in con.execute(
            "SELECT file, county, col, list(DISTINCT row) FROM problems WHERE col IS NOT NULL GROUP BY ALL"
        ).fetchall():
            marks[(file, county)][col] = rows
    by_file = _runs(by_row, "file")
    wanted = []  # per delivered file with problems: its category, its record, its problem rows by county
    for relative, category in files:
        category, record = records.get(relative, (category, {}))
        wanted.append((relative, category, record, by_file.get(relative, by_row.slice(0, 0)).drop_columns(["file"])))
    # layers read again side by side when large enough (tables in one process: at 10M parcels no faster there)
    tasks = [(year_dir / rel, rel, category, record, here.column(1)) for rel, category, record, here in wanted]
    if parallel is None:
        parallel = worth_workers([year_dir / rel for rel, *_ in wanted if layer_format(year_dir / rel) is not None])
    for (relative, category, record, here), delivered in zip(
        wanted, run_tasks(delivered_rows, tasks, parallel), strict=True
    ):
        for county, mine in sorted(_runs(here, "county").items()):
            sheets[county].append(_file_sheet(relative, category, record, delivered, mine, marks[(relative, county)]))
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


def _runs(table: pa.Table, column: str) -> dict[str, pa.Table]:
    """The slices of a table sorted by ``column``, one per value: cut once instead of filtering the whole table
    for each file (a province's problem rows times its files)."""
    values = table.column(column).to_numpy(zero_copy_only=False)
    if not len(values):
        return {}
    starts = np.concatenate([[0], np.flatnonzero(values[1:] != values[:-1]) + 1])
    ends = np.append(starts[1:], len(values))
    return {values[a]: table.slice(a, b - a) for a, b in zip(starts, ends, strict=True)}


def _file_name(name: str) -> str:
    """A county's name as part of a file name: no path or reserved characters, at most 40 characters (a name
    comes from the reference table, which a province edits)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")[:40]


def delivered_rows(path: Path, relative: str, category: str, record: dict, rows: pa.Array) -> pa.Table:
    """The wanted rows of a delivered file as the county wrote them: its own columns, cell text, row numbers.

    The file is read again with the reader ingest used (same sheet), batch by batch, keeping only those rows."""
    delivered = DeliveredFile(path=path, relative=relative)
    wanted = pc.unique(rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows).cast(pa.int64())
    kept: list[pa.Table] = []
    batches = read_batches(path, delivered, sheet=record.get("sheet"), spec=SPECS[category], layer=record.get("layer"))
    for batch in batches:
        chosen = batch.filter(pc.is_in(batch.column("_source_row"), value_set=wanted))
        if chosen.num_rows:
            kept.append(pa.Table.from_batches([chosen]))
    if not kept:
        return pa.table({"_source_row": pa.array([], pa.int64())})
    table = pa.concat_tables(kept, promote_options="permissive")
    return pa.table(
        {
            name: _text(table.column(name)) if name != "_source_row" else table.column(name)
            for name in table.column_names
        }
    )


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


def _file_sheet(
    relative: str, category: str, record: dict, delivered: pa.Table, mine: pa.Table, marked: dict[str, list[int]]
) -> Sheet:
    """One delivered file's rows of one county: the file's columns in its order, then the row number and the
    reasons; ``mine`` holds (county, row, reasons) per row, ``marked`` the rows of each offending column."""
    headers = [n for n in delivered.column_names if n != "_source_row"]
    mapping = record.get("header_map") or map_headers(Path(relative), headers, SPECS[category])[0]
    rows = delivered.filter(pc.is_in(delivered.column("_source_row"), value_set=mine.column(1).combine_chunks()))
    rows = rows.sort_by([("_source_row", "ascending")])
    source_rows = rows.column("_source_row").combine_chunks()
    reasons = pc.take(
        pc.binary_join(mine.column(2).combine_chunks(), "；"),
        pc.index_in(source_rows, value_set=mine.column(1).combine_chunks()),
    )
    numbers = source_rows.to_numpy()
    highlight = []
    for h in headers:
        canonical = mapping.get(h)
        highlight.append(np.isin(numbers, marked[canonical]) if canonical in marked else None)
    name = f"{CATEGORY_NAMES_ZH.get(category, category)} {Path(relative).name}"
    return Sheet(
        name=name,
        header=headers + [ROW_HEADER, PROBLEM_HEADER],
        columns=[rows.column(h).combine_chunks() for h in headers] + [source_rows, reasons],
        highlight=highlight + [None, None],
        numeric_text=[False] * (len(headers) + 2),
        widths=[max(10.0, min(30.0, display_width(h) + 3.0)) for h in headers] + [12.0, 70.0],
        mark_blank=True,
    )


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
        '"Inconsistent parcel": the land survey (base map) and the forest, grassland or wetland inventory '
        "disagree; check and correct this file or the base map.",
    ]
    return Sheet(
        name="说明 Notes",
        header=["说明 Notes"],
        columns=[pa.array(lines, pa.string())],
        widths=[140],
        freeze=None,
        autofilter=False,
    )
