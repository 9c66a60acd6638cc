"""Ingest: a category's delivered files → Parquet parts with canonical columns (DOMAIN §3).

Headers are matched to canonical names, areas converted to m², volumes to m³, cells parsed to
their types. Nothing is judged here: a cell that cannot be parsed becomes null and its original
text goes to a side table (``unparsed-<file>.parquet``) that validation turns into rejects.
Files are read and written batch by batch, so memory stays bounded whatever the province's size, and
several files are read at once by worker processes when the delivery is large.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import cleaning
from .categories import AREA_FACTORS, AREA_UNITS, SPECS, VOLUME_FACTORS, VOLUME_UNITS, CategorySpec
from .errors import InputFileError
from .readers import DeliveredFile, discover_files, map_headers, read_batches, sha256_of
from .parallel import run_tasks
from .storage import atomic_folder, atomic_parquet_writer, write_parquet

ARROW_TYPES = {
    "id": pa.string(),
    "code": pa.string(),
    "region": pa.string(),
    "text": pa.string(),
    "number": pa.float64(),
    "area": pa.float64(),
    "integer": pa.int64(),
    "bool": pa.bool_(),
}

PROVENANCE = [("_row_id", pa.int64()), ("_source_file", pa.string()), ("_source_row", pa.int64())]

def ingested_schema(spec: CategorySpec) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.kind]) for c in spec.columns]
    fields += [pa.field(n, t) for n, t in PROVENANCE]
    return pa.schema(fields)


@dataclass
class IngestResult:
    category: str
    rows: int
    area_m2: float
    files: list[DeliveredFile] = field(default_factory=list)
    unparsed_cells: int = 0

    def files_metadata(self) -> list[dict]:
        return [
            {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(f).items() if k != "path"}
            for f in self.files
        ]


# Row ids are ``file index << 32 | record index``: unique, ordered by file then row, and the same
# whichever worker read the file.
FILE_SHIFT = 32
PARALLEL_BYTES = 64 << 20  # below this much input, one process is faster than starting workers


def ingest_category(
    category: str,
    input_dir: Path,
    year: int,
    out_dir: Path,
    declared_area_unit: str = "m2",
    xlsx_sheet: str | None = None,
    parallel: bool | None = None,
) -> IngestResult:
    """Read every delivered file of a category into ``out_dir`` (one part per file, swapped in whole)."""
    paths = discover_files(input_dir, year, category)
    if not paths:
        raise InputFileError(
            Path(input_dir) / str(year),
            f"no {category} inventory delivered (expected {category}.csv/.xlsx/.parquet or a folder {category}/) / 未找到清查数据",
        )
    year_dir = Path(input_dir) / str(year)
    if parallel is None:
        parallel = sum(p.stat().st_size for p in paths) > PARALLEL_BYTES
    result = IngestResult(category=category, rows=0, area_m2=0.0)
    with atomic_folder(out_dir) as tmp:
        tasks = [(category, index, path, year_dir, tmp, declared_area_unit, xlsx_sheet) for index, path in enumerate(paths)]
        for delivered, area, unparsed in run_tasks(ingest_file, tasks, parallel):
            result.files.append(delivered)
            result.rows += delivered.rows
            result.area_m2 += area
            result.unparsed_cells += unparsed
    return result


def ingest_file(
    category: str, index: int, path: Path, year_dir: Path, out_dir: Path, declared_area_unit: str, xlsx_sheet: str | None
) -> tuple[DeliveredFile, float, int]:
    """One delivered file → ``part-<index>.parquet`` (+ ``unparsed-<index>.parquet`` when cells failed)."""
    spec = SPECS[category]
    delivered = DeliveredFile(path=path, relative=path.relative_to(year_dir).as_posix())
    delivered.size_bytes = path.stat().st_size
    delivered.sha256 = sha256_of(path)
    area, unparsed_cells = 0.0, 0
    unparsed_parts: list[pa.Table] = []
    mapping: dict[str, str] | None = None
    first_row_id = index << FILE_SHIFT
    with atomic_parquet_writer(out_dir / f"part-{index:05d}.parquet", ingested_schema(spec)) as writer:
        for batch in read_batches(path, delivered, sheet=xlsx_sheet or None):
            if mapping is None:
                headers = [n for n in batch.schema.names if n != "_source_row"]
                mapping, units, ignored = map_headers(path, headers, spec)
                delivered.header_map, delivered.ignored_columns = mapping, ignored
                delivered.units = _resolve_units(path, spec, units, declared_area_unit)
            table, unparsed = canonicalise(
                batch, spec, mapping, delivered.units, first_row_id + delivered.rows, delivered.relative
            )
            writer.write_table(table)
            if unparsed is not None:
                unparsed_parts.append(unparsed)
                unparsed_cells += unparsed.num_rows
            delivered.rows += table.num_rows
            if spec.area_column:
                area += pc.sum(table[spec.area_column]).as_py() or 0.0
    if unparsed_parts:
        write_parquet(pa.concat_tables(unparsed_parts), out_dir / f"unparsed-{index:05d}.parquet")
    return delivered, area, unparsed_cells


def _resolve_units(path: Path, spec: CategorySpec, header_units: dict[str, str], declared_area_unit: str) -> dict[str, str]:
    """Canonical unit of each area/volume column: from its header, else the declared unit."""
    resolved: dict[str, str] = {}
    for column in spec.columns:
        named = header_units.get(column.name)
        if column.kind == "area":
            unit = AREA_UNITS.get(named.lower() if named else declared_area_unit.lower())
            if unit is None:
                raise InputFileError(path, f"column {column.name}: unknown area unit '{named or declared_area_unit}' (m2, 亩, 公顷) / 面积单位无法识别")
            resolved[column.name] = unit
        elif column.name == "volume_m3":
            unit = VOLUME_UNITS.get(named.lower() if named else "m3")
            if unit is None:
                raise InputFileError(path, f"column {column.name}: unknown volume unit '{named}' (立方米, 万立方米, 亿立方米) / 水量单位无法识别")
            resolved[column.name] = unit
    return resolved


def canonicalise(
    batch: pa.RecordBatch,
    spec: CategorySpec,
    mapping: dict[str, str],
    units: dict[str, str],
    first_row_id: int,
    source_file: str,
) -> tuple[pa.Table, pa.Table | None]:
    """One batch in the file's own columns → canonical typed columns + the cells that did not parse."""
    by_canonical = {canonical: header for header, canonical in mapping.items()}
    n = batch.num_rows
    row_ids = pa.array(range(first_row_id, first_row_id + n), pa.int64())
    arrays: list[pa.Array] = []
    unparsed_parts: list[pa.Table] = []
    for column in spec.columns:
        header = by_canonical.get(column.name)
        if header is None:
            arrays.append(pa.nulls(n, ARROW_TYPES[column.kind]))
            continue
        raw = batch.column(header)
        values, bad = _parse(column.kind, column.name, raw)
        if column.kind == "area":
            values = cleaning.scale(values, AREA_FACTORS[units[column.name]])
        elif column.name == "volume_m3":
            values = cleaning.scale(values, VOLUME_FACTORS[units[column.name]])
        arrays.append(values)
        if bad is not None and pc.any(bad).as_py():
            unparsed_parts.append(
                pa.table(
                    {
                        "_row_id": pc.filter(row_ids, bad),
                        "column": pa.repeat(pa.scalar(column.name, pa.string()), pc.sum(bad).as_py()),
                        "value": pc.filter(cleaning.normalise_text(raw), bad),
                    }
                )
            )
    arrays += [row_ids, pa.repeat(pa.scalar(source_file, pa.string()), n), batch.column("_source_row")]
    table = pa.Table.from_arrays(arrays, schema=ingested_schema(spec))
    unparsed = pa.concat_tables(unparsed_parts) if unparsed_parts else None
    return table, unparsed


def _parse(kind: str, name: str, raw: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    if kind in ("number", "area"):
        return cleaning.parse_number(raw)
    if kind == "integer":
        return cleaning.parse_integer(raw)
    if kind == "bool":
        return cleaning.parse_bool(raw)
    if kind == "region":
        return cleaning.parse_region(raw), None
    if kind == "code" and name == "land_class":
        return cleaning.parse_land_class(raw), None
    if kind == "code":
        return cleaning.parse_code(raw), None
    return cleaning.normalise_text(raw), None
