"""One base map, no double counting (DOMAIN §2): find the inconsistent parcels (不一致图斑) and resolve them.

The land survey (category ``land``, one row per parcel) is the base map; the forest, grassland and wetland
inventories point at it by ``base_parcel_id``. This step reads the validated rows (in scope and excluded
alike) and the rows validation rejected, and writes

- ``<output>/<year>/inconsistencies.parquet``: one line per finding, with both sides' values;
- ``_stages/resolved/<category>/`` for forest, grassland and wetland: the rows the valuation models value, after
  the run's policy has been applied (the models read these instead of the validated rows); for land, only the
  parcels the policy changed, rejected or a finding names, and those it added (assets_pipeline/base_map.py lays
  them over the validated base map);
- under the ``reject`` policy, ``_stages/consistency/rejected|rejects/<category>/``: the rejected rows whole
  and their reject lines (rule ``consistency``), gathered into the year's rejects like any other.

Findings (stable codes; ``FINDINGS`` gives the Chinese and English labels)
-------------------------------------------------------------------------
Row findings, one line per inventory row:

- ``missing_base``: the row's base parcel is not among the base map's valid parcels (absent, or rejected in
  the land survey). Area concerned: the row's area.
- ``class_mismatch``: the base parcel's class belongs to another category than the inventory's (DOMAIN §2,
  trailing ``K`` keeps its stem's category; categories from ``reference_tables/land_classes.csv``), e.g. base
  0103 旱地 under a forest row. Area concerned: the row's area.
- ``ownership_mismatch``: base and inventory disagree on state or collective ownership (权属性质 10/20 state;
  the forest's land ownership). Codes of the same side (10 vs 20) are no finding: they do not change what the
  ledgers count. Area concerned: the row's area.
- ``county_mismatch``: the row's county is not the base parcel's. Area concerned: the row's area.

Ownership and county are compared only where the classes agree (a row of the wrong category is already a
``class_mismatch`` and never counted in its inventory's category under the base map).

Parcel findings, one line per base parcel (``parcel_id`` empty):

- ``area_exceeds_base``: the inventory rows of one base parcel of the inventory's category sum to more than
  the base area × (1 + tolerance) (run parameter ``area_tolerance``, default 0.1 %). Area concerned: the excess
  (inventory total − base area), the area that would be counted twice.
- ``missing_inventory``: a base parcel of a forest, grassland or wetland class that no delivered inventory row
  describes (rows validation rejected do describe it: those are in the rejects already). Area concerned: the
  base area.

What each policy does (``consistency_policy``)
----------------------------------------------
``base-map-wins`` (default, DOMAIN §2 "the base map wins unless the user chooses otherwise"):

- missing_base, class_mismatch: the inventory row is set aside (valued rows show it ``excluded`` with the
  reason); the parcel is counted where the base map's class puts it.
- rows of a base parcel of the inventory's category: class, county and ownership are the base parcel's (scope
  follows the base ownership: a row in scope at validation that the base map puts out of scope stays among the
  valued rows as ``excluded``, with the reason), and their areas are conformed to the base area — scaled so they
  add up to it exactly, the last row (by id) taking the cents. This settles area_exceeds_base, ownership_mismatch
  and county_mismatch; the inventory's own attributes (species, age, stock, type, grade …) are kept.
- sibling rows validation rejected (rows of the same inventory naming the same base parcel) take no part in that
  area: their delivered area is never read (a negative, zero, empty or oversized area is often why they were
  rejected). Where a parcel has any, its valid rows keep their delivered areas and are scaled down only if they
  exceed the base area; the part of the parcel they do not cover (base area − their total, at least 0) is withheld
  until the county sends the rejected rows corrected. A parcel whose rows were all rejected is withheld whole.
- missing_inventory: the parcel is counted from the base map alone, valued on its land part: a forest parcel at
  the forest-land price without grade and no tree part, a wetland parcel by the wetland class of its land class,
  a grassland parcel stays unpriced (its type and grade are unknown) until the county delivers its row.

``inventory-wins``:

- the inventory's area and class stand: rows keep their area; the base parcel's area becomes the inventory's
  valid total (area_exceeds_base; with rejected siblings at least the base area, the uncovered part withheld as
  above); a base parcel of a land-category class claimed by an inventory (class_mismatch) takes the inventory's
  class, so the land model no longer values it; a row whose base parcel is missing adds that parcel to the base
  map. A land-category or missing parcel claimed by several inventories goes to the first (forest, grassland,
  wetland); the others' rows are set aside. Between two inventories (base of another inventory's category) the
  base map still arbitrates: the row is set aside. A row with an empty base parcel id (null, blank, ``NaN``) names
  no parcel: missing_base, set aside, nothing added.
- county and ownership stay the base map's (where a parcel lies and who owns it is the land survey's record).
- missing_inventory: as under base-map-wins.

``reject``:

- missing_base, class_mismatch: the row is rejected.
- a base parcel with ownership_mismatch, county_mismatch or area_exceeds_base in its category: all its rows in
  that inventory and the base parcel itself are rejected; missing_inventory: the base parcel is rejected.
- everything else as under base-map-wins (areas within the tolerance conformed to the base area).
- rejected rows are listed with file, row and reason (rule ``consistency``) in rejects.parquet and the
  rejects workbook.

No double counting, whatever the policy: per county, the state area over the land, forest, grassland and
wetland ledgers equals the base map's state area less consistency rejects and withheld area (plus the
inventory-wins adjustments), and no base parcel counts more than its surveyed area (inventory-wins: than the
inventory standing on it). Two blocking checks on ``ledger/physical`` recompute both from the validated files,
not from what this step wrote (assets_pipeline/base_map_checks.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from assets_pipeline.consistency.base_map import ADDED, CHANGES, EMPTY_ID_MACRO
from assets_pipeline.infra.duck import connect, sql_path
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.infra.storage import atomic_folder, atomic_path, write_json
from assets_pipeline.validate.rows import EXCLUSION_REASONS, REJECT_SCHEMA
from assets_pipeline.valuation.models import prepare

POLICIES = ("base-map-wins", "inventory-wins", "reject")
DEFAULT_POLICY = "base-map-wins"
DEFAULT_AREA_TOLERANCE = 0.001
INVENTORIES = ("forest", "grassland", "wetland")
BASE_CATEGORIES = ("land",) + INVENTORIES

# code: (中文, English); the order is the order of the report.
FINDINGS: dict[str, tuple[str, str]] = {
    "missing_base": ("底图无此图斑", "base parcel does not exist"),
    "class_mismatch": ("地类不一致", "base class not in the inventory's category"),
    "area_exceeds_base": ("面积超出底图图斑", "inventory area exceeds the base parcel"),
    "ownership_mismatch": ("权属不一致", "ownership disagrees with the base map"),
    "county_mismatch": ("行政区不一致", "county disagrees with the base map"),
    "missing_inventory": ("底图图斑无调查记录", "base parcel without inventory row"),
}
OWNERSHIP_COLUMN = {"forest": "land_ownership", "grassland": "ownership", "wetland": "ownership"}


@dataclass
class ConsistencyResult:
    policy: str
    area_tolerance: float
    findings: dict[str, dict[str, int]] = field(default_factory=dict)  # category -> finding type -> count
    area_m2: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    rejected_rows: dict[str, int] = field(default_factory=dict)

    def record(self) -> dict:
        return {
            "policy": self.policy,
            "area_tolerance": str(self.area_tolerance),
            "findings": self.findings,
            "area_m2": {c: {t: str(a) for t, a in by.items()} for c, by in self.area_m2.items()},
            "rejected_rows": self.rejected_rows,
        }


# ------------------------------------------------------------------------------------------------ the views

def _register(con: duckdb.DuckDBPyConnection, layout: YearLayout, policy: str, tolerance: float) -> None:
    """Views over the validated and rejected rows of the four base-map categories, then the checks."""
    for category in BASE_CATEGORIES:
        valid = part_files(layout.validated(category))
        if not valid:
            raise FileNotFoundError(f"{category}: no validated rows under {layout.validated(category)}")
        con.register(f"valid_{category}", con.read_parquet([str(p) for p in valid]))
        rejected = part_files(layout.rejected_rows(category))
        if rejected:
            con.register(f"rejected_{category}", con.read_parquet([str(p) for p in rejected]))
        else:
            con.execute(f"CREATE TEMP VIEW rejected_{category} AS SELECT * FROM valid_{category} LIMIT 0")
    con.register("finding_labels", pa.table({
        "finding_type": list(FINDINGS), "finding_zh": [v[0] for v in FINDINGS.values()],
        "finding_en": [v[1] for v in FINDINGS.values()], "finding_order": list(range(len(FINDINGS)))}))
    con.execute("SET VARIABLE policy = $p", {"p": policy})
    con.execute("SET VARIABLE tolerance = $t", {"t": str(Decimal(str(tolerance)))})
    con.execute(EMPTY_ID_MACRO)

    named = " UNION ALL ".join(f"SELECT id_or_null(base_parcel_id) AS base_parcel_id FROM valid_{c}" for c in INVENTORIES)
    # The base map: class category by the stem of the class (a trailing K keeps its stem's category). Only the
    # parcels the checks can concern: those of an inventory's category and those an inventory row names; every
    # other parcel leaves the step as it came (assets_pipeline/base_map.py).
    con.execute(f"""
        CREATE TEMP TABLE base AS
        SELECT l.parcel_id, l.region_code, l.land_class, CAST(l.area_m2 AS DECIMAL(18, 2)) AS area_m2, l.ownership,
               coalesce(o.is_state, false) AS is_state,
               CASE WHEN lc.category IN ('forest', 'grassland', 'wetland') THEN lc.category ELSE 'land' END AS category,
               l._row_id, l._source_file, l._source_row,
               -- protected-area memos: the share of the parcel inside each zone, carried to its inventory rows
               CAST(least(coalesce(CAST(l.redline_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
                    AS DECIMAL(18, 10)) AS redline_share,
               CAST(least(coalesce(CAST(l.basic_farmland_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
                    AS DECIMAL(18, 10)) AS farmland_share,
               CAST(least(coalesce(CAST(l.protected_area_m2 AS DECIMAL(18, 2)), 0) / nullif(CAST(l.area_m2 AS DECIMAL(18, 2)), 0), 1)
                    AS DECIMAL(18, 10)) AS protected_share
        FROM valid_land l
        -- each class and its K form (a class with a trailing K keeps its stem's category): a join on the code as
        -- delivered, not a regular expression per parcel
        LEFT JOIN (SELECT land_class, category FROM ref_land_classes
                   UNION ALL SELECT land_class || 'K', category FROM ref_land_classes) lc ON lc.land_class = l.land_class
        LEFT JOIN ref_ownership_codes o ON o.code = l.ownership
        WHERE lc.category IN ('forest', 'grassland', 'wetland')
           OR l.parcel_id IN (SELECT base_parcel_id FROM ({named}) WHERE base_parcel_id IS NOT NULL)
    """)
    union = " UNION ALL ".join(
        f"SELECT '{c}' AS category, parcel_id, id_or_null(base_parcel_id) AS base_parcel_id, region_code, land_class, "
        f"CAST(area_m2 AS DECIMAL(18, 2)) AS area_m2, {OWNERSHIP_COLUMN[c]} AS ownership, _row_id, _source_file, "
        f"_source_row FROM valid_{c}"
        for c in INVENTORIES
    )
    # Every valid inventory row beside its base parcel (an empty base parcel id links to none: missing_base).
    con.execute(f"""
        CREATE TEMP TABLE rows AS
        SELECT i.*, coalesce(o.is_state, false) AS is_state,
               b.parcel_id IS NOT NULL AS has_base, b.category AS base_category, b.land_class AS base_land_class,
               b.area_m2 AS base_area_m2, b.ownership AS base_ownership, b.is_state AS base_is_state,
               b.region_code AS base_region_code,
               b.redline_share, b.farmland_share, b.protected_share
        FROM ({union}) i
        LEFT JOIN base b ON b.parcel_id = i.base_parcel_id
        LEFT JOIN ref_ownership_codes o ON o.code = i.ownership
    """)
    rejected = " UNION ALL ".join(
        f"SELECT '{c}' AS category, id_or_null(base_parcel_id) AS base_parcel_id FROM rejected_{c}"
        for c in INVENTORIES
    )
    # Per base parcel of an inventory's category: what its inventory delivered (valid rows, and how many rows
    # validation rejected: their areas are not read, a rejected area being no figure to count with).
    con.execute(f"""
        CREATE TEMP TABLE cover AS
        WITH valid AS (
            SELECT category, base_parcel_id, sum(area_m2) AS valid_m2, count(*) AS valid_rows
            FROM rows WHERE has_base AND base_category = category GROUP BY ALL
        ),
        withheld AS (
            SELECT category, base_parcel_id, count(*) AS rejected_rows
            FROM ({rejected}) WHERE base_parcel_id IS NOT NULL GROUP BY ALL
        )
        SELECT b.parcel_id, b.category, b.area_m2 AS base_m2,
               coalesce(v.valid_m2, 0) AS valid_m2, coalesce(v.valid_rows, 0) AS valid_rows,
               coalesce(w.rejected_rows, 0) AS rejected_rows,
               -- the area the inventory's valid rows are conformed to: the base area; where sibling rows were
               -- rejected, the valid rows' own total, capped at the base area (the rest of the parcel waits for
               -- the county's correction: the withheld area, base area - target)
               CASE WHEN coalesce(w.rejected_rows, 0) > 0 THEN least(coalesce(v.valid_m2, 0), b.area_m2)
                    ELSE b.area_m2 END AS target_m2
        FROM base b
        LEFT JOIN valid v ON v.category = b.category AND v.base_parcel_id = b.parcel_id
        LEFT JOIN withheld w ON w.category = b.category AND w.base_parcel_id = b.parcel_id
        WHERE b.category <> 'land'
    """)
    con.execute(FINDINGS_SQL)


FINDINGS_SQL = """
CREATE TEMP TABLE findings AS
WITH flagged AS MATERIALIZED (   -- the few rows with any row finding, so the four tests below scan only them
    SELECT * FROM rows
    WHERE NOT has_base OR base_category <> category OR is_state <> base_is_state OR region_code <> base_region_code
),
row_findings AS (
    SELECT category, 'missing_base' AS finding_type, * EXCLUDE (category) FROM flagged WHERE NOT has_base
    UNION ALL BY NAME
    SELECT category, 'class_mismatch' AS finding_type, * EXCLUDE (category) FROM flagged WHERE has_base AND base_category <> category
    UNION ALL BY NAME
    SELECT category, 'ownership_mismatch' AS finding_type, * EXCLUDE (category) FROM flagged
    WHERE has_base AND base_category = category AND is_state <> base_is_state
    UNION ALL BY NAME
    SELECT category, 'county_mismatch' AS finding_type, * EXCLUDE (category) FROM flagged
    WHERE has_base AND base_category = category AND region_code <> base_region_code
),
exceeding AS (
    SELECT c.category, c.parcel_id, c.valid_m2, c.base_m2
    FROM cover c
    WHERE c.valid_rows > 0 AND c.valid_m2 > c.base_m2 * (1 + CAST(getvariable('tolerance') AS DECIMAL(9, 6)))
),
exceeding_classes AS (   -- the inventory classes of those parcels, gathered over their rows only
    SELECT r.category, r.base_parcel_id, string_agg(DISTINCT r.land_class, ',' ORDER BY r.land_class) AS classes
    FROM rows r SEMI JOIN exceeding e ON e.category = r.category AND e.parcel_id = r.base_parcel_id
    GROUP BY ALL
)
SELECT coalesce(f.base_region_code, f.region_code) AS region_code, f.category, f.finding_type,
       f.base_parcel_id, f.parcel_id, f.area_m2 AS area_m2,
       f.base_land_class, f.land_class AS inventory_land_class, f.base_area_m2, f.area_m2 AS inventory_area_m2,
       f.base_ownership, f.ownership AS inventory_ownership, f.base_region_code, f.region_code AS inventory_region_code,
       f._source_file AS source_file, f._source_row AS source_row, f._row_id AS inventory_row_id
FROM row_findings f
UNION ALL
SELECT b.region_code, e.category, 'area_exceeds_base', e.parcel_id, NULL, e.valid_m2 - e.base_m2,
       b.land_class, x.classes,
       e.base_m2, e.valid_m2, b.ownership, NULL, b.region_code, NULL, b._source_file, b._source_row, NULL
FROM exceeding e JOIN base b ON b.parcel_id = e.parcel_id
LEFT JOIN exceeding_classes x ON x.category = e.category AND x.base_parcel_id = e.parcel_id
UNION ALL
SELECT b.region_code, c.category, 'missing_inventory', c.parcel_id, NULL, c.base_m2,
       b.land_class, NULL, c.base_m2, NULL, b.ownership, NULL, b.region_code, NULL, b._source_file, b._source_row, NULL
FROM cover c JOIN base b ON b.parcel_id = c.parcel_id
WHERE c.valid_rows = 0 AND c.rejected_rows = 0
"""

# Per inventory row: what the policy does with it (see the module docstring).
#   set_aside  counted nowhere in its inventory (the base map counts the parcel elsewhere)
#   conformed  class, county and ownership of the base parcel; area scaled to the parcel's target
#   stands     the inventory's area and class stand (inventory-wins); county and ownership of the base map
#   added      stands, and its missing base parcel is added to the base map (inventory-wins)
#   rejected   rejected with rule 'consistency' (reject)
ACTIONS_SQL = """
CREATE TEMP TABLE actions AS
WITH parcel_problems AS (
    SELECT DISTINCT category, base_parcel_id FROM findings
    WHERE finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base')
),
-- inventory-wins: a land-category parcel, or a parcel the base map lacks, claimed by several inventories goes to
-- the first (forest, grassland, wetland): one parcel is counted once, never once per inventory
claims AS (
    SELECT base_parcel_id, min(CASE category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END) AS first_rank
    FROM rows WHERE base_parcel_id IS NOT NULL AND (NOT has_base OR base_category = 'land') GROUP BY ALL
)
SELECT r.category, r._row_id, r.base_parcel_id,
       CASE
           WHEN getvariable('policy') = 'reject' THEN
               CASE WHEN NOT r.has_base OR r.base_category <> r.category OR p.base_parcel_id IS NOT NULL
                    THEN 'rejected' ELSE 'conformed' END
           WHEN getvariable('policy') = 'inventory-wins' THEN
               CASE WHEN NOT r.has_base
                    THEN CASE WHEN CASE r.category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END = c.first_rank
                              THEN 'added' ELSE 'set_aside' END   -- an empty base parcel id names nothing to add
                    WHEN r.base_category = 'land'
                         AND CASE r.category WHEN 'forest' THEN 1 WHEN 'grassland' THEN 2 ELSE 3 END = c.first_rank
                    THEN 'stands'
                    WHEN r.base_category <> r.category THEN 'set_aside'
                    ELSE 'stands' END
           ELSE CASE WHEN NOT r.has_base OR r.base_category <> r.category THEN 'set_aside' ELSE 'conformed' END
       END AS action,
       CASE WHEN NOT r.has_base THEN 'missing_base' WHEN r.base_category <> r.category THEN 'class_mismatch' END
           AS row_problem,
       -- the base parcel's side, carried so the resolved rows need one join, not two
       r.has_base, r.base_category, r.base_land_class, r.base_region_code, r.base_ownership,
       r.redline_share, r.farmland_share, r.protected_share
FROM rows r
LEFT JOIN parcel_problems p ON p.category = r.category AND p.base_parcel_id = r.base_parcel_id
LEFT JOIN claims c ON c.base_parcel_id = r.base_parcel_id
"""

# Conformed rows of one base parcel are scaled to its target area; the last row (by id) takes the remainder,
# so they add up to the target exactly. Only parcels whose rows do not already add up to the target are scaled
# (the conformed rows of a parcel are all its valid rows, so their total is the cover's valid_m2): the rows of
# every other parcel keep their area, and the window runs over the few parcels that need it.
CONFORMED_AREAS_SQL = """
CREATE TEMP TABLE conformed_areas AS
WITH conformed AS (
    SELECT r.category, r._row_id, r.base_parcel_id, r.parcel_id, r.area_m2, c.target_m2,
           sum(r.area_m2) OVER w AS total_m2,
           row_number() OVER (w ORDER BY r.parcel_id DESC, r._row_id DESC) = 1 AS is_last
    FROM rows r JOIN actions a USING (category, _row_id)
    JOIN (SELECT * FROM cover WHERE valid_m2 <> target_m2) c
      ON c.category = r.category AND c.parcel_id = r.base_parcel_id
    WHERE a.action = 'conformed'
    WINDOW w AS (PARTITION BY r.category, r.base_parcel_id)
),
scaled AS (
    SELECT *, CASE WHEN total_m2 = target_m2 THEN area_m2
                   WHEN total_m2 = 0 THEN CAST(0 AS DECIMAL(18, 2))
                   ELSE CAST(round(CAST(area_m2 AS DECIMAL(38, 10)) * target_m2 / total_m2, 2) AS DECIMAL(18, 2))
              END AS scaled_m2
    FROM conformed
)
SELECT category, _row_id,
       CASE WHEN is_last THEN CAST(target_m2 - (sum(scaled_m2) OVER (PARTITION BY category, base_parcel_id) - scaled_m2)
                                   AS DECIMAL(18, 2))
            ELSE scaled_m2 END AS resolved_m2
FROM scaled
"""


def _resolved_inventory_sql(category: str, columns: list[str]) -> str:
    """The rows the category's model values: conformed, standing or set aside, and synthetic rows for base parcels
    no inventory row describes (missing_inventory, base-map-wins and inventory-wins)."""
    own = OWNERSHIP_COLUMN[category]
    if category == "forest":
        out_of_scope = ("NOT coalesce(lo.is_state, false) AND NOT coalesce(tr.is_state, false)",
                        "LEFT JOIN ref_tree_ownership_codes tr ON tr.code = v.tree_ownership")
    else:
        out_of_scope = ("NOT coalesce(lo.is_state, false)", "")
    replaced = {"area_m2", "land_class", "region_code", own, "exclusion_reason"}
    kept = ", ".join(f"v.{c}" for c in columns if c not in replaced)
    synthetic = {c: "NULL" for c in columns}
    synthetic.update({
        "parcel_id": "b.parcel_id", "base_parcel_id": "b.parcel_id", "region_code": "b.region_code",
        "land_class": "b.land_class", "area_m2": "b.area_m2", own: "b.ownership", "exclusion_reason": "NULL",
        "_row_id": "NULL", "_source_file": "b._source_file", "_source_row": "b._source_row",
    })
    if category == "wetland":  # the wetland type of a wetland land class is the class itself (ref_wetland_types)
        synthetic["wetland_type"] = "regexp_replace(b.land_class, 'K$', '')"
    synthetic_select = ", ".join(f"{expr} AS {c}" for c, expr in synthetic.items())
    return f"""
        WITH base_side AS (
            SELECT v.*, a.action, a.row_problem, ca.resolved_m2,
                   a.base_land_class, a.base_region_code, a.base_ownership, a.has_base, a.base_category,
                   a.redline_share, a.farmland_share, a.protected_share
            FROM valid_{category} v
            JOIN actions a ON a.category = '{category}' AND a._row_id = v._row_id
            LEFT JOIN conformed_areas ca ON ca.category = '{category}' AND ca._row_id = v._row_id
            WHERE a.action <> 'rejected'
        ),
        resolved AS (
            SELECT {kept},
                   coalesce(resolved_m2, CAST(area_m2 AS DECIMAL(18, 2))) AS area_m2,  -- resolved_m2: conformed and scaled
                   CASE WHEN action = 'conformed' THEN base_land_class ELSE land_class END AS land_class,
                   CASE WHEN action IN ('conformed', 'stands') THEN base_region_code ELSE region_code END AS region_code,
                   CASE WHEN action IN ('conformed', 'stands') THEN base_ownership ELSE {own} END AS {own},
                   exclusion_reason AS validated_exclusion, action, row_problem, base_category,
                   redline_share, farmland_share, protected_share
            FROM base_side v
        ),
        scoped AS (
            -- scope follows the base map's ownership; a row validation had in scope that the base map puts out
            -- of scope stays among the valued rows as 'excluded', with the reason
            SELECT v.* EXCLUDE (action, row_problem, validated_exclusion, base_category),
                   CASE WHEN v.validated_exclusion IS NOT NULL AND {out_of_scope[0]} THEN v.validated_exclusion END
                       AS exclusion_reason,
                   CASE WHEN v.action = 'set_aside'
                        THEN 'inconsistent with the base map (' || v.row_problem || '): ' ||
                             CASE WHEN id_or_null(v.base_parcel_id) IS NULL THEN 'no base parcel id; nothing to count it on'
                                  WHEN getvariable('policy') = 'inventory-wins' AND v.row_problem = 'missing_base'
                                  THEN 'no such base parcel; another inventory claims it first (forest, grassland, wetland)'
                                  WHEN getvariable('policy') = 'inventory-wins' AND v.base_category = 'land'
                                  THEN 'another inventory claims the base parcel first (forest, grassland, wetland)'
                                  WHEN v.row_problem = 'missing_base' THEN 'no such base parcel; base map wins'
                                  ELSE 'the base map counts it as its own class; base map wins' END
                        WHEN v.validated_exclusion IS NULL AND {out_of_scope[0]}
                        THEN 'inconsistent with the base map (ownership_mismatch): the base map records collective '
                             || 'land; base map wins'
                   END AS consistency_exclusion,
                   f.findings AS consistency_findings,
                   v.action AS consistency_action
            FROM resolved v
            LEFT JOIN ref_ownership_codes lo ON lo.code = v.{own}
            {out_of_scope[1]}
            LEFT JOIN (SELECT parcel_id, base_parcel_id, string_agg(DISTINCT finding_type, ',' ORDER BY finding_type) AS findings
                       FROM findings WHERE category = '{category}' GROUP BY ALL) f
                   ON f.base_parcel_id IS NOT DISTINCT FROM id_or_null(v.base_parcel_id)
                  AND (f.parcel_id = v.parcel_id OR f.parcel_id IS NULL)
        )
        SELECT * FROM scoped
        UNION ALL BY NAME
        SELECT {synthetic_select}, NULL AS consistency_exclusion, 'missing_inventory' AS consistency_findings,
               'from_base_map' AS consistency_action, CAST(b.redline_share AS DECIMAL(18, 10)) AS redline_share,
               CAST(b.farmland_share AS DECIMAL(18, 10)) AS farmland_share,
               CAST(b.protected_share AS DECIMAL(18, 10)) AS protected_share
        FROM findings f JOIN base b ON b.parcel_id = f.base_parcel_id
        WHERE f.category = '{category}' AND f.finding_type = 'missing_inventory' AND b.is_state
          AND getvariable('policy') <> 'reject'
    """


# The base map as the policy leaves it, with the area the ledgers must hold for each parcel (counted_m2).
REJECTED_PARCELS_SQL = """
CREATE TEMP TABLE rejected_parcels AS
SELECT DISTINCT base_parcel_id AS parcel_id FROM findings
WHERE getvariable('policy') = 'reject' AND base_parcel_id IS NOT NULL
  AND finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base', 'missing_inventory')
"""
RESOLVED_BASE_SQL = """
CREATE TEMP TABLE resolved_base AS
WITH standing AS (   -- inventory-wins: rows whose area and class stand, per base parcel
    SELECT r.base_parcel_id, sum(r.area_m2) AS standing_m2, arg_min(r.land_class, r.parcel_id) AS claimed_class
    FROM rows r JOIN actions a USING (category, _row_id)
    WHERE a.action = 'stands' GROUP BY ALL
),
added AS (      -- inventory-wins: base parcels the inventories name but the base map lacks
    SELECT r.base_parcel_id AS parcel_id, arg_min(r.region_code, r.parcel_id) AS region_code,
           arg_min(r.land_class, r.parcel_id) AS land_class, sum(r.area_m2) AS area_m2,
           arg_min(r.ownership, r.parcel_id) AS ownership,
           arg_min(r._source_file, r.parcel_id) AS _source_file, arg_min(r._source_row, r.parcel_id) AS _source_row
    FROM rows r JOIN actions a USING (category, _row_id)
    WHERE a.action = 'added' GROUP BY ALL
),
adjusted AS (
    -- inventory-wins: the parcel takes its standing rows' total; where sibling rows were rejected it keeps at least
    -- its base area (the part the valid rows do not cover waits for the county's correction)
    SELECT b.parcel_id, b.area_m2 AS base_area_m2, b.land_class AS base_land_class,
           CASE WHEN s.base_parcel_id IS NULL THEN b.area_m2
                WHEN coalesce(c.rejected_rows, 0) > 0 THEN greatest(s.standing_m2, b.area_m2)
                ELSE s.standing_m2 END AS area_m2,
           CASE WHEN s.base_parcel_id IS NOT NULL AND b.category = 'land' THEN s.claimed_class ELSE b.land_class END
               AS land_class,
           c.parcel_id IS NOT NULL AS has_inventory_category, c.valid_rows, c.rejected_rows, c.target_m2,
           s.standing_m2, s.base_parcel_id IS NOT NULL AS stands
    FROM base b
    LEFT JOIN cover c ON c.parcel_id = b.parcel_id
    LEFT JOIN standing s ON s.base_parcel_id = b.parcel_id
    WHERE b.parcel_id NOT IN (SELECT parcel_id FROM rejected_parcels)
)
SELECT a.parcel_id, a.land_class, a.area_m2, a.base_area_m2, a.base_land_class,
       CASE
           WHEN a.stands THEN a.standing_m2                                      -- inventory-wins: the rows' area
           WHEN NOT a.has_inventory_category THEN a.area_m2                      -- land category: the land model
           WHEN a.valid_rows > 0 THEN a.target_m2                                -- conformed rows
           WHEN a.rejected_rows > 0 THEN 0                                       -- withheld: its rows were rejected
           ELSE a.area_m2                                                        -- missing_inventory: from the base map
       END AS counted_m2,
       false AS added
FROM adjusted a
UNION ALL
SELECT parcel_id, land_class, area_m2, CAST(NULL AS DECIMAL(18, 2)), NULL, area_m2, true FROM added
"""


def run_consistency(layout: YearLayout, policy: str = DEFAULT_POLICY,
                    area_tolerance: float = DEFAULT_AREA_TOLERANCE) -> ConsistencyResult:
    """Find the inconsistencies of the year, apply the policy and write the findings, the resolved rows the
    models value and (reject) the consistency rejects."""
    if policy not in POLICIES:
        raise ValueError(f"consistency policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    if not 0 <= area_tolerance < 1:
        raise ValueError(f"area tolerance must be a share in [0, 1), not {area_tolerance!r}")
    result = ConsistencyResult(policy=policy, area_tolerance=area_tolerance)
    with connect(layout.stages / "duckdb_tmp") as con:
        prepare(con, layout, {})
        _register(con, layout, policy, area_tolerance)
        con.execute(ACTIONS_SQL)
        con.execute(CONFORMED_AREAS_SQL)
        con.execute(REJECTED_PARCELS_SQL)
        con.execute(RESOLVED_BASE_SQL)
        _write_findings(con, layout)
        _write_resolved(con, layout)
        result.rejected_rows = _write_rejects(con, layout)
        for category, finding, n, area in con.execute(
            "SELECT category, finding_type, count(*), sum(area_m2) FROM findings GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            result.findings.setdefault(category, {})[finding] = n
            result.area_m2.setdefault(category, {})[finding] = area
    write_json(result.record(), layout.record("consistency", "findings"))
    return result


def _write_findings(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    query = f"""
        SELECT CAST($year AS INTEGER) AS year, f.region_code, f.category, f.finding_type, l.finding_zh, l.finding_en,
               f.base_parcel_id, f.parcel_id, f.area_m2, f.base_land_class, f.inventory_land_class, f.base_area_m2,
               f.inventory_area_m2, f.base_ownership, f.inventory_ownership, f.base_region_code,
               f.inventory_region_code, f.source_file, f.source_row,
               CASE
                   WHEN getvariable('policy') = 'reject' THEN 'rejected'
                   WHEN f.finding_type = 'missing_inventory' THEN 'counted from the base map, land part only'
                   WHEN getvariable('policy') = 'inventory-wins' AND f.finding_type = 'missing_base'
                       THEN coalesce((SELECT CASE a.action WHEN 'added' THEN 'inventory row stands; base parcel added'
                                                           ELSE 'inventory row set aside' END
                                      FROM actions a WHERE a.category = f.category AND a._row_id = f.inventory_row_id), '')
                   WHEN getvariable('policy') = 'inventory-wins' AND f.finding_type = 'class_mismatch'
                       THEN coalesce((SELECT CASE a.action WHEN 'stands' THEN 'inventory class stands; base parcel reclassified'
                                                           ELSE 'inventory row set aside' END
                                      FROM actions a WHERE a.category = f.category AND a._row_id = f.inventory_row_id), '')
                   WHEN getvariable('policy') = 'inventory-wins' AND f.finding_type = 'area_exceeds_base'
                       THEN 'inventory area stands; base parcel area adjusted'
                   WHEN f.finding_type IN ('missing_base', 'class_mismatch') THEN 'inventory row set aside'
                   WHEN f.finding_type = 'area_exceeds_base' THEN 'inventory area conformed to the base parcel'
                   ELSE 'base map value used'
               END AS action
        FROM findings f
        JOIN finding_labels l USING (finding_type)
        ORDER BY f.region_code, f.category, l.finding_order, f.base_parcel_id, f.parcel_id
    """
    with atomic_path(layout.inconsistencies) as tmp:
        con.execute(f"COPY ({query}) TO '{sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)", {"year": layout.year})


def _write_resolved(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    for category in INVENTORIES:
        columns = [r[0] for r in con.execute(f"DESCRIBE valid_{category}").fetchall()]
        with atomic_folder(layout.resolved(category)) as folder:
            con.execute(f"COPY ({_resolved_inventory_sql(category, columns)}) TO '{sql_path(folder / 'part-0.parquet')}' "
                        "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)")
    # The base map as the land model values it: only the parcels the policy changed, rejected or a finding names
    # are written (assets_pipeline/base_map.py lays them over the validated rows); counted_m2 is the area the step
    # means the ledgers to hold for the parcel (the audit trail; the blocking checks recompute it on their own).
    changes = """
        WITH changed AS (
            SELECT parcel_id, land_class, area_m2, counted_m2 FROM resolved_base
            WHERE NOT added AND (land_class IS DISTINCT FROM base_land_class OR area_m2 <> base_area_m2
                                 OR counted_m2 <> area_m2)
        ),
        found AS (
            SELECT base_parcel_id AS parcel_id, string_agg(DISTINCT finding_type, ',' ORDER BY finding_type) AS findings
            FROM findings WHERE base_parcel_id IS NOT NULL GROUP BY ALL
        ),
        named AS (
            SELECT parcel_id FROM changed UNION SELECT parcel_id FROM found UNION SELECT parcel_id FROM rejected_parcels
        )
        SELECT n.parcel_id, c.land_class, c.area_m2, c.counted_m2, f.findings AS consistency_findings,
               x.parcel_id IS NOT NULL AS rejected
        FROM named n
        LEFT JOIN changed c USING (parcel_id)
        LEFT JOIN found f USING (parcel_id)
        LEFT JOIN rejected_parcels x USING (parcel_id)
        ORDER BY n.parcel_id
    """
    land_columns = [r[0] for r in con.execute("DESCRIBE valid_land").fetchall()]
    added = ", ".join(
        {"region_code": "a.region_code", "ownership": "a.ownership", "_source_file": "a._source_file",
         "_source_row": "a._source_row", "exclusion_reason": "CASE WHEN NOT coalesce(o.is_state, false) "
         f"THEN '{EXCLUSION_REASONS['land']}' END"}.get(c, "NULL") + f" AS {c}"
        for c in land_columns if c not in ("parcel_id", "land_class", "area_m2")
    )
    added_query = f"""
        SELECT {added}, r.parcel_id, r.land_class, r.area_m2, r.base_area_m2, r.counted_m2, r.added,
               'missing_base' AS consistency_findings
        FROM resolved_base r
        JOIN (SELECT r.base_parcel_id, arg_min(r.region_code, r.parcel_id) AS region_code,
                     arg_min(r.ownership, r.parcel_id) AS ownership, arg_min(r._source_file, r.parcel_id) AS _source_file,
                     arg_min(r._source_row, r.parcel_id) AS _source_row
              FROM rows r JOIN actions x USING (category, _row_id) WHERE x.action = 'added' GROUP BY ALL) a
             ON a.base_parcel_id = r.parcel_id AND r.added
        LEFT JOIN ref_ownership_codes o ON o.code = a.ownership
        ORDER BY r.parcel_id
    """
    with atomic_folder(layout.resolved("land")) as folder:
        con.execute(f"COPY ({changes}) TO '{sql_path(folder / CHANGES)}' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY ({added_query}) TO '{sql_path(folder / ADDED)}' (FORMAT parquet, COMPRESSION zstd)")


def _write_rejects(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> dict[str, int]:
    """Under ``reject``: the rejected rows whole and one reject line each (rule ``consistency``)."""
    counts: dict[str, int] = {}
    for category in BASE_CATEGORIES:
        if category == "land":
            selected = """
                SELECT v.*, f.finding_type AS check_code, 'parcel_id' AS column_name, v.parcel_id AS value
                FROM valid_land v JOIN findings f ON f.base_parcel_id = v.parcel_id
                WHERE getvariable('policy') = 'reject'
                  AND f.finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base', 'missing_inventory')
                QUALIFY row_number() OVER (PARTITION BY v._row_id ORDER BY f.finding_type) = 1
            """
        else:
            selected = f"""
                SELECT v.*, coalesce(a.row_problem, (
                           SELECT min(f.finding_type) FROM findings f
                           WHERE f.category = '{category}' AND f.base_parcel_id = v.base_parcel_id
                             AND f.finding_type IN ('ownership_mismatch', 'county_mismatch', 'area_exceeds_base'))) AS check_code,
                       'base_parcel_id' AS column_name, v.base_parcel_id AS value
                FROM valid_{category} v JOIN actions a ON a.category = '{category}' AND a._row_id = v._row_id
                WHERE a.action = 'rejected'
            """
        con.execute(f"CREATE OR REPLACE TEMP TABLE rejected_now AS {selected}")
        n = con.execute("SELECT count(*) FROM rejected_now").fetchone()[0]
        counts[category] = n
        columns = [r[0] for r in con.execute(f"DESCRIBE rejected_{category}").fetchall()]
        with atomic_folder(layout.consistency_rejected_rows(category)) as rows_dir, \
                atomic_folder(layout.consistency_reject_lines(category)) as lines_dir:
            if not n:
                continue
            con.execute(f"COPY (SELECT {', '.join(columns)} FROM rejected_now) TO "
                        f"'{sql_path(rows_dir / 'part-consistency.parquet')}' (FORMAT parquet)")
            lines = f"""
                SELECT '{category}' AS category, _source_file AS source_file, CAST(_source_row AS BIGINT) AS source_row,
                       column_name AS "column", CAST(value AS VARCHAR) AS value, 'consistency' AS rule,
                       check_code AS "check",
                       '与统一底图不一致：' || l.finding_zh || '（' || check_code || '）' AS message_zh,
                       'inconsistent with the base map: ' || l.finding_en || ' (' || check_code || ')' AS message_en,
                       message_zh || ' / ' || message_en AS message,
                       CAST(_row_id AS BIGINT) AS _row_id
                FROM rejected_now JOIN finding_labels l ON l.finding_type = check_code ORDER BY _row_id
            """
            table = con.sql(lines).to_arrow_table().select(REJECT_SCHEMA.names).cast(REJECT_SCHEMA)
            pq.write_table(table, lines_dir / "part-consistency.parquet")
    return counts
