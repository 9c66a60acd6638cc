"""A fast .xlsx writer for big plain tables (the county-fix rejects workbook).

openpyxl builds every cell as a Python object, about 8 µs a cell: a province's rejected rows
(hundreds of thousands of rows × 15 columns) would take most of a minute. Here each column is
rendered to SpreadsheetML with Arrow string kernels and the sheet is streamed into the zip, so the
cost is a few vectorised passes per column.

Every text cell is an inline string (``t="inlineStr"``): a value such as ``=1+1`` or ``@SUM(A1)`` is
shown as text and can never become a formula. What is written: one style for headers, one for
offending cells; frozen header; column widths; auto-filter; landscape A4 fitted to width.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from assets_pipeline.publish.excel import MAX_CELL_CHARS, MAX_ROWS, TRUNCATED_MARK, unique_titles

STYLE_PLAIN, STYLE_HEADER, STYLE_BAD = 0, 1, 2
# with number formats (Sheet.formats): 2 decimals, a count, and each of them and text in bold (total rows)
STYLE_DECIMAL, STYLE_COUNT, STYLE_BOLD_DECIMAL, STYLE_BOLD_COUNT, STYLE_BOLD = 3, 4, 5, 6, 7
FORMATS = {
    "decimal": (STYLE_DECIMAL, STYLE_BOLD_DECIMAL),
    "count": (STYLE_COUNT, STYLE_BOLD_COUNT),
    None: (STYLE_PLAIN, STYLE_BOLD),
}
_NUMBER = r"^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


@dataclass
class Sheet:
    """A sheet: header names, columns as Arrow arrays, and per column a mask of cells to highlight."""

    name: str
    header: list[str]
    columns: list[pa.Array]
    highlight: list[np.ndarray | None] = field(default_factory=list)
    numeric_text: list[bool] = field(default_factory=list)  # text columns whose numbers are written as numbers
    widths: list[float] = field(default_factory=list)
    freeze: str | None = "A2"
    autofilter: bool = True
    mark_blank: bool = False  # a highlighted cell with no value is written (empty, red) rather than left out
    formats: list[str | None] = field(default_factory=list)  # per column: "decimal" (#,##0.00), "count" (#,##0)
    bold_rows: np.ndarray | None = None  # rows printed in bold (subtotals and totals)


def _escape(text: pa.Array) -> pa.Array:
    long = pc.fill_null(pc.greater(pc.utf8_length(text), MAX_CELL_CHARS), False)
    cut = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, MAX_CELL_CHARS - len(TRUNCATED_MARK)), TRUNCATED_MARK, ""
    )
    text = pc.if_else(long, cut, text)  # beyond Excel's limit: cut, with a visible mark
    text = pc.replace_substring(text, "&", "&amp;")
    text = pc.replace_substring(text, "<", "&lt;")
    text = pc.replace_substring(text, ">", "&gt;")
    # characters XML 1.0 forbids (control characters other than tab, LF, CR)
    text = pc.replace_substring_regex(text, r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "")
    # a literal CR would read back as LF (XML normalises line ends); a character reference stays CR
    return pc.replace_substring(text, "\r", "&#13;")


def _column_xml(
    values: pa.Array,
    letter: str,
    rows: pa.Array,
    highlight: np.ndarray | None,
    numeric_text: bool,
    mark_blank: bool = False,
    fmt: str | None = None,
    bold: np.ndarray | None = None,
) -> pa.Array:
    """One column's cells as XML strings (empty where the value is null).

    Numeric columns are numbers; text columns are text (codes keep their leading zeros, long ids their
    digits), except where ``numeric_text`` says the text holds numbers (a parsed column whose
    unparseable cells show the original text).
    """
    text, numeric = _cell_text(values, numeric_text)
    return _cells_xml(text, numeric, letter, rows, highlight, mark_blank, fmt, bold)


def _cell_text(values: pa.Array, numeric_text: bool) -> tuple[pa.Array, pa.Array]:
    """A column's cells as text, and which of them are written as numbers."""
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_decimal(values.type):
        text = pc.cast(values, pa.string())
        return text, pc.is_valid(text)
    text = values.cast(pa.string()) if not pa.types.is_string(values.type) else values
    numeric = (
        pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
        if numeric_text
        else pa.repeat(pa.scalar(False), len(values))
    )
    return text, numeric


