"""Ingest: a category's delivered files → Parquet parts with canonical columns (DOMAIN §3).

Headers are matched to canonical names, areas converted to m², volumes to m³, cells parsed to
their types. Nothing is judged here: a cell that cannot be parsed becomes null and its original
text goes to a side table (``unparsed-<file>.parquet``) that validation turns into rejects.
Files are read and written batch by batch, so memory stays bounded whatever the province's size, and
several files are read at once by worker processes when the delivery is large.
A layer (GeoPackage, Shapefile, FileGDB, GeoParquet; DOMAIN §6) is read like a table, one row per feature, and its
polygons go beside the rows (``layer_files``).

Two checks look at a whole file, or the whole category, and stop it with one message: a median parcel
area no survey would give (a wrong area unit, DOMAIN §3: areas arrive in m²), and one county delivered
in two files (it would be counted twice, DOMAIN §2).
"""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.infra.layout import part_files
from assets_pipeline.infra.parallel import run_tasks
from assets_pipeline.infra.storage import atomic_folder, atomic_parquet_writer, write_parquet
from assets_pipeline.ingest import cleaning
from assets_pipeline.ingest.delivered import (
    LAYER_FIELDS,
    LAYER_FORMATS,
    UNPARSED_SCHEMA,
    DeliveredFile,
    consecutive,
    delivery_size,
    detect_format,
    discover_files,
    refuse_files_no_reader_takes,
    sha256_of,
    worth_workers,
)
from assets_pipeline.ingest.headers import map_headers
from assets_pipeline.ingest.layer_files import LayerSource
from assets_pipeline.ingest.readers import read_batches
from assets_pipeline.schema.categories import (
    AREA_FACTORS,
    AREA_UNITS,
    SPECS,
    VOLUME_FACTORS,
    VOLUME_UNITS,
    CategorySpec,
)
from assets_pipeline.schema.columns import ARROW_TYPES
from assets_pipeline.spatial.layers import layer_format

__all__ = ["ARROW_TYPES", "IngestResult", "ingest_category", "ingest_file", "ingested_schema", "canonicalise"]

PROVENANCE = [("_row_id", pa.int64()), ("_source_file", pa.string()), ("_source_row", pa.int64())]


def ingested_schema(spec: CategorySpec) -> pa.Schema:
    """The ingested parts' columns: the category's columns, each of its kind's Arrow type, then where each row
    came from."""
    fields = [pa.field(c.name, c.arrow_type) for c in spec.columns]
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
        """Each file's record; a layer's own fields (layer, crs …) only for a layer, so a table's is as before."""
        return [
            {
                k: (str(v) if isinstance(v, Path) else v)
                for k, v in asdict(f).items()
                if k != "path" and not (k in LAYER_FIELDS and v is None)
            }
            for f in self.files
        ]


# Row ids are ``file index << 32 | record index``: unique, ordered by file then row, and the same
# whichever worker read the file.
FILE_SHIFT = 32


def ingest_category(
    category: str,
    input_dir: Path,
    year: int,
    out_dir: Path,
    declared_area_unit: str = "m2",
    xlsx_sheet: str | None = None,
    parallel: bool | None = None,
    layer: str | None = None,
    crs: str | None = None,
    geometry_dir: Path | None = None,
) -> IngestResult:
    """Read every delivered file of a category into ``out_dir`` (one part per file, swapped in whole).

    Layer deliveries (DOMAIN §6) also write their polygons to ``geometry_dir`` (by default the layout's
    ``_stages/geometry/<category>`` beside ``_stages/ingested/<category>``, else ``<out_dir>_geometry``), swapped
    in whole with the rows; a category delivered only as tables has no geometry folder. ``layer`` and ``crs`` are
    the run's ``--layer`` and ``--crs``."""
    paths = discover_files(input_dir, year, category)
    refuse_files_no_reader_takes(Path(input_dir) / str(year), paths)
    if not paths:
        raise InputFileError(
            Path(input_dir) / str(year),
            f"no {category} inventory delivered (expected {category}.csv/.xlsx/.parquet or a folder {category}/) / 未找到清查数据",
        )
    year_dir = Path(input_dir) / str(year)
    result = IngestResult(category=category, rows=0, area_m2=0.0)
    geometry_dir = Path(geometry_dir) if geometry_dir is not None else default_geometry_dir(Path(out_dir))
    layered = any(layer_format(p) is not None for p in paths)
    if parallel is None:
        parallel = worth_workers(paths)
    with atomic_folder(out_dir) as tmp, atomic_folder(geometry_dir) if layered else nullcontext() as geometry_tmp:
        tasks = [
            (category, index, path, year_dir, tmp, declared_area_unit, xlsx_sheet, geometry_tmp, layer, crs)
            for index, path in enumerate(paths)
        ]
        for delivered, area, unparsed in run_tasks(ingest_file, tasks, parallel):
            result.files.append(delivered)
            result.rows += delivered.rows
            result.area_m2 += area
            result.unparsed_cells += unparsed
        spec = SPECS[category]
        if spec.area_column and result.rows:
            refuse_implausible_areas(tmp, result.files, spec.area_column)
        if len(paths) > 1:
            refuse_county_delivered_twice(tmp, year_dir, paths)
    if not layered and geometry_dir.exists():  # an earlier run's layers, now delivered as tables
        shutil.rmtree(geometry_dir)
    return result


