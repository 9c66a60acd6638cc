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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.infra.parallel import PARALLEL_BYTES, PARALLEL_LAYER_BYTES
from assets_pipeline.spatial.layers import (
    SHAPEFILE_SIBLINGS,
    SHP_MAGIC,
    delivery_members,
    layer_format,
    missing_shapefile_parts,
)

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
    # layer deliveries only (DOMAIN §6); absent from a table's record, which stays as it was
    layer: str | None = None  # the layer read
    crs: str | None = None  # its coordinate system as delivered (EPSG code or name), or the one declared (--crs)
    projected_epsg: int | None = None  # the Gauss-Krüger zone its areas were taken in
    area_source: str | None = None  # "geometry": no area field, area_m2 is the projected area to 0.01 m²
    geometry_faults: int | None = None  # features rejected for a missing, empty or non-polygonal geometry
    geometry_repaired: int | None = None  # invalid polygons repaired (listed in repairs-NNNNN.parquet)


# the cells a reader could not turn into values, kept beside the rows for validation to reject them
UNPARSED_SCHEMA = pa.schema(
    [("_row_id", pa.int64()), ("column", pa.string()), ("value", pa.string()), ("check", pa.string())]
)
LAYER_FIELDS = ("layer", "crs", "projected_epsg", "area_source", "geometry_faults", "geometry_repaired")
LAYER_FORMATS = ("gpkg", "shapefile", "filegdb", "geoparquet")


def discover_files(input_dir: Path, year: int, category: str) -> list[Path]:
    """``<input>/<year>/<category>.<ext>`` or every file of ``<input>/<year>/<category>/``, whatever its kind.

    Hidden files, Excel lock files (``~$…``), files starting with ``_`` and the operating system's own
    (``Thumbs.db``, ``desktop.ini``) are not deliveries. Every other file is one: a file no reader takes is
    not dropped here but named by ``not_readable`` (a zipped survey must not vanish). A layer made of several
    files is one delivery (DOMAIN §6): a FileGDB folder ``*.gdb`` stands for the files in it, and a ``.shp``
    for its ``.shx``, ``.dbf``, ``.prj``, ``.cpg`` and index files beside it.
    """
    year_dir = Path(input_dir) / str(year)
    found: list[Path] = []
    for candidate in sorted(year_dir.glob(f"{category}.*")):
        if candidate.is_file() or _is_gdb_folder(candidate):
            found.append(candidate)
    folder = year_dir / category
    if folder.is_dir():
        for candidate in sorted(folder.rglob("*")):
            inside = candidate.relative_to(folder).parts
            gdb = next((i for i, part in enumerate(inside[:-1]) if part.lower().endswith(".gdb")), None)
            if gdb is not None:  # a file of a FileGDB folder: the folder is the delivery
                candidate, inside = folder.joinpath(*inside[: gdb + 1]), inside[: gdb + 1]
                if candidate in found:
                    continue
            elif not (candidate.is_file() or _is_gdb_folder(candidate)):
                continue
            if (
                not candidate.name.startswith((".", "_", "~$"))
                and candidate.name.lower() not in SYSTEM_FILES
                and not any(part.startswith((".", "_")) for part in inside[:-1])
                and candidate not in found
            ):
                found.append(candidate)
    shapefiles = {(p.parent, p.stem.lower()) for p in found if p.suffix.lower() == ".shp"}
    return [path for path in found if not _shapefile_sibling(path, shapefiles)]


def _is_gdb_folder(path: Path) -> bool:
    return path.is_dir() and path.suffix.lower() == ".gdb"


def _shapefile_sibling(path: Path, shapefiles: set[tuple[Path, str]]) -> bool:
    """A ``.dbf``, ``.prj`` … beside a ``.shp`` of its stem: part of that Shapefile set, not a delivery."""
    name = path.name.lower()
    if name.endswith(".shp.xml"):
        return (path.parent, name.removesuffix(".shp.xml")) in shapefiles
    return path.suffix.lower() in SHAPEFILE_SIBLINGS and (path.parent, path.stem.lower()) in shapefiles


SYSTEM_FILES = {"thumbs.db", "desktop.ini"}

