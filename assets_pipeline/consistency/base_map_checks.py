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
a parcel without inventory by their own id) does not exceed the parcel's surveyed area, to the cent of m². Under
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
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files, parts
from assets_pipeline.valuation.models import prepare

INVENTORIES = ("forest", "grassland", "wetland")  # in the order an inventory's claim ranks (inventory-wins)
OWNERSHIP_COLUMN = {"forest": "land_ownership", "grassland": "ownership", "wetland": "ownership"}


def _register_inputs(con: duckdb.DuckDBPyConnection, layout: YearLayout, policy: str) -> None:
    """Views over the validated survey and inventories, the rows validation rejected and the consistency rejects."""
    prepare(con, layout, {})
    con.execute(EMPTY_ID_MACRO)
    con.execute("SET VARIABLE policy = $p", {"p": policy})
    con.register("survey_parts", con.read_parquet(parts(layout.validated("land"))))
    # the base map: the category of a parcel by the stem of its class (a trailing K keeps its stem's category)
    con.execute("""
        CREATE TEMP VIEW survey AS
        SELECT l.parcel_id, l.region_code, CAST(l.area_m2 AS DECIMAL(18, 2)) AS base_m2,
               coalesce(o.is_state, false) AS is_state,
               CASE WHEN c.category IN ('forest', 'grassland', 'wetland') THEN c.category ELSE 'land' END AS category
        FROM survey_parts l
        LEFT JOIN ref_land_classes c ON c.land_class = rtrim(l.land_class, 'K')
        LEFT JOIN ref_ownership_codes o ON o.code = l.ownership
    """)
    valid, rejected = [], []
    for rank, category in enumerate(INVENTORIES, start=1):
        con.register(f"valid_{category}", con.read_parquet(parts(layout.validated(category))))
        valid.append(f"""
            SELECT id_or_null(v.base_parcel_id) AS key, '{category}' AS category, {rank} AS rank, v._row_id,
                   v.region_code, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2, coalesce(o.is_state, false) AS is_state
            FROM valid_{category} v LEFT JOIN ref_ownership_codes o ON o.code = v.{OWNERSHIP_COLUMN[category]}""")
        files = [str(p) for p in part_files(layout.rejected_rows(category))]
        if files:
            con.register(f"rejected_{category}", con.read_parquet(files, union_by_name=True))
            rejected.append(f"SELECT id_or_null(base_parcel_id) AS key, '{category}' AS category FROM rejected_{category}")
    con.execute(f"CREATE TEMP VIEW inventory AS {' UNION ALL '.join(valid)}")
    rejected_sql = " UNION ALL ".join(rejected) or "SELECT NULL::VARCHAR AS key, NULL::VARCHAR AS category WHERE false"
    # per base parcel an inventory names: the valid rows' total and count, and how many rows validation rejected
    # (their areas are never read)
    con.execute(f"""
        CREATE TEMP TABLE claims AS
        SELECT key, category, min(rank) AS rank, coalesce(sum(area_m2), 0) AS valid_m2, count(area_m2) AS valid_rows,
               count(*) - count(area_m2) AS rejected_rows
        FROM (SELECT key, category, rank, area_m2 FROM inventory
              UNION ALL
              SELECT key, category, CASE category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END, NULL
              FROM ({rejected_sql}))
        WHERE key IS NOT NULL
        GROUP BY key, category
    """)
    files = [str(p) for p in part_files(layout.consistency_rejected_rows("land"))]
    if files:
        con.execute("CREATE TEMP TABLE rejected_by_consistency AS SELECT DISTINCT parcel_id FROM read_parquet($f)",
                    {"f": files})
    else:
        con.execute("CREATE TEMP TABLE rejected_by_consistency (parcel_id VARCHAR)")


# --------------------------------------------------------------------------------------------- per county