def default_geometry_dir(out_dir: Path) -> Path:
    """``_stages/geometry/<category>`` for ``_stages/ingested/<category>`` (``YearLayout``), else a sibling."""
    if out_dir.parent.name == "ingested":
        return out_dir.parent.parent / "geometry" / out_dir.name
    return out_dir.with_name(f"{out_dir.name}_geometry")


def refuse_county_delivered_twice(parts_dir: Path, year_dir: Path, paths: list[Path]) -> None:
    """Two files of one category that deliver the same county: which one is right is the province's
    call, so the category stops naming both files (nothing is added up twice).

    A file delivers the county its name starts with (``140105_小店区.csv``, the usual naming), else the
    county that more than half of its rows carry; rows of another code in a county's file (a neighbour's
    parcel, a mistyped code) are left to validation and the consistency checks, not taken for a second
    delivery.
    """
    with connect(memory_limit="400MB") as con:  # a small aggregate: no spill folder needed
        twice = con.execute(
            sql.load(__file__, "county_delivered_twice"), {"parts": str(parts_dir / "part-*.parquet")}
        ).fetchall()
    if twice:
        listed = "; ".join(f"county {code} in {' and '.join(files)}" for code, files in twice)
        raise InputFileError(
            year_dir / twice[0][1][0],
            f"the same county is delivered twice: {listed}; keep one file per county / 同一县级单位的数据重复提交",
        )


def ingest_file(
    category: str,
    index: int,
    path: Path,
    year_dir: Path,
    out_dir: Path,
    declared_area_unit: str,
    xlsx_sheet: str | None,
    geometry_dir: Path | None = None,
    layer: str | None = None,
    crs: str | None = None,
) -> tuple[DeliveredFile, float, int]:
    """One delivered file → ``part-<index>.parquet`` (+ ``unparsed-<index>.parquet`` when cells failed); a layer
    also → ``geometry_dir/part-<index>.parquet`` (+ ``repairs-<index>.parquet``), see ``layer_files``."""
    spec = SPECS[category]
    delivered = DeliveredFile(path=path, relative=path.relative_to(year_dir).as_posix())
    fmt = detect_format(path)  # an unreadable or empty file is refused here, before it is hashed
    delivered.size_bytes = delivery_size(path)
    delivered.sha256 = sha256_of(path)
    area, unparsed_cells = 0.0, 0
    unparsed_parts: list[pa.Table] = []
    mapping: dict[str, str] | None = None
    first_row_id = index << FILE_SHIFT
    if fmt in LAYER_FORMATS:
        delivered.format = fmt
        source = LayerSource(path, delivered, spec, layer, crs, Path(geometry_dir), index)
        context, batches = source, source.batches()
    else:
        source, context = None, nullcontext()
        batches = ((b, None) for b in read_batches(path, delivered, sheet=xlsx_sheet or None, spec=spec))
    with atomic_parquet_writer(out_dir / f"part-{index:05d}.parquet", ingested_schema(spec)) as writer, context:
        for batch, polygons in batches:
            if mapping is None:
                headers = [n for n in batch.schema.names if n != "_source_row"]
                mapping, units, ignored = map_headers(path, headers, spec)
                delivered.header_map, delivered.ignored_columns = mapping, ignored
                delivered.units = _resolve_units(path, spec, units, declared_area_unit)
            table, unparsed = canonicalise(
                batch,
                spec,
                mapping,
                delivered.units,
                first_row_id + delivered.rows,
                delivered.relative,
                workbook=delivered.format == "xlsx",
            )
            writer.write_table(table)
            if source is not None and (faults := source.write(table, polygons)) is not None:
                unparsed = faults if unparsed is None else pa.concat_tables([unparsed, faults])
            if unparsed is not None:
                unparsed_parts.append(unparsed)
                unparsed_cells += unparsed.num_rows
            delivered.rows += table.num_rows
            if spec.area_column:
                area += pc.sum(table[spec.area_column]).as_py() or 0.0
    if unparsed_parts:
        write_parquet(pa.concat_tables(unparsed_parts), out_dir / f"unparsed-{index:05d}.parquet")
    return delivered, area, unparsed_cells


