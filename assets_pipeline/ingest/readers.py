"""Reading county deliveries: CSV (any common encoding), XLSX and Parquet, in bounded batches.

A reader yields Arrow record batches with the file's own headers plus ``_source_row``: the row
number as the user sees it in the file (CSV line, Excel row, 1-based Parquet record), so a
rejected row can be found and fixed by the county that sent it.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import html
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from assets_pipeline.schema.categories import AREA_UNITS, VOLUME_UNITS, CategorySpec
from assets_pipeline.infra.errors import InputFileError

INPUT_EXTENSIONS = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq"}
BATCH_ROWS = 500_000
_SNIFF_BYTES = 1 << 20


@dataclass
class DeliveredFile:
    """One delivered file and what was learned reading it (shown to auditors in the UI)."""

    path: Path
    relative: str
    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_rows: str | None = None  # workbook rows holding the header, e.g. "4" or "1-2" (title lines above skipped)
    sha256: str = ""
    size_bytes: int = 0
    rows: int = 0
    header_map: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)


def discover_files(input_dir: Path, year: int, category: str) -> list[Path]:
    """``<input>/<year>/<category>.<ext>`` or every file of ``<input>/<year>/<category>/``, whatever its kind.

    Hidden files, Excel lock files (``~$…``), files starting with ``_`` and the operating system's own
    (``Thumbs.db``, ``desktop.ini``) are not deliveries. Every other file is one: a file no reader takes is
    not dropped here but named by ``not_readable`` (a county's survey sent as a GeoPackage must not vanish).
    """
    year_dir = Path(input_dir) / str(year)
    found: list[Path] = []
    for candidate in sorted(year_dir.glob(f"{category}.*")):
        if candidate.is_file():
            found.append(candidate)
    folder = year_dir / category
    if folder.is_dir():
        for candidate in sorted(folder.rglob("*")):
            if (
                candidate.is_file()
                and not candidate.name.startswith((".", "_", "~$"))
                and candidate.name.lower() not in SYSTEM_FILES
                and not any(part.startswith((".", "_")) for part in candidate.relative_to(folder).parts[:-1])
            ):
                found.append(candidate)
    return found


SYSTEM_FILES = {"thumbs.db", "desktop.ini"}

# What a file that no reader takes holds, by its first bytes, so the message says what it is.
_KNOWN_CONTENT = [
    (b"SQLite format 3\x00", "a SQLite database (GeoPackage .gpkg, .sqlite): export the layer's attribute table as CSV, XLSX or Parquet"),
    (b"PK\x03\x04", "a ZIP archive: unpack it and deliver the files it holds"),
    (b"Rar!", "a RAR archive: unpack it and deliver the files it holds"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it and deliver the files it holds"),
    (b"AC10", "an AutoCAD drawing (.dwg): export the attribute table as CSV, XLSX or Parquet"),
    (b"%PDF", "a PDF document: deliver the table itself as CSV, XLSX or Parquet"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls, .doc): save the table as .xlsx"),
    (b"\x00\x00\x27\x0a", "a shapefile geometry (.shp): export the attribute table as CSV, XLSX or Parquet"),
]


def not_readable(path: Path) -> str | None:
    """Why no reader takes a delivered file, or None when one does (CSV, XLSX, Parquet by extension).

    A file of another extension is never read by guesswork: the reason names what its first bytes show.
    """
    if path.suffix.lower() in INPUT_EXTENSIONS:
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b""
    what = next((text for magic, text in _KNOWN_CONTENT if head.startswith(magic)), None)
    kind = f"extension {path.suffix}" if path.suffix else "no extension"
    return f"{what} ({kind})" if what else f"{kind} is not a delivery format (CSV, XLSX or Parquet)"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """By content, not by name: an .xlsx renamed .csv is still a workbook."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except PermissionError:
        raise InputFileError(path, "cannot be read (permission denied) / 无读取权限") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror}) / 文件无法读取") from None
    if not head:
        raise InputFileError(path, "the file is empty (0 bytes) / 文件为空")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite f"):
        raise InputFileError(path, "is a SQLite database (GeoPackage), not a table: export it as CSV, XLSX or Parquet / 请导出为表格文件")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(path, "is an old Excel .xls workbook; save it as .xlsx / 请另存为 .xlsx 格式")
    return "csv"


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (a superset of GBK and GB2312)."""
    with open(path, "rb") as fh:
        sample = fh.read(_SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    final = len(sample) < _SNIFF_BYTES
    if sample.isascii() and not final:
        sample, final = _first_non_ascii_lines(path)
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=final)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(path, "unknown text encoding (not UTF-8, UTF-16 or GBK/GB18030) / 无法识别的文件编码")


def _first_non_ascii_lines(path: Path) -> tuple[bytes, bool]:
    """The lines from the first non-ASCII byte on (up to 1 MiB), and whether they end the file.

    A county file whose first megabyte is codes and numbers only may hold its first Chinese text
    (a 备注, a basin name) millions of lines later: the encoding is decided there, not guessed.
    """
    offset = 0
    with open(path, "rb") as fh:
        while block := fh.read(16 << 20):
            if not block.isascii():
                # the first 4 KiB slice holding a non-ASCII byte: everything before it is ASCII, so it
                # starts on a character boundary in UTF-8 and GB18030 alike
                first = next(i for i in range(0, len(block), 4096) if not block[i : i + 4096].isascii())
                fh.seek(offset + first)
                window = fh.read(_SNIFF_BYTES)
                return window, len(window) < _SNIFF_BYTES
            offset += len(block)
    return b"", True


def header_key(name: str) -> str:
    """Header as compared: NFKC-folded, lower case, without spaces, underscores, dashes or dots."""
    folded = unicodedata.normalize("NFKC", str(name)).lower()
    return re.sub(r"[\s_\-.·]+", "", folded)


_UNIT_IN_HEADER = re.compile(r"^(?P<base>.*?)[(\[](?P<unit>[^)\]]+)[)\]]$")


def split_unit(header: str) -> tuple[str, str | None]:
    """``图斑面积(亩)`` → (``图斑面积``, ``亩``); full-width brackets are folded first."""
    folded = unicodedata.normalize("NFKC", str(header)).strip()
    match = _UNIT_IN_HEADER.match(folded)
    if match:
        return match.group("base").strip(), match.group("unit").strip()
    return folded, None


def header_lookup(spec: CategorySpec) -> dict[str, str]:
    """Compared header (see ``header_key``) → canonical column, over every alias of the category."""
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for alias in (column.name, *column.aliases):
            lookup.setdefault(header_key(alias), column.name)
    return lookup


def canonical_of(header: str, lookup: dict[str, str]) -> tuple[str | None, str | None]:
    """(canonical column, unit named in the header) of one header, or (None, None)."""
    base, unit = split_unit(header)
    canonical = lookup.get(header_key(header)) or lookup.get(header_key(base))
    if canonical is None:
        return _canonical_with_unit_suffix(header, lookup)
    return canonical, unit


def map_headers(
    path: Path, headers: list[str], spec: CategorySpec
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Match a file's headers to the category's canonical columns.

    Returns (file header → canonical name, canonical name → unit named in the header, ignored headers).
    A missing required column or two headers claiming one column stop the file with a clear message,
    except one quantity given in two units (``面积(公顷)`` and ``面积(亩)`` under a merged ``面积``): the
    first is read, the others are listed as ignored.
    """
    lookup = header_lookup(spec)
    mapping: dict[str, str] = {}
    units: dict[str, str] = {}
    ignored: list[str] = []
    claimed: dict[str, str] = {}
    for header in headers:
        canonical, unit = canonical_of(header, lookup)
        if canonical is None:
            ignored.append(str(header))
            continue
        if canonical in claimed:
            if unit and canonical in units and unit != units[canonical]:
                ignored.append(str(header))  # the same quantity in another unit
                continue
            raise InputFileError(
                path,
                f"columns '{claimed[canonical]}' and '{header}' both map to '{canonical}' / 两列对应同一字段",
            )
        claimed[canonical] = str(header)
        mapping[str(header)] = canonical
        if unit:
            units[canonical] = unit
    missing = [c for c in spec.columns if c.required and c.name not in claimed]
    if missing:
        names = ", ".join(f"{c.name} ({' / '.join(c.aliases[:3])})" if c.aliases else c.name for c in missing)
        raise InputFileError(path, f"missing required column(s): {names} / 缺少必填字段")
    return mapping, units, ignored