COUNTY_SQL = """
WITH base AS (
    SELECT region_code, sum(base_m2) AS base_m2, coalesce(sum(base_m2) FILTER (WHERE NOT is_state), 0) AS collective_m2,
           coalesce(sum(base_m2) FILTER (WHERE is_state), 0) AS state_m2
    FROM survey GROUP BY ALL
),
rejected AS (
    SELECT s.region_code, sum(s.base_m2) AS rejected_m2
    FROM survey s SEMI JOIN rejected_by_consistency r ON r.parcel_id = s.parcel_id
    WHERE s.is_state GROUP BY ALL
),
named AS (     -- the state base parcels an inventory names, less those consistency rejected
    SELECT s.parcel_id, s.region_code, s.base_m2, s.category,
           coalesce(max(c.valid_m2) FILTER (WHERE c.category = s.category), 0) AS own_m2,
           coalesce(max(c.valid_rows) FILTER (WHERE c.category = s.category), 0) AS own_rows,
           coalesce(max(c.rejected_rows) FILTER (WHERE c.category = s.category), 0) AS own_rejected,
           arg_min(c.valid_m2, c.rank) FILTER (WHERE c.valid_rows > 0) AS first_claim_m2
    FROM survey s JOIN claims c ON c.key = s.parcel_id
    WHERE s.is_state AND s.parcel_id NOT IN (SELECT parcel_id FROM rejected_by_consistency)
    GROUP BY s.parcel_id, s.region_code, s.base_m2, s.category
),
terms AS (
    SELECT region_code,
           CASE WHEN category <> 'land' AND own_rejected > 0 THEN base_m2 - least(own_m2, base_m2) ELSE 0 END
               AS withheld_m2,
           CASE WHEN getvariable('policy') <> 'inventory-wins' THEN 0
                WHEN category = 'land' THEN coalesce(first_claim_m2 - base_m2, 0)
                WHEN own_rows > 0 AND own_rejected > 0 THEN greatest(own_m2 - base_m2, 0)
                WHEN own_rows > 0 THEN own_m2 - base_m2
                ELSE 0 END AS adjusted_m2
    FROM named
),
terms_by_county AS (
    SELECT region_code, sum(withheld_m2) AS withheld_m2, sum(adjusted_m2) AS adjusted_m2 FROM terms GROUP BY ALL
),
missing AS (   -- inventory-wins: parcels the base map lacks, to the first inventory naming them
    SELECT key, min(rank) AS rank FROM claims
    WHERE getvariable('policy') = 'inventory-wins' AND valid_rows > 0 AND key NOT IN (SELECT parcel_id FROM survey_parts)
    GROUP BY key
),
added AS (
    SELECT i.region_code, sum(i.area_m2) AS added_m2
    FROM inventory i JOIN missing m ON m.key = i.key AND m.rank = i.rank
    WHERE i.is_state GROUP BY ALL
),
ledger AS (
    SELECT region_code, CAST(sum(quantity_unrounded) * 10000 AS DECIMAL(38, 2)) AS ledger_m2
    FROM read_parquet($ledger)
    WHERE region_level = 'county' AND indicator = 'area' AND category IN ('land', 'forest', 'grassland', 'wetland')
    GROUP BY ALL
),
counties AS (
    SELECT region_code FROM base UNION SELECT region_code FROM ledger UNION SELECT region_code FROM added
)
SELECT k.region_code,
       coalesce(b.base_m2, 0) AS base_m2, coalesce(b.collective_m2, 0) AS collective_m2,
       coalesce(b.state_m2, 0) AS state_m2, coalesce(r.rejected_m2, 0) AS rejected_m2,
       coalesce(t.withheld_m2, 0) AS withheld_m2, coalesce(t.adjusted_m2, 0) + coalesce(a.added_m2, 0) AS adjusted_m2,
       CAST(coalesce(b.state_m2, 0) - coalesce(r.rejected_m2, 0) - coalesce(t.withheld_m2, 0)
            + coalesce(t.adjusted_m2, 0) + coalesce(a.added_m2, 0) AS DECIMAL(38, 2)) AS expected_m2,
       coalesce(l.ledger_m2, 0) AS ledger_m2
FROM counties k
LEFT JOIN base b USING (region_code)
LEFT JOIN rejected r USING (region_code)
LEFT JOIN terms_by_county t USING (region_code)
LEFT JOIN added a USING (region_code)
LEFT JOIN ledger l USING (region_code)
ORDER BY k.region_code
"""

COUNTY_HEADERS = ["county", "base map (m²)", "collective (m²)", "state (m²)", "rejected by consistency (m²)",
                  "withheld by rejected rows (m²)", "inventory-wins adjustment (m²)", "expected (m²)", "ledgers (m²)"]


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
        rows = con.execute(COUNTY_SQL, {"ledger": str(layout.ledger_physical)}).fetchall()
    return [CountyArea(*r) for r in rows]