# What a land-survey parcel can measure, in m²: a median outside this says the unit is wrong.
PLAUSIBLE_MEDIAN_M2 = (1.0, 1_000_000.0)
MEDIAN_SAMPLE_ROWS = 1_000_000
_UNIT_NAMES = {"m2": "m²", "mu": "亩", "ha": "公顷"}


def refuse_implausible_areas(parts_dir: Path, files: list[DeliveredFile], column: str) -> None:
    """Stop a file whose median parcel area, after conversion, no parcel survey would give.

    A wrong unit (hectares declared as m², m² headed 亩) changes every figure by 666 or 10,000 times
    (1 公顷 = 10,000 m² = 15 亩, DOMAIN §4); the median is robust to the file's few odd parcels, which
    validation rejects one by one.

    A median keeps every value in memory, so it is taken one part (one delivered file) at a time, and over at most
    about a million evenly spaced rows of it (every k-th row id): memory stays bounded however large the province
    or the file, and the result does not depend on threads. For a unit that is off by a factor of 15 or more, an
    estimate from a million parcels is as good as the exact median.
    """
    medians: dict[str, float] = {}
    name = sql.identifier(column)
    parts = part_files(parts_dir)
    steps = [max(1, pq.ParquetFile(part).metadata.num_rows // MEDIAN_SAMPLE_ROWS) for part in parts]
    query = f"SELECT _source_file, median({name}) FROM read_parquet($parts) WHERE {name} > 0 AND _row_id % $step = 0 GROUP BY ALL"
    with connect(memory_limit="400MB") as con:
        if (
            all(step == 1 for step in steps)
            and sum(pq.ParquetFile(p).metadata.num_rows for p in parts) <= MEDIAN_SAMPLE_ROWS
        ):
            # every row of every file fits in the bound at once: one query (a query per file costs more than the
            # median of a small county's file)
            medians.update(con.execute(query, {"parts": [str(p) for p in parts], "step": 1}).fetchall())
        else:
            for part, step in zip(parts, steps, strict=True):
                medians.update(con.execute(query, {"parts": [str(part)], "step": step}).fetchall())
    low, high = PLAUSIBLE_MEDIAN_M2
    for delivered in files:
        median = medians.get(delivered.relative)
        if median is None or low <= median <= high:
            continue
        unit = delivered.units[column]
        as_delivered = median / float(Decimal(AREA_FACTORS[unit]))
        likely = [
            f"{_UNIT_NAMES[u]} (median {as_delivered * float(Decimal(f)):,.2f} m²)"
            for u, f in AREA_FACTORS.items()
            if u != unit and low <= as_delivered * float(Decimal(f)) <= high
        ]
        suggestion = (
            f"; the values look like {' or '.join(likely)}: put the unit in the header (面积(亩)) or use --area-unit"
            if likely
            else ""
        )
        raise InputFileError(
            delivered.path,
            f"column {column}: median parcel area {median:,.4g} m² (read as {_UNIT_NAMES[unit]}) is outside the plausible "
            f"{low:,.0f}–{high:,.0f} m²{suggestion} / 面积单位可能有误",
        )


def _resolve_units(
    path: Path, spec: CategorySpec, header_units: dict[str, str], declared_area_unit: str
) -> dict[str, str]:
    """Canonical unit of each area/volume column: from its header, else the declared unit."""
    resolved: dict[str, str] = {}
    for column in spec.columns:
        named = header_units.get(column.name)
        if column.measure == "area":
            unit = AREA_UNITS.get(named.lower() if named else declared_area_unit.lower())
            if unit is None:
                raise InputFileError(
                    path,
                    f"column {column.name}: unknown area unit '{named or declared_area_unit}' (m2, 亩, 公顷) / 面积单位无法识别",
                )
            resolved[column.name] = unit
        elif column.measure == "volume":
            unit = VOLUME_UNITS.get(named.lower() if named else "m3")
            if unit is None:
                raise InputFileError(
                    path,
                    f"column {column.name}: unknown volume unit '{named}' (立方米, 万立方米, 亿立方米) / 水量单位无法识别",
                )
            resolved[column.name] = unit
    return resolved


def canonicalise(
    batch: pa.RecordBatch,
    spec: CategorySpec,
    mapping: dict[str, str],
    units: dict[str, str],
    first_row_id: int,
    source_file: str,
    workbook: bool = False,
) -> tuple[pa.Table, pa.Table | None]:
    """One batch in the file's own columns → canonical typed columns + the cells that did not parse.

    A cell holding an Excel error value (any file), or a formula without its saved value (workbooks),
    is not parsed: it becomes null and is listed with why, whatever its column's kind.
    """
    by_canonical = {canonical: header for header, canonical in mapping.items()}
    n = batch.num_rows
    row_ids = consecutive(first_row_id, n)
    arrays: list[pa.Array] = []
    unparsed_parts: list[pa.Table] = []
    for column in spec.columns:
        header = by_canonical.get(column.name)
        if header is None:
            arrays.append(pa.nulls(n, column.arrow_type))
            continue
        raw = batch.column(header)
        problems = cleaning.cell_problems(raw, formulas=workbook)
        if problems is not None:
            raw = pc.if_else(problems[0], pa.scalar(None, pa.string()), raw)
        values, bad = _parse(column.kind, column.name, raw)
        if column.measure == "area":
            values = cleaning.scale(values, AREA_FACTORS[units[column.name]])
        elif column.measure == "volume":
            values = cleaning.scale(values, VOLUME_FACTORS[units[column.name]])
        arrays.append(values)
        if bad is not None and pc.any(bad).as_py():
            unparsed_parts.append(_unparsed(row_ids, bad, column.name, cleaning.normalise_text(raw), "parse"))
        if problems is not None:
            mask, why = problems
            unparsed_parts.append(
                _unparsed(
                    row_ids, mask, column.name, pc.utf8_trim_whitespace(batch.column(header)), pc.filter(why, mask)
                )
            )
    arrays += [row_ids, pa.repeat(pa.scalar(source_file, pa.string()), n), batch.column("_source_row")]
    table = pa.Table.from_arrays(arrays, schema=ingested_schema(spec))
    unparsed = pa.concat_tables(unparsed_parts) if unparsed_parts else None
    return table, unparsed


def _unparsed(row_ids: pa.Array, mask: pa.Array, column: str, text: pa.Array, check) -> pa.Table:
    n = pc.sum(mask).as_py()
    checks = pa.repeat(pa.scalar(check, pa.string()), n) if isinstance(check, str) else check
    return pa.Table.from_arrays(
        [pc.filter(row_ids, mask), pa.repeat(pa.scalar(column, pa.string()), n), pc.filter(text, mask), checks],
        schema=UNPARSED_SCHEMA,
    )


def _parse(kind: str, name: str, raw: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    if kind in ("number", "area"):
        return cleaning.parse_number(raw)
    if kind == "integer":
        return cleaning.parse_integer(raw)
    if kind == "bool":
        return cleaning.parse_bool(raw)
    if kind == "region":
        return cleaning.parse_region(raw), None
    if kind == "id":
        return cleaning.parse_id(raw), None
    if kind == "code" and name == "land_class":
        return cleaning.parse_land_class(raw), None
    if kind == "code":
        return cleaning.parse_code(raw), None
    return cleaning.normalise_text(raw), None
