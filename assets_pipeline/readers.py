"""Reading county deliveries: CSV (any common encoding), XLSX and Parquet, in bounded batches.

A reader yields Arrow record batches with the file's own headers plus ``_source_row``: the row
number as the user sees it in the file (CSV line, Excel row, 1-based Parquet record), so a
rejected row can be found and fixed by the county that sent it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .categories import AREA_UNITS, VOLUME_UNITS, CategorySpec
from .errors import InputFileError

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
    sha256: str = ""
    size_bytes: int = 0
    rows: int = 0
    header_map: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)


def discover_files(input_dir: Path, year: int, category: str) -> list[Path]:
    """``<input>/<year>/<category>.<ext>`` or every file of ``<input>/<year>/<category>/``.

    Hidden files, Excel lock files (``~$…``) and files starting with ``_`` are not deliveries.
    """
    year_dir = Path(input_dir) / str(year)
    found: list[Path] = []
    for candidate in sorted(year_dir.glob(f"{category}.*")):
        if candidate.is_file() and candidate.suffix.lower() in INPUT_EXTENSIONS:
            found.append(candidate)
    folder = year_dir / category
    if folder.is_dir():
        for candidate in sorted(folder.rglob("*")):
            if (
                candidate.is_file()
                and candidate.suffix.lower() in INPUT_EXTENSIONS
                and not candidate.name.startswith((".", "_", "~$"))
            ):
                found.append(candidate)
    return found


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
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=len(sample) < _SNIFF_BYTES)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(path, "unknown text encoding (not UTF-8, UTF-16 or GBK/GB18030) / 无法识别的文件编码")


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


def map_headers(
    path: Path, headers: list[str], spec: CategorySpec
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Match a file's headers to the category's canonical columns.

    Returns (file header → canonical name, canonical name → unit named in the header, ignored headers).
    A missing required column or two headers claiming one column stop the file with a clear message.
    """
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for alias in (column.name, *column.aliases):
            lookup.setdefault(header_key(alias), column.name)
    mapping: dict[str, str] = {}
    units: dict[str, str] = {}
    ignored: list[str] = []
    claimed: dict[str, str] = {}
    for header in headers:
        base, unit = split_unit(header)
        canonical = lookup.get(header_key(header)) or lookup.get(header_key(base))
        if canonical is None:
            canonical, unit = _canonical_with_unit_suffix(header, lookup)
        if canonical is None:
            ignored.append(str(header))
            continue
        if canonical in claimed:
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


def read_batches(path: Path, delivered: DeliveredFile, sheet: str | None = None) -> Iterator[pa.RecordBatch]:
    """Yield the file as record batches of its own columns plus ``_source_row``."""
    fmt = detect_format(path)
    delivered.format = fmt
    if fmt == "parquet":
        yield from _parquet_batches(path)
    elif fmt == "xlsx":
        yield from _xlsx_batches(path, delivered, sheet)
    else:
        yield from _csv_batches(path, delivered)


def _with_rows(batch: pa.RecordBatch, first_row: int) -> pa.RecordBatch:
    rows = pa.array(range(first_row, first_row + batch.num_rows), pa.int64())
    return batch.append_column("_source_row", rows)


def _parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(path, f"not a readable Parquet file ({exc}) / Parquet 文件损坏") from None
    next_row = 1
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            yield _with_rows(batch, next_row)
            next_row += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(path, f"Parquet file is damaged after record {next_row - 1} ({exc}) / Parquet 文件损坏") from None


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if max(counts.values()) > 0 else ","


def _csv_batches(path: Path, delivered: DeliveredFile) -> Iterator[pa.RecordBatch]:
    encoding = detect_encoding(path)
    delivered.encoding = encoding
    with open(path, encoding=encoding, newline="") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise InputFileError(path, "has no header row / 缺少表头")
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
    parse_options = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=None)
    convert_options = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in headers}, strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    try:
        reader = pacsv.open_csv(path, read_options=read_options, parse_options=parse_options, convert_options=convert_options)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be parsed as CSV ({_short(exc)}) / CSV 格式错误") from None
    next_row = 2
    try:
        for batch in reader:
            yield _with_rows(batch, next_row)
            next_row += batch.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be parsed as CSV near line {next_row} ({_short(exc)}) / CSV 格式错误") from None


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]


def _xlsx_batches(path: Path, delivered: DeliveredFile, sheet: str | None) -> Iterator[pa.RecordBatch]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged workbooks
        raise InputFileError(path, f"not a readable Excel workbook ({_short(exc)}) / Excel 文件损坏") from None
    names = workbook.sheet_names
    if sheet is not None and sheet not in names:
        raise InputFileError(path, f"has no sheet named '{sheet}' (sheets: {', '.join(names)}) / 找不到工作表")
    chosen = sheet or names[0]
    delivered.sheet = chosen
    rows = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    while rows and all(v in ("", None) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputFileError(path, f"sheet '{chosen}' is empty / 工作表为空")
    headers = [str(h).strip() if h not in (None, "") else f"column_{i + 1}" for i, h in enumerate(rows[0])]
    width = len(headers)
    body = rows[1:]
    for start in range(0, max(len(body), 1), BATCH_ROWS):
        chunk = body[start : start + BATCH_ROWS]
        columns = [
            pa.array([_cell_text(r[i]) if i < len(r) else None for r in chunk], pa.string())
            for i in range(width)
        ]
        batch = pa.RecordBatch.from_arrays(columns, names=headers)
        yield _with_rows(batch, start + 2)


def _cell_text(value: object) -> str | None:
    """An Excel cell as text: integral numbers without ``.0``, dates in ISO form, errors kept as text."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