# --------------------------------------------------------------------------------------------- per parcel

def _counted_rows_sql(layout: YearLayout) -> str:
    """The valued rows the ledgers count in area (status valued or unpriced; forest: its land component), each
    with the base parcel it lies on."""
    arms = []
    land = layout.valued("land")
    if land.exists():
        arms.append(f"""
            SELECT parcel_id AS key, region_code, 'land' AS category, CAST(area_m2 AS DECIMAL(18, 2)) AS area_m2
            FROM read_parquet('{_quoted(land)}') WHERE status IN ('valued', 'unpriced')""")
    for category in INVENTORIES:
        path = layout.valued(category)
        if not path.exists():
            continue
        component = "AND v.component = 'land'" if category == "forest" else ""
        # a row the model added from the base map alone (no inventory row) carries its base parcel's id
        arms.append(f"""
            SELECT CASE WHEN v._row_id IS NULL THEN v.parcel_id ELSE id_or_null(x.base_parcel_id) END AS key,
                   v.region_code, '{category}' AS category, CAST(v.area_m2 AS DECIMAL(18, 2)) AS area_m2
            FROM read_parquet('{_quoted(path)}') v LEFT JOIN valid_{category} x ON x._row_id = v._row_id
            WHERE v.status IN ('valued', 'unpriced') {component}""")
    return " UNION ALL ".join(arms) or \
        "SELECT NULL::VARCHAR AS key, NULL::VARCHAR AS region_code, NULL::VARCHAR AS category, 0::DECIMAL(18, 2) AS area_m2"


def _quoted(path) -> str:
    return str(path).replace("'", "''")


PARCEL_SQL = """
WITH counted AS ({counted}),
per_key AS (   -- one hash aggregate over the counted rows and the survey: counted and surveyed area per parcel
    SELECT key, sum(counted_m2) AS counted_m2, sum(base_m2) AS base_m2, bool_or(surveyed) AS surveyed,
           coalesce(max(region_code) FILTER (WHERE surveyed), max(region_code)) AS region_code,
           max(base_category) AS base_category,
           count(*) FILTER (WHERE category = 'land') AS land_rows,
           count(*) FILTER (WHERE category = 'forest') AS forest_rows,
           count(*) FILTER (WHERE category = 'grassland') AS grassland_rows,
           count(*) FILTER (WHERE category = 'wetland') AS wetland_rows
    FROM (SELECT key, region_code, category, area_m2 AS counted_m2, CAST(0 AS DECIMAL(18, 2)) AS base_m2,
                 false AS surveyed, NULL::VARCHAR AS base_category
          FROM counted
          UNION ALL
          SELECT parcel_id, region_code, NULL, CAST(0 AS DECIMAL(18, 2)), base_m2, true, category FROM survey)
    GROUP BY key
    HAVING sum(counted_m2) > sum(base_m2)
),
standing AS (  -- inventory-wins: how far a parcel may grow, the valid total of the inventory that may stand on it
    SELECT p.key, max(c.valid_m2) FILTER (WHERE p.base_category IS NULL OR p.base_category IN ('land', c.category))
               AS standing_m2
    FROM per_key p JOIN claims c ON c.key = p.key
    WHERE getvariable('policy') = 'inventory-wins'
    GROUP BY p.key
)
SELECT p.key, p.region_code, CASE WHEN p.surveyed THEN p.base_m2 END AS base_m2,
       greatest(p.base_m2, coalesce(s.standing_m2, 0)) AS allowed_m2, p.counted_m2,
       p.counted_m2 - greatest(p.base_m2, coalesce(s.standing_m2, 0)) AS excess_m2,
       p.land_rows, p.forest_rows, p.grassland_rows, p.wetland_rows
FROM per_key p LEFT JOIN standing s USING (key)
WHERE p.counted_m2 > greatest(p.base_m2, coalesce(s.standing_m2, 0))
ORDER BY excess_m2 DESC, p.key NULLS FIRST
"""

PARCEL_HEADERS = ["base parcel", "county", "surveyed area (m²)", "allowed (m²)", "counted (m²)", "excess (m²)",
                  "land rows", "forest rows", "grassland rows", "wetland rows"]


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
        rows = con.execute(PARCEL_SQL.format(counted=_counted_rows_sql(layout))).fetchall()
    return [ParcelExcess(*r) for r in rows]