def _cells_xml(
    text: pa.Array,
    numeric: pa.Array,
    letter: str | pa.Array,
    rows: pa.Array,
    highlight: np.ndarray | None,
    mark_blank: bool = False,
    fmt: str | None = None,
    bold: np.ndarray | None = None,
) -> pa.Array:
    """Cells as XML strings from their text; ``letter`` is the column's letter, or each cell's."""
    n = len(text)
    style = (
        pa.array(np.where(highlight, f' s="{STYLE_BAD}"', ""), pa.string())
        if highlight is not None
        else pa.repeat(pa.scalar("", pa.string()), n)
    )
    if fmt is not None or bold is not None:
        plain, strong = FORMATS[fmt]
        base = np.full(n, f' s="{plain}"' if plain else "", dtype=object)
        if bold is not None:
            base[bold] = f' s="{strong}"'
        if highlight is not None:
            base[highlight] = f' s="{STYLE_BAD}"'
        style = pa.array(base, pa.string())
    ref = pc.binary_join_element_wise('<c r="', letter, rows, '"', style, "")
    escaped = _escape(text)
    as_number = pc.binary_join_element_wise(ref, "><v>", escaped, "</v></c>", "")
    as_text = pc.binary_join_element_wise(
        ref, ' t="inlineStr"><is><t xml:space="preserve">', escaped, "</t></is></c>", ""
    )
    cell = pc.if_else(numeric, as_number, as_text)
    if mark_blank and highlight is not None:  # a required value left blank: the empty cell itself is marked
        empty = pc.and_(pc.is_null(cell), pa.array(highlight, pa.bool_()))
        cell = pc.if_else(empty, pc.binary_join_element_wise(ref, "/>", ""), cell)
    return pc.fill_null(cell, "")


def _member(z: zipfile.ZipFile, name: str, force_zip64: bool = False):
    """A member opened for writing by name: the archive's compression (deflate, level 1) and ``ZipInfo``'s default
    date, 1980-01-01 (the zip epoch), so the file's bytes do not depend on when it was written."""
    return z.open(name, "w", force_zip64=force_zip64)


def _write_member(z: zipfile.ZipFile, name: str, text: str) -> None:
    with _member(z, name) as out:
        out.write(text.encode("utf-8"))