def _canonical_with_unit_suffix(header: str, lookup: dict[str, str]) -> tuple[str | None, str | None]:
    """``area_ha``, ``TBMJ_MU``, ``volume_wan_m3``: a known column name followed by a unit."""
    key = header_key(header)
    for unit_name in sorted({*AREA_UNITS, *VOLUME_UNITS}, key=len, reverse=True):
        unit_key = header_key(unit_name)
        if key.endswith(unit_key) and len(key) > len(unit_key):
            stem = key[: -len(unit_key)]
            for candidate in (stem, stem + "m2", stem + "m3"):
                if candidate in lookup:
                    return lookup[candidate], unit_name
    return None, None


def read_batches(
    path: Path, delivered: DeliveredFile, sheet: str | None = None, spec: CategorySpec | None = None
) -> Iterator[pa.RecordBatch]:
    """Yield the file as record batches of its own columns plus ``_source_row``.

    ``spec`` lets a workbook's header row be found below title rows and across several sheets.
    Rows whose every cell is empty are not rows (trailing blank lines, separator-only lines).
    """
    fmt = detect_format(path)
    delivered.format = fmt
    if fmt == "parquet":
        yield from _parquet_batches(path)
    elif fmt == "xlsx":
        yield from _xlsx_batches(path, delivered, sheet, spec)
    else:
        yield from _csv_batches(path, delivered)


