"""Validation: Pandera models per category; bad rows set aside with file, row and reason.

The models are built from the reference tables (code lists change with the province), then run
batch by batch over the ingested Parquet. Every ingested row ends in exactly one place:

- ``validated/<category>/``: rows that passed, with ``exclusion_reason`` null when in scope or set
  when excluded (collective land, DOMAIN §2) — excluded rows are counted, not lost;
- ``rejected/<category>/``: rows that failed, whole, so the county can fix them;
- ``rejects/<category>/``: one line per failed rule (category, source_file, source_row, column,
  value, rule, message), what the county-fix workbook shows.

Large categories are validated by worker processes, several row-group ranges at once.

Uniqueness of ids spans the whole category, so it is found first by one DuckDB query, which decides by
county which row of a repeated id is kept (``duplicates``), never by the order of the files. The model comes
from the category's description (``model``, with the year's ``codes``); a row's failures become reject lines
(``rejects``).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets_pipeline.infra.layout import YearLayout, part_files, parts
from assets_pipeline.infra.parallel import run_tasks, worker_count
from assets_pipeline.infra.storage import atomic_folder, atomic_parquet_writer
from assets_pipeline.ingest.canonical import FILE_SHIFT, ingested_schema
from assets_pipeline.schema.categories import SPECS, CategorySpec
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.duplicates import duplicate_rows
from assets_pipeline.validate.rejects import (
    REJECT_SCHEMA,
    add_duplicates,
    add_unparsed,
    failing_cells,
    failures,
    reject_table,
    rows_of,
)


@dataclass
class ValidationResult:
    category: str
    rows_read: int = 0
    rows_valid: int = 0
    rows_excluded: int = 0
    rows_rejected: int = 0
    area_read: float = 0.0
    area_valid: float = 0.0
    area_excluded: float = 0.0
    area_rejected: float = 0.0
    reject_lines: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    excluded_by_reason: dict[str, int] = field(default_factory=dict)

    def merge(self, other: "ValidationResult") -> None:
        for name in (
            "rows_read",
            "rows_valid",
            "rows_excluded",
            "rows_rejected",
            "area_read",
            "area_valid",
            "area_excluded",
            "area_rejected",
            "reject_lines",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("rejects_by_rule", "excluded_by_reason"):
            mine = getattr(self, name)
            for key, n in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + n


def validated_schema(spec: CategorySpec) -> pa_arrow.Schema:
    return ingested_schema(spec).append(pa_arrow.field("exclusion_reason", pa_arrow.string()))


EXCLUSION_REASONS = {
    "land": "collective land 集体所有土地",
    "grassland": "collective land 集体所有土地",
    "wetland": "collective land 集体所有土地",
    "forest": "collective land and trees 集体所有林地和林木",
}


def excluded_rows(category: str, table: pa_arrow.Table, codes: CodeLists) -> np.ndarray:
    """Rows out of the ledgers' scope (DOMAIN §2: only state-owned assets; state trees count on their own).

    A blank ownership is not state ownership: the row is out of scope (if nothing rejected it first)."""

    def state(column: str, values) -> np.ndarray:
        found = pc.is_in(table[column], value_set=pa_arrow.array(list(values), pa_arrow.string()))
        return found.to_numpy(zero_copy_only=False).astype(bool)

    if category in ("land", "grassland", "wetland"):
        return ~state("ownership", codes.state_ownership)
    if category == "forest":
        return ~state("land_ownership", codes.state_ownership) & ~state("tree_ownership", codes.state_trees)
    return np.zeros(table.num_rows, dtype=bool)


def layer_files(layout: YearLayout, category: str) -> frozenset[str]:
    """The category's files delivered as layers, from ingest's record of the files it read."""
    from assets_pipeline.infra.storage import read_json
    from assets_pipeline.ingest.delivered import LAYER_FORMATS

    record = layout.record("ingested", category)
    files = read_json(record).get("files", []) if record.exists() else []
    return frozenset(f["relative"] for f in files if f.get("format") in LAYER_FORMATS)


def linked_by_overlay(lines: pd.DataFrame, frame: pd.DataFrame, layers: frozenset[str]) -> pd.DataFrame:
    """An inventory polygon delivered as a layer may leave its base parcel blank: the overlay links it to the base
    parcel under it (DOMAIN §6). A table row still needs the id, since nothing else can place it."""
    if not layers or not len(lines) or "base_parcel_id" not in frame.columns:
        return lines
    blank_id = (lines["column"] == "base_parcel_id") & (lines["rule"] == "required")
    if not blank_id.any():
        return lines
    from_layer = frame.loc[lines.loc[blank_id, "_row_id"].to_numpy(), "_source_file"].isin(layers).to_numpy()
    drop = np.zeros(len(lines), dtype=bool)
    drop[np.flatnonzero(blank_id.to_numpy())[from_layer]] = True
    return lines[~drop]


def map_names_to_codes(table: pa_arrow.Table, codes: CodeLists) -> pa_arrow.Table:
    """Deliveries often write the name (地表水, 采矿权) where the code list has a code: accept it."""
    for column, mapping in codes.names_to_codes.items():
        if column not in table.column_names or not mapping:
            continue
        names = pa_arrow.array(list(mapping), pa_arrow.string())
        found = pc.index_in(table[column], value_set=names)
        if found.null_count == len(found):
            continue
        mapped = pc.take(pa_arrow.array(list(mapping.values()), pa_arrow.string()), found)
        table = table.set_column(
            table.column_names.index(column), column, pc.if_else(pc.is_valid(found), mapped, table[column])
        )
    return table


VALIDATION_BATCH_ROWS = 250_000
TASK_ROWS = 1_000_000
PARALLEL_ROWS = 1_000_000  # below this many rows, one process is faster than starting workers


def validate_category(
    category: str, layout: YearLayout, codes: CodeLists, parallel: bool | None = None
) -> ValidationResult:
    """Validate the category's ingested parts; valid, rejected rows and reject lines go to their folders."""
    spec = SPECS[category]
    ingested = layout.ingested(category)
    layers = layer_files(layout, category)
    duplicates = (
        duplicate_rows(parts(ingested), spec, layout.stages / "duckdb_tmp", codes.counties)
        if spec.id_columns
        else pd.DataFrame()
    )
    pieces = _pieces(ingested)
    total_rows = sum(rows for _, _, rows in pieces)
    if parallel is None:
        parallel = total_rows > PARALLEL_ROWS
    # one task in-process; else about four tasks per worker so the workers finish together, each of at
    # most TASK_ROWS so that a worker's memory does not grow with the province
    if parallel:
        target = min(max(VALIDATION_BATCH_ROWS, total_rows // (worker_count() * 4)), TASK_ROWS)
    else:
        target = max(total_rows, 1)
    tasks_pieces = _group_pieces(pieces, target)
    result = ValidationResult(category=category)
    with (
        atomic_folder(layout.validated(category)) as valid_dir,
        atomic_folder(layout.rejected_rows(category)) as rejected_dir,
        atomic_folder(layout.reject_lines(category)) as lines_dir,
    ):
        tasks = []
        for index, task_pieces in enumerate(tasks_pieces):
            files = {path for path, _, _ in task_pieces}
            file_ids = [int(Path(f).stem.split("-")[1]) for f in files]
            in_files = np.isin(duplicates["_row_id"].to_numpy(dtype=np.int64) >> FILE_SHIFT, file_ids)
            dups = duplicates[in_files] if len(duplicates) else duplicates
            tasks.append((category, index, task_pieces, codes, dups, valid_dir, rejected_dir, lines_dir, layers))
        for partial in run_tasks(validate_task, tasks, parallel):
            result.merge(partial)
    return result


def _pieces(ingested: Path) -> list[tuple[str, int, int]]:
    """(part file, row group, rows) of every ingested part, in row-id order."""
    pieces = []
    for path in part_files(ingested):
        metadata = pq.ParquetFile(path).metadata
        pieces += [(str(path), g, metadata.row_group(g).num_rows) for g in range(metadata.num_row_groups)]
        if metadata.num_row_groups == 0:
            pieces.append((str(path), -1, 0))
    return pieces


def _group_pieces(pieces, target_rows: int) -> list[list[tuple[str, int, int]]]:
    """Consecutive pieces grouped into tasks of about ``target_rows`` rows."""
    groups, current, rows = [], [], 0
    for piece in pieces:
        current.append(piece)
        rows += piece[2]
        if rows >= target_rows:
            groups.append(current)
            current, rows = [], 0
    if current or not groups:
        groups.append(current)
    return groups


def validate_task(
    category: str,
    index: int,
    pieces,
    codes: CodeLists,
    duplicates: pd.DataFrame,
    valid_dir: Path,
    rejected_dir: Path,
    lines_dir: Path,
    layers: frozenset[str] = frozenset(),
) -> ValidationResult:
    """Validate some row groups of the ingested parts in batches; write one part to each output folder."""
    from assets_pipeline.validate.model import build_model  # polars only where rows are validated

    spec = SPECS[category]
    model = build_model(category, codes)
    result = ValidationResult(category=category)
    files = sorted({path for path, _, _ in pieces})
    unparsed_parts = [Path(f).with_name(Path(f).name.replace("part-", "unparsed-")) for f in files]
    unparsed_cells = (
        pa_arrow.concat_tables([pq.read_table(p) for p in unparsed_parts if p.exists()]).to_pandas()
        if any(p.exists() for p in unparsed_parts)
        else pd.DataFrame(columns=["_row_id", "column", "value"])
    )
    name = f"part-{index:05d}.parquet"
    with (
        atomic_parquet_writer(valid_dir / name, validated_schema(spec)) as valid_out,
        atomic_parquet_writer(rejected_dir / name, ingested_schema(spec)) as rejected_out,
        atomic_parquet_writer(lines_dir / name, REJECT_SCHEMA) as rejects_out,
    ):
        rules = _BatchRules(category, spec, model, codes, unparsed_cells, duplicates, layers)
        for table in _batches(pieces):
            _validate_batch(rules, table, (valid_out, rejected_out, rejects_out), result)
    return result


@dataclass(frozen=True)
class _BatchRules:
    """What every batch of a task is checked against: the category's model and code lists, the cells ingest could
    not read, and the ids delivered more than once."""

    category: str
    spec: CategorySpec
    model: object
    codes: CodeLists
    unparsed_cells: pd.DataFrame
    duplicates: pd.DataFrame
    layers: frozenset[str] = frozenset()  # the category's files delivered as layers (DOMAIN §6)


def _batches(pieces) -> Iterator[pa_arrow.Table]:
    """The pieces' rows in batches of VALIDATION_BATCH_ROWS (small county parts are joined, large row groups cut):
    a batch's size, and so a worker's memory, does not grow with the size of the delivered files."""
    pending, rows = [], 0
    handles: dict[str, pq.ParquetFile] = {}
    for path, group, n in pieces:
        if group < 0:
            continue
        handle = handles.setdefault(path, pq.ParquetFile(path))
        pending.append(handle.read_row_group(group))
        rows += n
        while rows >= VALIDATION_BATCH_ROWS:
            table = pa_arrow.concat_tables(pending)
            yield table.slice(0, VALIDATION_BATCH_ROWS)
            rest = table.slice(VALIDATION_BATCH_ROWS)
            pending, rows = ([rest] if rest.num_rows else []), rest.num_rows
    if pending:
        yield pa_arrow.concat_tables(pending)


def _validate_batch(rules: _BatchRules, table: pa_arrow.Table, writers: tuple, result: ValidationResult) -> None:
    """One batch: its valid rows, its rejected rows and their reject lines written, its counts added to ``result``.

    The batch stays in Arrow (Pandera checks it through polars); only the rows a reject line quotes are turned
    into pandas, so the cost of a batch does not depend on how wide its rows are.
    """
    category, spec, model, codes = rules.category, rules.spec, rules.model, rules.codes
    valid_out, rejected_out, rejects_out = writers
    table = map_names_to_codes(table, codes)
    row_ids = table["_row_id"].to_numpy()
    cells = failing_cells(model, table)
    unparsed = rules.unparsed_cells[np.isin(rules.unparsed_cells["_row_id"].to_numpy(dtype=np.int64), row_ids)]
    duplicates = (
        rules.duplicates[np.isin(rules.duplicates["_row_id"].to_numpy(dtype=np.int64), row_ids)]
        if len(rules.duplicates)
        else None
    )
    quoted = [cells["_row_id"], unparsed["_row_id"]] + ([duplicates["_row_id"]] if duplicates is not None else [])
    frame = rows_of(table, np.concatenate([np.asarray(ids, dtype=np.int64) for ids in quoted]))
    lines = failures(cells, frame, codes)
    lines = linked_by_overlay(lines, frame, rules.layers)
    lines = add_unparsed(lines, unparsed, frame)
    if duplicates is not None:
        lines = add_duplicates(lines, duplicates, frame, spec)
    is_bad = np.isin(row_ids, lines["_row_id"].unique()) if len(lines) else np.zeros(len(row_ids), bool)

    out_of_scope = excluded_rows(category, table, codes)
    reason = pa_arrow.scalar(EXCLUSION_REASONS.get(category), pa_arrow.string())
    good = table.filter(pa_arrow.array(~is_bad)).append_column(
        "exclusion_reason",
        pc.if_else(pa_arrow.array(out_of_scope[~is_bad]), reason, pa_arrow.scalar(None, pa_arrow.string())),
    )
    rejected = table.filter(pa_arrow.array(is_bad))
    valid_out.write_table(good.cast(valid_out.schema))
    rejected_out.write_table(rejected)
    if len(lines):
        rejects_out.write_table(reject_table(lines, frame, category))

    excluded = out_of_scope & ~is_bad
    result.rows_read += len(row_ids)
    result.rows_rejected += int(is_bad.sum())
    result.rows_excluded += int(excluded.sum())
    result.rows_valid += int((~is_bad & ~excluded).sum())
    result.reject_lines += len(lines)
    for rule, n in lines.groupby("rule").size().items() if len(lines) else ():
        result.rejects_by_rule[rule] = result.rejects_by_rule.get(rule, 0) + int(n)
    if excluded.any():
        key = EXCLUSION_REASONS[category]
        result.excluded_by_reason[key] = result.excluded_by_reason.get(key, 0) + int(excluded.sum())
    if spec.area_column:
        area = table[spec.area_column].to_numpy().astype(float)  # a blank area is NaN, left out of the sums
        result.area_read += float(np.nansum(area))
        result.area_rejected += float(np.nansum(area[is_bad]))
        result.area_excluded += float(np.nansum(area[excluded]))
        result.area_valid += float(np.nansum(area[~is_bad & ~excluded]))