def _quoted_sheet(name: str) -> str:
    """A sheet name as a formula reference writes it: in quotes, its own quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


def _utf8_of(cells: pa.Array) -> pa.Buffer:
    """The UTF-8 bytes of a string array without nulls, end to end: its data buffer between the first and the
    last offset (no Python string per row)."""
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int32, count=len(cells) + 1, offset=cells.offset * 4)
    return cells.buffers()[2][int(offsets[0]) : int(offsets[-1])]


# Below this many cells a block's columns are rendered one after the other: starting threads would take longer
# than the rendering (a county's pack has a few dozen sheets of a few rows each).
THREADED_CELLS = 50_000


def _sheet_xml(sheet: Sheet) -> Iterator[str | pa.Buffer]:
    """The worksheet XML in pieces (text, and the row blocks' bytes), header in row 1; one block of rows is
    rendered at a time, as the zip takes the one before."""
    n = min(len(sheet.columns[0]) if sheet.columns else 0, MAX_ROWS - 1)
    last = get_column_letter(max(len(sheet.header), 1))
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
    )
    yield f'<dimension ref="A1:{last}{n + 1}"/>'
    if sheet.freeze:
        yield (
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>'
        )
    if sheet.widths:
        yield (
            "<cols>"
            + "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(sheet.widths, start=1)
            )
            + "</cols>"
        )
    yield "<sheetData>"
    header = "".join(
        f'<c r="{get_column_letter(i)}1" s="{STYLE_HEADER}" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(_escape(pa.array(sheet.header, pa.string())).to_pylist(), start=1)
    )
    yield f'<row r="1">{header}</row>'
    block = 100_000
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = pc.cast(pa.array(np.arange(start + 2, stop + 2)), pa.string())

        def column(j: int, start=start, stop=stop, rows=rows) -> pa.Array:
            return _column_xml(
                sheet.columns[j].slice(start, stop - start),
                get_column_letter(j + 1),
                rows,
                None if not sheet.highlight or sheet.highlight[j] is None else sheet.highlight[j][start:stop],
                bool(sheet.numeric_text and sheet.numeric_text[j]),
                sheet.mark_blank,
                sheet.formats[j] if sheet.formats else None,
                None if sheet.bold_rows is None else sheet.bold_rows[start:stop],
            )

        if (stop - start) * len(sheet.columns) < THREADED_CELLS:
            cells = (
                _small_block_xml(sheet, start, stop, rows)
                if not sheet.formats and sheet.bold_rows is None
                else [column(j) for j in range(len(sheet.columns))]
            )
        else:  # Arrow's kernels release the GIL: the columns are rendered on every core
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                cells = list(pool.map(column, range(len(sheet.columns))))
        row_open = pc.binary_join_element_wise(
            pa.repeat(pa.scalar('<row r="', pa.string()), stop - start), rows, '">', ""
        )
        joined = pc.binary_join_element_wise(
            row_open, *cells, pa.repeat(pa.scalar("</row>", pa.string()), stop - start), ""
        )
        yield _utf8_of(joined)
    yield "</sheetData>"
    if sheet.autofilter and sheet.header:
        yield f'<autoFilter ref="A1:{last}{n + 1}"/>'
    yield (
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "<headerFooter><oddFooter>&amp;C&amp;A &amp;P / &amp;N</oddFooter></headerFooter></worksheet>"
    )


def _small_block_xml(sheet: Sheet, start: int, stop: int, rows: pa.Array) -> list[pa.Array]:
    """A small block's cells as XML strings, column by column as ``_column_xml`` writes them, all columns rendered
    in one pass (a few rows per column: the Arrow calls, not the cells, would take the time)."""
    n, width = stop - start, len(sheet.columns)
    texts, numerics, marks = [], [], []
    for j, values in enumerate(sheet.columns):
        values = values.slice(start, n)
        text, numeric = _cell_text(
            values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values,
            bool(sheet.numeric_text and sheet.numeric_text[j]),
        )
        texts.append(text)
        numerics.append(numeric)
        highlight = sheet.highlight[j] if sheet.highlight else None
        marks.append(np.zeros(n, dtype=bool) if highlight is None else np.asarray(highlight[start:stop], dtype=bool))
    letters = pa.array(np.repeat([get_column_letter(j) for j in range(1, width + 1)], n), pa.string())
    cells = _cells_xml(
        pa.concat_arrays(texts),
        pa.concat_arrays(numerics),
        letters,
        pa.concat_arrays([rows] * width),
        np.concatenate(marks),
        sheet.mark_blank,
    )
    return [cells.slice(j * n, n) for j in range(width)]


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFC7CE"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
# The same with the number styles (built-in formats 4 = #,##0.00 and 3 = #,##0), written only by a workbook whose
# sheets use them, so a workbook without them keeps its bytes.
_STYLES_WITH_NUMBERS = _STYLES.replace('<cellXfs count="3">', '<cellXfs count="8">').replace(
    "</cellXfs>",
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    '<xf numFmtId="3" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>',
)


def write_workbook(path: Path, sheets: list[Sheet]) -> None:
    """Write the sheets as one .xlsx (the caller makes it atomic)."""
    names = unique_titles([sheet.name for sheet in sheets])
    content_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    workbook_sheets = "".join(
        f'<sheet name="{_escape(pa.array([n])).to_pylist()[0]}" sheetId="{i}" r:id="rId{i}"/>'
        for i, n in enumerate(names, start=1)
    )
    titles = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"{_escape(pa.array([_quoted_sheet(n)])).to_pylist()[0]}!$1:$1</definedName>"
        for i, n in enumerate(names)
        if sheets[i].freeze
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    n = len(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        _write_member(
            z,
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{content_types}</Types>",
        )
        _write_member(
            z,
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        _write_member(
            z,
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{workbook_sheets}</sheets>"
            + (f"<definedNames>{titles}</definedNames>" if titles else "")
            + "</workbook>",
        )
        _write_member(
            z,
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{n + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        numbers = any(sheet.formats or sheet.bold_rows is not None for sheet in sheets)
        _write_member(z, "xl/styles.xml", _STYLES_WITH_NUMBERS if numbers else _STYLES)
        for i, sheet in enumerate(sheets, start=1):
            with _member(z, f"xl/worksheets/sheet{i}.xml", force_zip64=True) as out:
                for piece in _sheet_xml(sheet):
                    out.write(piece.encode("utf-8") if isinstance(piece, str) else memoryview(piece))