def _with_rows(batch: pa.RecordBatch, first_row: int) -> pa.RecordBatch:
    rows = pa.array(range(first_row, first_row + batch.num_rows), pa.int64())
    return batch.append_column("_source_row", rows)


def _without_empty_rows(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Drop rows whose every delivered cell is empty or blank (they carry nothing to account for)."""
    columns = [batch.column(i) for i, n in enumerate(batch.schema.names) if n != "_source_row"]
    if batch.num_rows == 0 or not columns:
        return batch
    empty = None
    for column in columns:  # the first column alone usually settles it: ids are never blank
        text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), True)
        empty = blank if empty is None else pc.and_(empty, blank)
        if not pc.any(empty).as_py():
            return batch
    return batch.filter(pc.invert(empty))


def _parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(path, f"not a readable Parquet file ({_short(exc)}) / Parquet 文件损坏") from None
    next_row = 1
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            yield _with_rows(batch, next_row)
            next_row += batch.num_rows
        if next_row == 1:  # no records: the columns are still checked
            yield _with_rows(pa.RecordBatch.from_pylist([], schema=parquet.schema_arrow), 1)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(
            path, f"Parquet file is damaged after record {next_row - 1} ({_short(exc)}) / Parquet 文件损坏"
        ) from None


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if max(counts.values()) > 0 else ","


def _csv_batches(path: Path, delivered: DeliveredFile) -> Iterator[pa.RecordBatch]:
    """A CSV file in batches; ``_source_row`` is the file line where the row starts.

    A quoted value may hold line breaks, so a row may span several lines: each row's line count is
    1 + the line breaks inside its values, and its first line is 2 + the running sum of the rows
    before it (Arrow compute, no loop over rows). Empty lines are read as empty rows, so they are
    counted, then dropped. A row with more or fewer fields than the header stops the file (a value
    shifted into the wrong column would be read as another field's value).
    """
    encoding = detect_encoding(path)
    delivered.encoding = encoding
    with open(path, encoding=encoding, newline="") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise InputFileError(path, "has no header row (the first line is empty) / 缺少表头")
    delimiter = _sniff_delimiter(header_line)
    delivered.delimiter = delimiter
    headers = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    if len(set(headers)) != len(headers):
        dupes = sorted({h for h in headers if headers.count(h) > 1})
        raise InputFileError(path, f"repeated column header(s): {', '.join(dupes)} / 表头重复")
    arrow_encoding = "utf8" if encoding == "utf-8" else encoding
    read_options = pacsv.ReadOptions(
        encoding=arrow_encoding, column_names=headers, skip_rows=1, block_size=16 << 20
    )
    ragged: list[tuple[int, int, str]] = []
    blank_lines = [0]

    def invalid_row(row) -> str:
        if not (row.text or "").strip():  # a line of spaces only: nothing on it
            blank_lines[0] += 1
            return "skip"
        ragged.append((row.expected_columns, row.actual_columns, row.text))
        return "error"

    parse_options = pacsv.ParseOptions(
        delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=invalid_row
    )
    convert_options = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in headers}, strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    try:
        reader = pacsv.open_csv(path, read_options=read_options, parse_options=parse_options, convert_options=convert_options)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        _raise_csv_error(path, encoding, ragged, exc, 2)
    next_line, yielded = 2, False
    try:
        for batch in reader:
            lines = pa.array(np.ones(batch.num_rows, dtype=np.int64))
            for column in batch.columns:
                if pc.any(pc.match_substring(column, "\n")).as_py():  # most columns hold no line break
                    lines = pc.add(lines, pc.count_substring(column, "\n").cast(pa.int64()))
            ends = pc.cumulative_sum(lines)  # line after each row, counted from the batch's first line
            first_lines = pc.add(pc.subtract(ends, lines), next_line)
            batch = batch.append_column("_source_row", first_lines)
            if batch.num_rows:
                next_line += ends[-1].as_py()
            yield _without_empty_rows(batch)
            yielded = True
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        _raise_csv_error(path, encoding, ragged, exc, next_line)
    if not yielded:  # a header and no rows: the columns are still checked
        empty = pa.RecordBatch.from_pylist([], schema=pa.schema([(h, pa.string()) for h in headers]))
        yield empty.append_column("_source_row", pa.array([], pa.int64()))
    if blank_lines[0] and blank_lines[0] > _trailing_blank_lines(path, encoding):
        line = _first_line_where(path, encoding, lambda text: text != "" and not text.strip())
        raise InputFileError(
            path,
            f"line {line} holds only spaces between data rows; delete it so rows keep their line numbers / 数据行之间有空白行",
        )


def _raise_csv_error(path: Path, encoding: str, ragged: list, exc: Exception, near_line: int):
    if ragged:
        expected, actual, text = ragged[0]
        line = _first_line_where(path, encoding, lambda t: t == text.rstrip("\r\n"))
        where = f"line {line}" if line else f"a line after line {near_line - 1}"
        raise InputFileError(
            path,
            f"{where} has {actual} fields where the header has {expected} ('{text[:80]}'); an unquoted "
            f"separator or a missing field shifts values into the wrong columns / 字段个数与表头不符",
        ) from None
    raise InputFileError(path, f"cannot be parsed as CSV near line {near_line} ({_short(exc)}) / CSV 格式错误") from None


def _first_line_where(path: Path, encoding: str, wanted) -> int | None:
    """Number of the first line after the header satisfying ``wanted`` (only to name it in a message)."""
    with open(path, encoding=encoding, newline="") as fh:
        for number, text in enumerate(fh, start=1):
            if number > 1 and wanted(text.rstrip("\r\n")):
                return number
    return None


def _trailing_blank_lines(path: Path, encoding: str) -> int:
    """How many lines of spaces end the file (skipping them moves no row's line number)."""
    size = path.stat().st_size
    start = max(0, size - (64 << 10))
    with open(path, "rb") as fh:
        bom = fh.read(2)
        if encoding == "utf-16":
            start -= start % 2
            encoding = "utf-16-be" if bom == codecs.BOM_UTF16_BE else "utf-16-le"
        fh.seek(start)
        tail = fh.read()
    count = 0
    for text in reversed(tail.decode(encoding, errors="ignore").split("\n")):
        text = text.rstrip("\r")
        if text.strip():
            break
        if text:
            count += 1
    return count


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]


# Workbook limits, checked from the zip's central directory and each sheet's declared dimension before
# the workbook is opened (a decompressed sheet is held in memory while it is read).
EXCEL_MAX_ROWS = 1_048_576  # Excel's own limit: no genuine sheet has more
XLSX_MAX_BYTES = 1 << 30  # 1 GiB on disk
XLSX_MAX_UNCOMPRESSED = 4 << 30  # 4 GiB of XML once unzipped, all parts together
XLSX_MAX_RATIO = 100  # uncompressed / compressed size of any part over 1 MiB (real sheets: 5–20)
HEADER_SEARCH_ROWS = 20


def inspect_workbook(path: Path) -> dict[str, str]:
    """Refuse a workbook too large, a zip bomb or a sheet declared beyond Excel's rows, without unzipping it.

    Returns sheet name → its XML part inside the zip.
    """
    size = path.stat().st_size
    if size > XLSX_MAX_BYTES:
        raise InputFileError(
            path, f"workbook is {_human(size)}, over the {_human(XLSX_MAX_BYTES)} limit; deliver it as CSV or Parquet / 文件过大"
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
            parts = _sheet_parts(zf)
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
        raise InputFileError(path, f"not a readable Excel workbook ({_short(exc)}) / Excel 文件损坏") from None


def _human(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):,.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
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


def _xlsx_batches(
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
        raise InputFileError(path, f"not a readable Excel workbook ({_short(exc)}) / Excel 文件损坏") from None
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
            raise InputFileError(path, f"sheet '{name}' cannot be read ({_short(exc)}) / 工作表无法读取") from None
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
        raise InputFileError(path, f"sheet '{chosen}' has {len(rows):,} rows, over Excel's {EXCEL_MAX_ROWS:,} / 工作表行数超过上限")
    header_row, header_rows, headers = found[:3] if found else (0, 1, [_cell_header(h) for h in rows[0]])
    headers = [h if h else f"column_{i + 1}" for i, h in enumerate(headers)]
    if len(set(headers)) != len(headers):
        dupes = sorted({h for h in headers if headers.count(h) > 1})
        raise InputFileError(path, f"sheet '{chosen}': repeated column header(s): {', '.join(dupes)} / 表头重复")
    if chosen in parts:
        for (r, c), text in _cells_without_value(path, parts[chosen]).items():
            if r < len(rows) and c < len(rows[r]):
                rows[r][c] = text
    delivered.header_rows = str(header_row + 1) if header_rows == 1 else f"{header_row + 1}-{header_row + header_rows}"
    width = len(headers)
    first = header_row + header_rows
    body = rows[first:]
    for start in range(0, max(len(body), 1), BATCH_ROWS):
        chunk = body[start : start + BATCH_ROWS]
        columns = [
            pa.array([_cell_text(r[i]) if i < len(r) else None for r in chunk], pa.string())
            for i in range(width)
        ]
        batch = pa.RecordBatch.from_arrays(columns, names=headers)
        yield _without_empty_rows(_with_rows(batch, first + start + 1))


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
    scored = [(_header_score(h, lookup), i, h) for i, h in
              enumerate([_cell_header(v) for v in row] for row in rows[:HEADER_SEARCH_ROWS])]
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
    return bool(cells) and all(
        c in under or header_key(v) in units or canonical_of(v, lookup)[0] for c, v in cells
    )


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
    for u, l in zip(filled, lower):
        if not l:
            combined.append(u)
        elif not u or canonical_of(l, lookup)[0]:
            combined.append(l)
        elif header_key(l) in units:
            combined.append(f"{u}({l})")
        elif canonical_of(u + l, lookup)[0]:
            combined.append(u + l)
        else:
            combined.append(f"{u}/{l}")
    return combined


# Cells calamine reads as empty though they hold something: Excel errors (t="e") and formulas saved
# without a value. Found in the sheet XML with two patterns; only chunks that hold a formula or an
# error are searched.
_ERROR_CELL = re.compile(
    rb'<c r="([A-Z]+)(\d+)"[^>]*?\st="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>([^<]*)</v>'
)
_FORMULA_NO_VALUE = re.compile(rb'<c r="([A-Z]+)(\d+)"(?:\s[^>]*)?>(<f[^>]*/>|<f[^>]*>([^<]*)</f>)(?:<v\s*/>|<v></v>)?</c>')


def _cells_without_value(path: Path, part: str) -> dict[tuple[int, int], str]:
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
