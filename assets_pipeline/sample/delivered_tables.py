"""Delivered tables: canonical column names, typed; headers and text are applied when written."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assets_pipeline.sample.base_map import Rows
from assets_pipeline.sample.counties import County
from assets_pipeline.sample.province_figures import M2_PER_MU, SUPPLY_METHODS
from assets_pipeline.sample.reference import Reference


def text(values: np.ndarray | Sequence[str]) -> pa.Array:
    """A string column; empty strings become blank cells."""
    array = pa.array(np.asarray(values, dtype=object), type=pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def number(values: np.ndarray) -> pa.Array:
    """A float column; NaN becomes a blank cell."""
    return pa.array(np.asarray(values, dtype=float), type=pa.float64(), from_pandas=True)


def integer(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(values)
    mask = np.zeros(len(values), dtype=bool) if missing is None else np.asarray(missing, dtype=bool)
    return pa.array(np.where(mask, 0, values).astype(np.int64), type=pa.int64(), mask=mask)


def id_text(values: np.ndarray) -> pa.Array:
    """Identifiers and region codes built as integers (fast) and written as digits."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def region_column(county: County, village: np.ndarray) -> pa.Array:
    """The county code, or the 12-digit 坐落单位代码 (county + township + village) for counties that send it."""
    if county.delivery.long_region_code:
        return id_text(int(county.code) * 1_000_000 + np.asarray(village, dtype=np.int64))
    return pa.array(np.full(len(village), county.code, dtype=object), type=pa.string())


def parcel_ids(county: County, serial: np.ndarray) -> np.ndarray:
    """图斑标识码: county code + 10-digit serial, unique in the province."""
    return int(county.code) * 10_000_000_000 + np.asarray(serial, dtype=np.int64)


def class_text(ref: Reference, land_class: np.ndarray, adjustable: np.ndarray) -> pa.Array:
    codes = ref.classes.codes[land_class].astype(object)
    return pa.array(np.where(adjustable, codes + "K", codes), type=pa.string())


def area_values(area_m2: np.ndarray, county: County) -> np.ndarray:
    """Areas in the county's unit: m² as stored, or 亩 to 2 decimals."""
    if county.delivery.area_unit == "mu":
        return np.round(np.asarray(area_m2, dtype=float) / M2_PER_MU, 2)
    return np.asarray(area_m2, dtype=float)


def land_table(parcels: Rows, county: County, ref: Reference) -> pa.Table:
    grade = parcels["cropland_grade"]
    return pa.table(
        {
            "parcel_id": id_text(parcel_ids(county, parcels["serial"])),
            "region_code": region_column(county, parcels["village"]),
            "land_class": class_text(ref, parcels["land_class"], parcels["adjustable"]),
            "area_m2": number(area_values(parcels["area"], county)),
            "ownership": text(parcels["ownership"]),
            "price_zone": text(parcels["price_zone"]),
            "cropland_grade": integer(grade, grade == 0),
            "plot_ratio": number(parcels["plot_ratio"]),
            "supply_method": text(np.array(SUPPLY_METHODS + ("",), dtype=object)[parcels["supply"]]),
            "granted_term_years": number(parcels["granted_term"]),
            "years_used": number(parcels["years_used"]),
            "redline_area_m2": number(area_values(parcels["redline"], county)),
        }
    )


def inventory_base_columns(rows: Rows, county: County, ref: Reference) -> dict[str, pa.Array]:
    """Columns every inventory shares: its own id, the base parcel it describes, county, class, area.

    An inventory id is the base id followed by a 2-digit sub-compartment number, so it is unique and stable."""
    base = parcel_ids(county, rows["serial"])
    return {
        "parcel_id": id_text(base * 100 + rows["sub"]),
        "base_parcel_id": id_text(base),
        "region_code": region_column(county, rows["village"]),
        "land_class": class_text(ref, rows["land_class"], rows["adjustable"]),
        "area_m2": number(area_values(rows["area"], county)),
    }


def forest_table(rows: Rows, county: County, ref: Reference) -> pa.Table:
    stems = rows["bamboo_stems"]
    columns = inventory_base_columns(rows, county, ref)
    columns.update(
        {
            "land_ownership": text(rows["ownership"]),
            "tree_ownership": text(rows["tree_ownership"]),
            "forest_type": text(rows["forest_type"]),
            "origin": text(rows["origin"]),
            "species_code": text(rows["species"]),
            "age_group": text(rows["age_group"].astype(str)),
            "stock_m3": number(rows["stock_m3"]),
            "bamboo_stems": integer(np.nan_to_num(stems), np.isnan(stems)),
            "land_grade": integer(rows["land_grade"]),
        }
    )
    return pa.table(columns)


def grassland_table(rows: Rows, county: County, ref: Reference) -> pa.Table:
    columns = inventory_base_columns(rows, county, ref)
    columns.update(
        {
            "ownership": text(rows["ownership"]),
            "grassland_type": text(rows["grassland_type"]),
            "grade": integer(rows["grade"]),
            "hay_yield_kg_per_ha": number(rows["hay"]),
            "vegetation_cover_pct": number(rows["cover"]),
        }
    )
    return pa.table(columns)


def wetland_table(rows: Rows, county: County, ref: Reference) -> pa.Table:
    columns = inventory_base_columns(rows, county, ref)
    columns.update(
        {
            "ownership": text(rows["ownership"]),
            "wetland_type": text(rows["wetland_type"]),
            "basin": text(rows["basin"]),
            "protection_status": text(rows["protection"]),
        }
    )
    return pa.table(columns)
