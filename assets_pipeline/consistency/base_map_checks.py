"""No double counting (DOMAIN §2), checked from the validated inputs, never from what the consistency step made.

Two blocking checks on ``ledger/physical`` guard the one base map. Both read the validated land survey, the
validated and rejected inventory rows and the reference tables directly, and apply the policy's area rule
(README "One base map") in their own terms; neither reads ``_stages/resolved/`` (changes.parquet, the resolved
rows) nor the counted areas the step wrote, so a resolution that counts an area twice cannot vouch for itself.

``no_double_counting`` (per county): the state area over the land, forest, grassland and wetland ledgers equals

    base map state area − rejected by consistency − withheld + inventory-wins adjustment

- base map state area: the validated survey's parcels of state ownership (权属性质 10/20), at their surveyed area;
- rejected by consistency (``reject`` policy): the survey's area of the base parcels the step rejected (the one
  figure taken from the step: which parcels it listed in the rejects, not how much it counted);
- withheld: a state base parcel of an inventory's category some of whose inventory rows validation rejected
  counts its valid rows only, at most its base area; the part of the parcel they do not cover, base area −
  min(valid rows' total, base area), waits for the county's correction. A rejected row's own area takes no part
  (a negative, zero, empty or oversized area is why many rows are rejected);
- inventory-wins adjustment: a parcel whose inventory stands counts the inventory's valid rows (a land-category
  parcel: those of the first inventory claiming it, forest before grassland before wetland), and a parcel the
  base map lacks counts the state rows of the first inventory naming it.

``area_within_base_parcel`` (per base parcel): the area the valued rows of the four categories count on one base
parcel (land rows by parcel id, inventory rows by the base parcel id they were delivered with, synthetic rows of
a parcel without inventory by their own id; a row delivered without one, by the base parcel the overlay linked it to)
does not exceed the parcel's surveyed area, to the cent of m². Under
inventory-wins a parcel may legitimately grow to the valid rows' total of the inventory that stands on it (of
its own category; for a land-category parcel or one the base map lacks, the largest inventory's): that is the
bound. Counted area on no base parcel at all (an empty base parcel id) exceeds a bound of 0.

Both are DuckDB queries over the Parquet files: the survey is scanned per county and once in a hash aggregate
beside the counted rows; only the parcels an inventory names are joined.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from assets_pipeline.consistency.base_map import EMPTY_ID_MACRO
from assets_pipeline.consistency.overlay_inputs import register_links
from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files, parts
from assets_pipeline.reference.snapshots import register_reference_views

INVENTORIES = ("forest", "grassland", "wetland")  # in the order an inventory's claim ranks (inventory-wins)


def _register_inputs(con: duckdb.DuckDBPyConnection, layout: YearLayout, policy: str) -> None:
    """Views over the validated survey and inventories, the rows validation rejected and the consistency rejects."""
    register_reference_views(con, layout)
    con.execute(EMPTY_ID_MACRO)
    con.execute("SET VARIABLE policy = $p", {"p": policy})
    con.register("survey_parts", con.read_parquet(parts(layout.validated("land"))))
    con.execute(sql.load(__file__, "survey"))
    for category in INVENTORIES:
        # the base parcel an inventory row was delivered with, or the overlay linked it to (DOMAIN §6): the
        # overlay's links are an input like the rows, not something the consistency step made
        con.register(f"delivered_{category}", con.read_parquet(parts(layout.validated(category))))
        register_links(con, layout, category, f"delivered_{category}", f"valid_{category}")
        files = [str(p) for p in part_files(layout.rejected_rows(category))]
        if files:
            con.register(f"rejected_{category}", con.read_parquet(files, union_by_name=True))
        else:
            con.execute(f"CREATE TEMP VIEW rejected_{category} AS SELECT NULL::VARCHAR AS base_parcel_id WHERE false")
    con.execute(sql.load(__file__, "inventory"))
    con.execute(sql.load(__file__, "claims"))
    files = [str(p) for p in part_files(layout.consistency_rejected_rows("land"))]
    if files:
        con.execute(
            "CREATE TEMP TABLE rejected_by_consistency AS SELECT DISTINCT parcel_id FROM read_parquet($f)", {"f": files}
        )
    else:
        con.execute("CREATE TEMP TABLE rejected_by_consistency (parcel_id VARCHAR)")


# --------------------------------------------------------------------------------------------- per county

COUNTY_HEADERS = [
    "county",
    "base map (m²)",
    "collective (m²)",
    "state (m²)",
    "rejected by consistency (m²)",
    "withheld by rejected rows (m²)",
    "inventory-wins adjustment (m²)",
    "expected (m²)",
    "ledgers (m²)",
]


@dataclass(frozen=True)
class CountyArea:
    region_code: str
    base_m2: Decimal
    collective_m2: Decimal
    state_m2: Decimal
    rejected_m2: Decimal
    withheld_m2: Decimal
    adjusted_m2: Decimal
    expected_m2: Decimal
    ledger_m2: Decimal

    @property
    def difference_m2(self) -> Decimal:
        return self.ledger_m2 - self.expected_m2


def county_areas(layout: YearLayout, policy: str) -> list[CountyArea]:
    """Per county (m²): the base map's area, collective and state, the state area consistency rejected, the area
    withheld by rejected inventory rows, the inventory-wins adjustment, the expected area and the ledgers' (the
    unrounded ``area`` indicator of land, forest, grassland and wetland, 公顷 × 10,000)."""
    with connect(layout.stages / "duckdb_tmp") as con:
        _register_inputs(con, layout, policy)
        return _county_areas(con, layout)


def _county_areas(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> list[CountyArea]:
    rows = con.execute(sql.load(__file__, "county_areas"), {"ledger": str(layout.ledger_physical)}).fetchall()
    return [CountyArea(*r) for r in rows]


# --------------------------------------------------------------------------------------------- per parcel


def _register_counted_rows(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """The valued rows the ledgers count in area (view ``counted``), each with the base parcel it lies on."""
    for category in ("land",) + INVENTORIES:
        path = layout.valued(category)
        if path.exists():
            con.register(f"valued_{category}", con.read_parquet(str(path)))
        else:
            con.execute(sql.load(__file__, "no_valued_rows", view=sql.identifier(f"valued_{category}")))
    con.execute(sql.load(__file__, "counted_rows"))


PARCEL_HEADERS = [
    "base parcel",
    "county",
    "surveyed area (m²)",
    "allowed (m²)",
    "counted (m²)",
    "excess (m²)",
    "land rows",
    "forest rows",
    "grassland rows",
    "wetland rows",
]


@dataclass(frozen=True)
class ParcelExcess:
    parcel_id: str | None
    region_code: str | None
    base_m2: Decimal | None
    allowed_m2: Decimal
    counted_m2: Decimal
    excess_m2: Decimal
    land_rows: int
    forest_rows: int
    grassland_rows: int
    wetland_rows: int


def parcels_over_their_area(layout: YearLayout, policy: str) -> list[ParcelExcess]:
    """The base parcels on which the valued rows of land, forest, grassland and wetland count more area than the
    survey gives the parcel (inventory-wins: than the inventory standing on it), the largest excess first."""
    with connect(layout.stages / "duckdb_tmp") as con:
        _register_inputs(con, layout, policy)
        return _parcels_over_their_area(con, layout)


def _parcels_over_their_area(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> list[ParcelExcess]:
    _register_counted_rows(con, layout)
    rows = con.execute(sql.load(__file__, "parcels_over_their_area")).fetchall()
    return [ParcelExcess(*r) for r in rows]


def base_map_figures(layout: YearLayout, policy: str) -> tuple[list[CountyArea], list[ParcelExcess]]:
    """Both checks' figures, ``county_areas`` and ``parcels_over_their_area``, from one registration of their inputs
    (the survey's and inventories' views and the claims table, about 2 s at ten million parcels)."""
    with connect(layout.stages / "duckdb_tmp") as con:
        _register_inputs(con, layout, policy)
        return _county_areas(con, layout), _parcels_over_their_area(con, layout)
