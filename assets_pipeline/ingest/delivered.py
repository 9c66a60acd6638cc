"""A county's delivery as files: which files deliver a category, which no reader takes, what each file is.

A reader yields Arrow record batches with the file's own headers plus ``_source_row``: the row number as the
user sees it in the file (CSV line, Excel row, 1-based Parquet record), so a rejected row can be found and
fixed by the county that sent it. What every reader shares is here: the record of a delivered file, the row
numbers, and the rows that are not rows (every cell blank).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from assets_pipeline.infra.errors import InputFileError

INPUT_EXTENSIONS = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq"}
BATCH_ROWS = 500_000


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
KNOWN_CONTENT = [
    (
        b"SQLite format 3\x00",
        "a SQLite database (GeoPackage .gpkg, .sqlite): export the layer's attribute table as CSV, XLSX or Parquet",
    ),
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
    what = next((text for magic, text in KNOWN_CONTENT if head.startswith(magic)), None)
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
        raise InputFileError(
            path, "is a SQLite database (GeoPackage), not a table: export it as CSV, XLSX or Parquet / 请导出为表格文件"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(path, "is an old Excel .xls workbook; save it as .xlsx / 请另存为 .xlsx 格式")
    return "csv"


def with_source_rows(batch: pa.RecordBatch, first_row: int) -> pa.RecordBatch:
    rows = pa.array(range(first_row, first_row + batch.num_rows), pa.int64())
    return batch.append_column("_source_row", rows)


def without_empty_rows(batch: pa.RecordBatch) -> pa.RecordBatch:
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


def short_message(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
