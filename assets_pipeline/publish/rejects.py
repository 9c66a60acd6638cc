"""The rejects of a year: one Parquet table, and a workbook each county can fix and send back.

The workbook has one sheet per category holding the rejected rows whole, with the canonical
column names as headers (so the corrected sheet can be delivered again as it is), the file and
row each came from, the problems in words, and every offending cell highlighted.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.infra.storage import atomic_path, read_json, write_parquet
from assets_pipeline.ingest.deliveries import refusal_path
from assets_pipeline.publish.excel import MAX_ROWS
from assets_pipeline.publish.xlsx_stream import Sheet, write_workbook
from assets_pipeline.schema.categories import CATEGORIES, CATEGORY_NAMES_ZH, COLUMN_NAMES_ZH, SPECS
from assets_pipeline.validate.rejects import REJECT_SCHEMA


def combine_rejects(layout: YearLayout, categories=CATEGORIES) -> pa.Table:
    # validation's reject lines, and those of the consistency step's reject policy (DOMAIN §2)
    tables = [
        pq.read_table(p)
        for c in categories
        for p in part_files(layout.reject_lines(c)) + part_files(layout.consistency_reject_lines(c))
    ]
    table = pa.concat_tables(tables) if tables else REJECT_SCHEMA.empty_table()
    # in the order of the files and their rows, whatever order the workers finished in
    table = table.sort_by(
        [
            ("category", "ascending"),
            ("source_file", "ascending"),
            ("source_row", "ascending"),
            ("_row_id", "ascending"),
            ("column", "ascending"),
            ("rule", "ascending"),
            ("check", "ascending"),
        ]
    )
    table = table.drop(["_row_id"])
    write_parquet(table, layout.rejects_parquet)
    return table


def write_rejects_workbook(layout: YearLayout, categories=CATEGORIES) -> dict[str, int]:
    """Write ``rejects_<year>.xlsx``; returns rejected rows per category."""
    counts: dict[str, int] = {}
    notes_rows = [
        ("被退回的数据行 Rejected rows", "", ""),
        (f"年度 Year: {layout.year}", "", ""),
        (
            "每个类别一张工作表；红色单元格为出错的值。请在原文件中修改后重新报送，或直接修改本表并按原格式报送。",
            "",
            "",
        ),
        (
            "One sheet per category; red cells hold the offending values. Fix them in your file "
            "(or in this sheet: its headers are the canonical column names) and deliver again.",
            "",
            "",
        ),
        ("", "", ""),
    ] + [
        (column, COLUMN_NAMES_ZH.get(column, column), category)
        for category in categories
        for column in SPECS[category].column_names
    ]
    notes = Sheet(
        name="说明 Notes",
        header=["column", "中文名", "category"],
        columns=[pa.array([r[i] or None for r in notes_rows], pa.string()) for i in range(3)],
        widths=[26, 22, 14],
        freeze=None,
        autofilter=False,
    )
    sheets = [notes]
    refused = refused_files(layout, categories)
    if refused:
        sheets.append(_refused_sheet(refused))
    for category in categories:
        rows = _read_parts(layout.rejected_rows(category), layout.consistency_rejected_rows(category))
        if rows is None:
            continue
        counts[category] = rows.num_rows
        if rows.num_rows:
            lines = _read_parts(layout.reject_lines(category), layout.consistency_reject_lines(category))
            sheets.append(_category_sheet(category, rows, lines))
    with atomic_path(layout.rejects_workbook) as tmp:
        write_workbook(tmp, sheets)
    return counts


def refused_files(layout: YearLayout, categories=CATEGORIES) -> list[dict]:
    """The year's refused deliveries (``ingest.records.record_refusal``): category, file and what is wrong."""
    return [read_json(refusal_path(layout, c)) for c in categories if refusal_path(layout, c).exists()]


