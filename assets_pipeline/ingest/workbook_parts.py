"""A workbook's zip parts, looked at before and beside the reader: limits that refuse a workbook without
unzipping it, its sheets' XML parts, and the cells the reader sees as empty though they hold an Excel error
or a formula without its saved value."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.ingest.delivered import short_message

# Workbook limits, checked from the zip's central directory and each sheet's declared dimension before
# the workbook is opened (a decompressed sheet is held in memory while it is read).
EXCEL_MAX_ROWS = 1_048_576  # Excel's own limit: no genuine sheet has more
XLSX_MAX_BYTES = 1 << 30  # 1 GiB on disk
XLSX_MAX_UNCOMPRESSED = 4 << 30  # 4 GiB of XML once unzipped, all parts together
XLSX_MAX_RATIO = 100  # uncompressed / compressed size of any part over 1 MiB (real sheets: 5–20)


def inspect_workbook(path: Path) -> dict[str, str]:
    """Refuse a workbook too large, a zip bomb or a sheet declared beyond Excel's rows, without unzipping it.

    Returns sheet name → its XML part inside the zip.
    """
    size = path.stat().st_size
    if size > XLSX_MAX_BYTES:
        raise InputFileError(
            path,
            f"workbook is {_human(size)}, over the {_human(XLSX_MAX_BYTES)} limit; deliver it as CSV or Parquet / 文件过大",
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > (1 << 20) and ratio > XLSX_MAX_RATIO:
                    raise InputFileError(
                        path,
                        f"part {info.filename} unzips to {info.file_size / 2**20:,.0f} MiB from "
                        f"{info.compress_size / 2**20:,.1f} MiB ({ratio:,.0f}:1, limit {XLSX_MAX_RATIO}:1): not a genuine "
                        f"workbook (zip bomb?); refused before reading / 压缩比异常，拒绝读取",
                    )
            if total > XLSX_MAX_UNCOMPRESSED:
                raise InputFileError(
                    path,
                    f"workbook unzips to {total / 2**30:,.1f} GiB, over the {XLSX_MAX_UNCOMPRESSED >> 30} GiB limit; "
                    f"deliver it as CSV or Parquet / 文件解压后过大",
                )
            parts = sheet_parts(zf)
            for name, part in parts.items():
                rows = _declared_rows(zf, part)
                if rows is not None and rows > EXCEL_MAX_ROWS:
                    raise InputFileError(
                        path,
                        f"sheet '{name}' declares {rows:,} rows, over Excel's {EXCEL_MAX_ROWS:,}; refused before "
                        f"reading / 工作表行数超过 Excel 上限",
                    )
            return parts
    except zipfile.BadZipFile as exc:
        raise InputFileError(path, f"not a readable Excel workbook ({short_message(exc)}) / Excel 文件损坏") from None


def _human(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):,.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part, from ``xl/workbook.xml`` and its relationships (small files)."""
    try:
        from lxml import etree

        workbook = etree.fromstring(zf.read("xl/workbook.xml"))
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ValueError, SyntaxError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_RELS_NS}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(_DOC_REL), "")
        if target:
            parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]*\$?(\d*)(?::\$?[A-Z]+\$?(\d+))?"')


def _declared_rows(zf: zipfile.ZipFile, part: str) -> int | None:
    """Last row of the sheet's ``<dimension>`` (it sits before the data, in the first few KB)."""
    try:
        with zf.open(part) as fh:
            head = fh.read(8192)
    except KeyError:
        return None
    match = _DIMENSION.search(head)
    if not match:
        return None
    last = match.group(2) or match.group(1)
    return int(last) if last else None


# Cells calamine reads as empty though they hold something: Excel errors (t="e") and formulas saved
# without a value. Found in the sheet XML with two patterns; only chunks that hold a formula or an
# error are searched.
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\st="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>([^<]*)</v>')
_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]+)(\d+)"(?:\s[^>]*)?>(<f[^>]*/>|<f[^>]*>([^<]*)</f>)(?:<v\s*/>|<v></v>)?</c>'
)


def cells_without_value(path: Path, part: str) -> dict[tuple[int, int], str]:
    """(0-based row, column) → text to read for error cells and formulas without a saved value."""
    found: dict[tuple[int, int], str] = {}
    with zipfile.ZipFile(path) as zf, zf.open(part) as fh:
        rest = b""
        while True:
            block = fh.read(16 << 20)
            data = rest + block
            if block:
                cut = data.rfind(b"</row>")
                if cut < 0:
                    rest = data
                    continue
                cut += len(b"</row>")
            else:
                cut = len(data)
            piece, rest = data[:cut], data[cut:]
            if b't="e"' in piece:
                for m in _ERROR_CELL.finditer(piece):
                    found[(int(m.group(2)) - 1, _column_index(m.group(1)))] = m.group(3).decode()
            if b"<f" in piece:
                for m in _FORMULA_NO_VALUE.finditer(piece):
                    key = (int(m.group(2)) - 1, _column_index(m.group(1)))
                    if key not in found:
                        formula = html.unescape(m.group(4).decode()) if m.group(4) else "(shared formula)"
                        found[key] = f"={formula}"
            if not block:
                return found


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ch - 64
    return index - 1
