"""Workbook deliveries (XLSX): the sheet holding the category, its header row, its cells as text, in batches."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.ingest.delivered import (
    BATCH_ROWS,
    DeliveredFile,
    short_message,
    with_source_rows,
    without_empty_rows,
)
from assets_pipeline.ingest.headers import canonical_of, header_key, header_lookup
from assets_pipeline.ingest.workbook_parts import EXCEL_MAX_ROWS, cells_without_value, inspect_workbook
from assets_pipeline.schema.categories import AREA_UNITS, VOLUME_UNITS
from assets_pipeline.schema.columns import CategorySpec

HEADER_SEARCH_ROWS = 20


def xlsx_batches(
    path: Path, delivered: DeliveredFile, sheet: str | None, spec: CategorySpec | None
) -> Iterator[pa.RecordBatch]:
    """A workbook sheet in batches; ``_source_row`` is the Excel row number.

    The sheet is the one named, else the first whose first rows hold a header of the category. The
    header row is the row among the first 20 that matches most column aliases (title and unit lines
    above it are skipped); a header merged over two rows (``面积`` over ``公顷``/``亩``) is read as one.
    Formulas are read by their saved value; a formula saved without one, and Excel error values, are
    kept as text (``=SUM(D2:D9)``, ``#DIV/0!``) so the row is rejected showing them. Hidden rows are
    read like any other row.
    """
    from python_calamine import CalamineWorkbook

    parts = inspect_workbook(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged workbooks
        raise InputFileError(path, f"not a readable Excel workbook ({short_message(exc)}) / Excel 文件损坏") from None
    names = workbook.sheet_names
    if sheet is not None and sheet not in names:
        raise InputFileError(path, f"has no sheet named '{sheet}' (sheets: {', '.join(names)}) / 找不到工作表")
    lookup = header_lookup(spec) if spec is not None else None
    required = sum(1 for c in spec.columns if c.required) if spec is not None else 0
    chosen, rows, found, partial = None, None, None, None
    for name in [sheet] if sheet is not None else names:
        try:
            candidate = workbook.get_sheet_by_name(name)
            sheet_rows = candidate.to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputFileError(
                path, f"sheet '{name}' cannot be read ({short_message(exc)}) / 工作表无法读取"
            ) from None
        header = _find_header(sheet_rows, candidate.merged_cell_ranges, lookup)
        if header is not None and header[3] < required and sheet is None:
            # some of the columns: read it only if no sheet has them all (map_headers names what is missing)
            if partial is None or header[3] > partial[2][3]:
                partial = (name, sheet_rows, header)
            continue
        if header is not None or sheet is not None or lookup is None:
            chosen, rows, found = name, sheet_rows, header
            break
    if chosen is None and partial is not None:
        chosen, rows, found = partial
    if chosen is None:
        wanted = ", ".join(c.name for c in spec.columns if c.required)
        raise InputFileError(
            path,
            f"no sheet has a header row with the {spec.name} columns ({wanted}) in its first {HEADER_SEARCH_ROWS} "
            f"rows (sheets: {', '.join(names)}); name the sheet with --sheet / 未找到含表头的工作表",
        )
    delivered.sheet = chosen
    while rows and all(v in ("", None) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputFileError(path, f"sheet '{chosen}' is empty / 工作表为空")
    if len(rows) > EXCEL_MAX_ROWS:
        raise InputFileError(
            path, f"sheet '{chosen}' has {len(rows):,} rows, over Excel's {EXCEL_MAX_ROWS:,} / 工作表行数超过上限"
        )
    header_row, header_rows, headers = found[:3] if found else (0, 1, [_cell_header(h) for h in rows[0]])
    headers = [h if h else f"column_{i + 1}" for i, h in enumerate(headers)]
    if len(set(headers)) != len(headers):
        dupes = sorted({h for h in headers if headers.count(h) > 1})
        raise InputFileError(path, f"sheet '{chosen}': repeated column header(s): {', '.join(dupes)} / 表头重复")
    if chosen in parts:
        for (r, c), text in cells_without_value(path, parts[chosen]).items():
            if r < len(rows) and c < len(rows[r]):
                rows[r][c] = text
    delivered.header_rows = str(header_row + 1) if header_rows == 1 else f"{header_row + 1}-{header_row + header_rows}"
    width = len(headers)
    first = header_row + header_rows
    body = rows[first:]
    for start in range(0, max(len(body), 1), BATCH_ROWS):
        chunk = body[start : start + BATCH_ROWS]
        columns = [
            pa.array([_cell_text(r[i]) if i < len(r) else None for r in chunk], pa.string()) for i in range(width)
        ]
        batch = pa.RecordBatch.from_arrays(columns, names=headers)
        yield without_empty_rows(with_source_rows(batch, first + start + 1))


def _cell_text(value: object) -> str | None:
    """An Excel cell as text: integral numbers without ``.0``, dates in ISO form, errors kept as text."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _cell_header(value: object) -> str:
    return "" if value in (None, "") else str(_cell_text(value)).strip()


def _find_header(rows: list, merged, lookup: dict[str, str] | None):
    """(header row index, 1 or 2 header rows, headers, columns matched), or None when no row of the
    first 20 matches two columns.

    The header row is the first row matching the most aliases. The row below belongs to the header
    when a cell of the header row is merged (over sub-columns or down), or when reading the two rows
    together matches more columns.
    """
    if lookup is None:
        return None
    scored = [
        (_header_score(h, lookup), i, h)
        for i, h in enumerate([_cell_header(v) for v in row] for row in rows[:HEADER_SEARCH_ROWS])
    ]
    if not scored or max(s for s, _, _ in scored) < 2:
        return None
    best = max(s for s, _, _ in scored)
    score, index, headers = next(item for item in scored if item[0] == best)
    n = 1
    if index + 1 < len(rows):
        spans = [((r0, c0), (r1, c1)) for (r0, c0), (r1, c1) in (merged or []) if r0 == index and (r1 > r0 or c1 > c0)]
        below = [_cell_header(v) for v in rows[index + 1]]
        combined = _combine_header_rows(headers, below, spans, lookup)
        if _header_score(combined, lookup) > score or (spans and _is_sub_header(below, spans, lookup)):
            headers, n = combined, 2
    return index, n, headers, _header_score(headers, lookup)


def _is_sub_header(below: list[str], spans, lookup: dict[str, str]) -> bool:
    """A row under merged header cells is part of the header only if each of its cells is a unit, a
    column's name, or sits under a cell merged across columns (a data row fills the other columns too)."""
    units = {header_key(u) for u in (*AREA_UNITS, *VOLUME_UNITS)}
    under = {c for (_, c0), (_, c1) in spans if c1 > c0 for c in range(c0, c1 + 1)}
    cells = [(c, v) for c, v in enumerate(below) if v]
    return bool(cells) and all(c in under or header_key(v) in units or canonical_of(v, lookup)[0] for c, v in cells)


def _header_score(headers: list[str], lookup: dict[str, str]) -> int:
    return len({canonical_of(h, lookup)[0] for h in headers if h} - {None})


def _combine_header_rows(upper: list[str], lower: list[str], spans, lookup: dict[str, str]) -> list[str]:
    """Two header rows as one: a merged upper cell names each sub-column below it (``面积`` + ``公顷`` →
    ``面积(公顷)``); a group title over headers of its own (``基本信息`` over ``标识码``) gives way to them."""
    width = max(len(upper), len(lower))
    upper = upper + [""] * (width - len(upper))
    lower = lower + [""] * (width - len(lower))
    filled = list(upper)
    for (_, c0), (_, c1) in spans:
        for c in range(c0 + 1, min(c1, width - 1) + 1):
            filled[c] = filled[c] or upper[c0]
    units = {header_key(u) for u in (*AREA_UNITS, *VOLUME_UNITS)}
    combined = []
    for u, low in zip(filled, lower, strict=False):
        if not low:
            combined.append(u)
        elif not u or canonical_of(low, lookup)[0]:
            combined.append(low)
        elif header_key(low) in units:
            combined.append(f"{u}({low})")
        elif canonical_of(u + low, lookup)[0]:
            combined.append(u + low)
        else:
            combined.append(f"{u}/{low}")
    return combined