def _refused_sheet(refused: list[dict]) -> Sheet:
    """A line per refused file: none of its rows was read, so none is listed on the category's sheet, and the
    category was neither validated nor valued this year."""
    problems = [_refusal_message(r) for r in refused]
    return Sheet(
        name="拒收文件 Refused files",
        header=["category", "source_file", "problems"],
        columns=[
            pa.array([f"{CATEGORY_NAMES_ZH[r['category']]} {r['category']}" for r in refused], pa.string()),
            pa.array([r["file"] for r in refused], pa.string()),
            pa.array(problems, pa.string()),
        ],
        widths=[16, 60, 100],
    )


def _refusal_message(refusal: dict) -> str:
    problem = refusal["problem"]
    prefix = f"{refusal['file']}: "
    problem = problem[len(prefix) :] if problem.startswith(prefix) else problem
    return (
        f"整个文件被拒收，本类别本年未校验、未估价，请修正后重新报送 / the whole file was refused: the category was "
        f"neither validated nor valued this year; fix the file and deliver it again: {problem}"
    )


def _read_parts(*folders) -> pa.Table | None:
    files = [f for folder in folders for f in part_files(folder)]
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive") if files else None


def _category_sheet(category: str, rows: pa.Table, lines: pa.Table) -> Sheet:
    """The rejected rows whole, ordered by file and row, the problems in words, offending cells marked."""
    columns = SPECS[category].column_names
    rows = rows.sort_by([("_source_file", "ascending"), ("_source_row", "ascending")]).slice(0, MAX_ROWS - 1)
    row_ids = rows["_row_id"].combine_chunks()
    frame = lines.select(["_row_id", "column", "value"]).to_pandas()  # the messages are joined by _problems
    out = [rows["_source_file"].combine_chunks(), rows["_source_row"].combine_chunks(), _problems(lines, row_ids)]
    highlight: list[np.ndarray | None] = [None, None, None]
    numeric_text = [False, False, False]
    ids = row_ids.to_numpy()
    for column in columns:
        values = rows[column].combine_chunks()
        here = frame[frame["column"] == column]
        numeric_text.append(False)
        if here.empty:
            out.append(values)
            highlight.append(None)
            continue
        highlight.append(np.isin(ids, here["_row_id"].to_numpy()))
        # a cell that did not parse is null in the typed row: show what the county wrote
        original = here.drop_duplicates("_row_id").set_index("_row_id")["value"].reindex(ids)
        if original.notna().any():
            numeric_text[-1] = not pa.types.is_string(values.type)
            text = _as_text(values)
            values = pc.coalesce(text, pa.array(original.to_numpy(dtype=object, na_value=None), pa.string()))
        out.append(values)
    return Sheet(
        name=f"{CATEGORY_NAMES_ZH[category]} {category}",
        header=["source_file", "source_row", "problems"] + columns,
        columns=out,
        highlight=highlight,
        numeric_text=numeric_text,
        widths=[28, 9, 60] + [16] * len(columns),
    )


def _problems(lines: pa.Table, row_ids: pa.Array) -> pa.Array:
    """Each row's problems in words, its reject lines' messages joined in the order of the lines (Arrow kernels,
    not a Python call per row: a county may have hundreds of thousands of rejected rows)."""
    # one thread keeps each group's messages in the order of the lines
    grouped = (
        lines.select(["_row_id", "message"]).group_by("_row_id", use_threads=False).aggregate([("message", "list")])
    )
    joined = pc.binary_join(grouped["message_list"], "; ")
    return pc.take(joined, pc.index_in(row_ids, value_set=grouped["_row_id"])).combine_chunks()


def _as_text(values: pa.Array) -> pa.Array:
    if pa.types.is_floating(values.type):
        # 12.0 reads back as 12: the county sees its number, not a float artefact
        integral = pc.fill_null(pc.equal(pc.floor(values), values), False)
        as_int = pc.cast(pc.cast(pc.if_else(integral, values, None), pa.int64(), safe=False), pa.string())
        return pc.if_else(integral, as_int, pc.cast(values, pa.string()))
    return pc.cast(values, pa.string())