# What a file that no reader takes holds, by its first bytes, so the message says what it is.
KNOWN_CONTENT = [
    (
        b"SQLite format 3\x00",
        "a SQLite database that is not a GeoPackage (no gpkg_contents table): deliver the layer as a GeoPackage, "
        "or its table as CSV, XLSX or Parquet",
    ),
    (b"PK\x03\x04", "a ZIP archive: unpack it and deliver the files it holds"),
    (b"Rar!", "a RAR archive: unpack it and deliver the files it holds"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it and deliver the files it holds"),
    (b"AC10", "an AutoCAD drawing (.dwg): export the attribute table as CSV, XLSX or Parquet"),
    (b"%PDF", "a PDF document: deliver the table itself as CSV, XLSX or Parquet"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls, .doc): save the table as .xlsx"),
]


def not_readable(path: Path) -> str | None:
    """Why no reader takes a delivered file, or None when one does (CSV, XLSX, Parquet by extension; a layer
    by content: GeoPackage, Shapefile set, FileGDB folder, GeoParquet).

    A file of another extension is never read by guesswork: the reason names what its first bytes show. A
    Shapefile without its ``.shx`` or ``.dbf`` is named with the files it lacks.
    """
    fmt = layer_format(path)
    if fmt == "shapefile" and (missing := missing_shapefile_parts(path)):
        return f"a Shapefile without {' and '.join(missing)} beside it: deliver the whole set (.shp, .shx, .dbf, .prj)"
    if fmt is not None:
        return None
    if path.is_dir():
        return "a folder named .gdb without FileGDB tables (.gdbtable): deliver the whole FileGDB folder"
    if path.suffix.lower() in INPUT_EXTENSIONS:
        return None
    if path.suffix.lower() in SHAPEFILE_SIBLINGS:
        return f"a Shapefile's {path.suffix} without its .shp: deliver the whole set (.shp, .shx, .dbf, .prj)"
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b""
    what = next((text for magic, text in KNOWN_CONTENT if head.startswith(magic)), None)
    kind = f"extension {path.suffix}" if path.suffix else "no extension"
    return f"{what} ({kind})" if what else f"{kind} is not a delivery format (CSV, XLSX, Parquet or a layer)"


def refuse_files_no_reader_takes(year_dir: Path, paths: list[Path]) -> None:
    """A file in a category's delivery that no reader takes stops the category, naming every such file.

    Skipping it would drop what it holds without a word (a county whose land survey came zipped would vanish
    from the base map); the province converts it, or names it ``_…`` to leave it out knowingly.
    """
    unreadable = [(path, why) for path in paths if (why := not_readable(path))]
    if unreadable:
        listed = "; ".join(f"{path.relative_to(year_dir).as_posix()}: {why}" for path, why in unreadable)
        raise InputFileError(
            unreadable[0][0],
            f"{len(unreadable)} delivered file(s) no reader takes: {listed}; deliver CSV, XLSX, Parquet or a layer "
            f"(GeoPackage, Shapefile, FileGDB, GeoParquet), or start the name with _ to leave a file out / 文件格式无法读取",
        )


def sha256_of(path: Path) -> str:
    """The file's SHA-256. A delivery of several files (a Shapefile set, a FileGDB folder) is hashed as
    ``sha256sum`` lists its members in name order, and that listing hashed again: the SHA-256 of the lines
    ``<member sha256>  <name>\\n`` (name relative to the folder for a FileGDB, the file name for a Shapefile set),
    so an auditor reproduces it with ``LC_ALL=C sha256sum 140105_DLTB.* | sha256sum`` (the set's files only), or
    ``cd 140105.gdb && LC_ALL=C sha256sum * | sha256sum`` for a FileGDB folder. Any other file: its own hash."""
    path = Path(path)
    if not path.is_dir():
        with open(path, "rb") as fh:
            if fh.read(4) != SHP_MAGIC:
                return _sha256_file(path)
    members = delivery_members(path)
    base = path if path.is_dir() else path.parent
    listing = "".join(f"{_sha256_file(m)}  {m.relative_to(base).as_posix()}\n" for m in members)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def worth_workers(paths: list[Path]) -> bool:
    """Whether reading these deliveries in worker processes pays for starting them (``infra.parallel``)."""
    layered = any(layer_format(p) is not None for p in paths)
    return sum(delivery_size(p) for p in paths) > (PARALLEL_LAYER_BYTES if layered else PARALLEL_BYTES)


def delivery_size(path: Path) -> int:
    """Bytes of a delivery: the file's, or the sum of a Shapefile set's or FileGDB folder's files."""
    return sum(m.stat().st_size for m in delivery_members(path))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """By content, not by name: an .xlsx renamed .csv is still a workbook, a GeoPackage named .csv a layer.

    Layers come back as ``gpkg``, ``shapefile``, ``filegdb`` or ``geoparquet`` (DOMAIN §6)."""
    fmt = layer_format(path)
    if fmt is not None:
        if fmt == "shapefile" and (missing := missing_shapefile_parts(path)):
            raise InputFileError(
                path, f"the Shapefile has no {' and '.join(missing)} beside it: deliver the whole set / 缺少配套文件"
            )
        return fmt
    if path.is_dir():
        raise InputFileError(path, "is a folder without FileGDB tables (.gdbtable) / 不是有效的 FileGDB 文件夹")
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
            path,
            "is a SQLite database but not a GeoPackage (no gpkg_contents table): deliver a GeoPackage, or the table "
            "as CSV, XLSX or Parquet / 不是 GeoPackage 图层文件",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(path, "is an old Excel .xls workbook; save it as .xlsx / 请另存为 .xlsx 格式")
    return "csv"


def consecutive(first: int, n: int) -> pa.Array:
    """first, first + 1, … (n numbers) as int64: row numbers and row ids. From numpy, not a Python range, which
    costs about a second per 10 million rows."""
    return pa.array(np.arange(first, first + n, dtype=np.int64))


def with_source_rows(batch: pa.RecordBatch, first_row: int) -> pa.RecordBatch:
    return batch.append_column("_source_row", consecutive(first_row, batch.num_rows))


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
