"""Dirty rows, planted on purpose and recorded (DOMAIN §5 "nothing lost": every rejected row is listed with its
file, row number and reason), so a run's rejections can be checked against exactly what was put in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assets_pipeline.sample.counties import Delivery
from assets_pipeline.sample.number_text import DECIMALS, decimal_text
from assets_pipeline.sample.streams import stochastic_round

DEFECT_KINDS = (
    "unknown_land_class",
    "negative_area",
    "duplicate_id",
    "blank_required",
    "unknown_county",
    "unparseable_number",
    "unknown_ownership",
)
DEFECT_RULES = {
    "unknown_land_class": "code_list",
    "negative_area": "range",
    "duplicate_id": "unique",
    "blank_required": "required",
    "unknown_county": "region",
    "unparseable_number": "type",
    "unknown_ownership": "code_list",
    "unknown_code": "code_list",
    "negative_quantity": "range",
}
UNKNOWN_LAND_CLASSES = ("0199", "9999", "1299")
UNKNOWN_OWNERSHIPS = ("50", "99", "25")
UNKNOWN_COUNTY = "149999"
OWNERSHIP_COLUMN = {"land": "ownership", "forest": "land_ownership", "grassland": "ownership", "wetland": "ownership"}
NUMBER_DEFECT_COLUMN = {
    "land": "area_m2",
    "forest": "stock_m3",
    "grassland": "hay_yield_kg_per_ha",
    "wetland": "area_m2",
}
# Required columns that may be left blank; base_parcel_id is never blanked, so every inventory row keeps its link.
BLANKABLE = {
    "land": ("parcel_id", "region_code", "land_class", "area_m2", "ownership"),
    "forest": (
        "parcel_id",
        "region_code",
        "land_class",
        "area_m2",
        "land_ownership",
        "tree_ownership",
        "forest_type",
        "origin",
        "species_code",
        "age_group",
        "stock_m3",
    ),
    "grassland": (
        "parcel_id",
        "region_code",
        "land_class",
        "area_m2",
        "ownership",
        "grassland_type",
        "grade",
        "hay_yield_kg_per_ha",
        "vegetation_cover_pct",
    ),
    "wetland": ("parcel_id", "region_code", "land_class", "area_m2", "ownership", "wetland_type"),
}
WATER_DEFECTS = {  # kind -> column
    "blank_required": "volume_m3",
    "unparseable_number": "volume_m3",
    "unknown_code": "source_type",
    "negative_quantity": "volume_m3",
    "unknown_county": "region_code",
}
MINERAL_DEFECTS = {
    "blank_required": "quantity",
    "unparseable_number": "quantity",
    "unknown_code": "mineral_code",
    "negative_quantity": "quantity",
    "unknown_county": "region_code",
    "duplicate_id": "deposit_id",
}
UNKNOWN_CODES = {"source_type": "spring", "mineral_code": "uranium"}


@dataclass
class Planted:
    """Dirty rows of one table: row positions (0-based), the column and rule each breaks, and the cells that
    must be written as text (an unparseable number in a number column)."""

    rows: np.ndarray
    columns: np.ndarray
    rules: np.ndarray
    text_cells: dict[str, tuple[np.ndarray, np.ndarray]]

    def __len__(self) -> int:
        return len(self.rows)


def replace_cells(table: pa.Table, column: str, positions: np.ndarray, values: pa.Array | None) -> pa.Table:
    """The table with ``column`` replaced at ``positions`` (None: blanked)."""
    index = table.schema.get_field_index(column)
    array = table.column(index).combine_chunks()
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[positions] = True
    if values is None:
        new = pc.if_else(pa.array(mask), pa.scalar(None, array.type), array)
    else:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        order = np.argsort(positions, kind="stable")
        new = pc.replace_with_mask(array, pa.array(mask), values.take(pa.array(order)).cast(array.type))
    return table.set_column(index, column, new)


def unparseable(values: pa.Array, places: int) -> np.ndarray:
    """Numbers made unreadable the way hand-edited cells are: ``12a.5``."""
    written = pd.Series(decimal_text(values, places).to_pylist(), dtype=object).fillna("0")
    return np.where(
        written.str.contains(".", regex=False), written.str.replace(".", "a.", n=1, regex=False), written + "a"
    ).astype(object)


def rules_of(kinds: np.ndarray) -> np.ndarray:
    """The validation rule (required, type, code_list, range, unique, region) each planted defect breaks."""
    return pd.Series(kinds, dtype=object).map(DEFECT_RULES).to_numpy(dtype=object)


def defect_kinds(kinds: Sequence[str], delivery: Delivery) -> np.ndarray:
    """The defects a delivery can carry: a typed Parquet column or layer field cannot hold an unparseable number."""
    typed = delivery.file_format == "parquet" or delivery.is_layer
    return np.array([k for k in kinds if not (typed and k == "unparseable_number")], dtype=object)


def plant_county_defects(
    table: pa.Table, category: str, eligible: np.ndarray, rng: np.random.Generator, share: float, delivery: Delivery
) -> tuple[pa.Table, Planted]:
    """Make ``share`` of the eligible rows dirty, one defect per row, and say which."""
    candidates = np.flatnonzero(eligible)
    k = min(len(candidates), stochastic_round(share * table.num_rows, rng)) if share > 0 else 0
    rows = np.sort(rng.choice(candidates, size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)
    possible = defect_kinds(DEFECT_KINDS, delivery)
    kinds = possible[rng.integers(0, len(possible), k)]
    columns = np.empty(k, dtype=object)
    text_cells: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # A duplicate repeats the id of an earlier clean eligible row; a row with none before it gets a negative area.
    clean = np.setdiff1d(candidates, rows)
    duplicate = kinds == "duplicate_id"
    earlier = np.searchsorted(clean, rows[duplicate])
    kinds[np.flatnonzero(duplicate)[earlier == 0]] = "negative_area"
    duplicate = kinds == "duplicate_id"
    earlier = np.searchsorted(clean, rows[duplicate])
    source = clean[np.floor(rng.random(len(earlier)) * earlier).astype(np.int64)]

    for kind in DEFECT_KINDS:
        at = rows[kinds == kind]
        if not len(at):
            continue
        if kind == "unknown_land_class":
            column = "land_class"
            table = replace_cells(table, column, at, pa.array(rng.choice(UNKNOWN_LAND_CLASSES, len(at))))
        elif kind == "negative_area":
            column = "area_m2"
            table = replace_cells(table, column, at, pc.negate(table.column(column).take(pa.array(at))))
        elif kind == "duplicate_id":
            column = "parcel_id"
            table = replace_cells(table, column, at, table.column(column).take(pa.array(source)))
        elif kind == "unknown_county":
            column = "region_code"
            code = UNKNOWN_COUNTY + ("000000" if delivery.long_region_code else "")
            table = replace_cells(table, column, at, pa.array(np.full(len(at), code, dtype=object)))
        elif kind == "unknown_ownership":
            column = OWNERSHIP_COLUMN[category]
            table = replace_cells(table, column, at, pa.array(rng.choice(UNKNOWN_OWNERSHIPS, len(at))))
        elif kind == "unparseable_number":
            column = NUMBER_DEFECT_COLUMN[category]
            values = table.column(column).take(pa.array(at))
            text_cells[column] = (at, unparseable(values, DECIMALS.get(column, 2)))
        else:  # blank_required: one required column per row, blanked column by column
            pool = np.array(BLANKABLE[category], dtype=object)
            chosen = pool[rng.integers(0, len(pool), len(at))]
            for name in pool:
                if (chosen == name).any():
                    table = replace_cells(table, name, at[chosen == name], None)
            columns[np.isin(rows, at)] = chosen
            continue
        columns[np.isin(rows, at)] = column
    return table, Planted(rows, columns, rules_of(kinds), text_cells)


def plant_province_defects(
    table: pa.Table, defects: dict[str, str], rng: np.random.Generator, share: float, delivery: Delivery
) -> tuple[pa.Table, Planted]:
    """A few dirty rows in a province table (water, minerals), one defect per row."""
    n = table.num_rows
    k = min(n - 1, max(1, int(round(share * n)))) if share > 0 and n > 1 else 0
    rows = np.sort(rng.choice(np.arange(1, n), size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)
    possible = defect_kinds(list(defects), delivery)
    kinds = possible[rng.integers(0, len(possible), k)]
    columns = pd.Series(kinds, dtype=object).map(defects).to_numpy(dtype=object)
    clean = np.setdiff1d(np.arange(n), rows)
    text_cells: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kind in defects:
        at = rows[kinds == kind]
        if not len(at):
            continue
        column = defects[kind]
        if kind == "blank_required":
            table = replace_cells(table, column, at, None)
        elif kind == "unparseable_number":
            text_cells[column] = (at, unparseable(table.column(column).take(pa.array(at)), DECIMALS.get(column, 2)))
        elif kind == "unknown_code":
            table = replace_cells(table, column, at, pa.array(np.full(len(at), UNKNOWN_CODES[column], dtype=object)))
        elif kind == "negative_quantity":
            table = replace_cells(table, column, at, pc.negate(table.column(column).take(pa.array(at))))
        elif kind == "unknown_county":  # distinct codes counting down from 149999: region is part of the water key
            codes = (int(UNKNOWN_COUNTY) - np.arange(len(at))).astype(str).astype(object)
            table = replace_cells(table, column, at, pa.array(codes))
        elif kind == "duplicate_id":  # the whole key of an earlier clean row: deposit × mineral × resource class
            earlier = np.searchsorted(clean, at)
            source = clean[np.floor(rng.random(len(at)) * earlier).astype(np.int64)]
            for name in ("deposit_id", "region_code", "mineral_code", "resource_class", "unit"):
                table = replace_cells(table, name, at, table.column(name).take(pa.array(source)))
    return table, Planted(rows, columns, rules_of(kinds), text_cells)
