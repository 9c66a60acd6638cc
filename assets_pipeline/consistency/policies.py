"""Resolve the findings as the run's policy says (DOMAIN §2): what becomes of each inventory row, the areas of the
conformed rows, the base parcels rejected whole and the base map as the policy leaves it, with the area withheld
or adjusted on each parcel.

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
"""

from __future__ import annotations

import duckdb

from assets_pipeline.infra import sql

POLICIES = ("base-map-wins", "inventory-wins", "reject")
DEFAULT_POLICY = "base-map-wins"

# the tables of the resolution, in order (each .sql file says what it computes): what the policy does with each
# inventory row, the areas of the conformed rows, the base parcels rejected whole, the resolved base map
RESOLUTION_STEPS = ("actions", "conformed_areas", "rejected_parcels", "resolved_base")


def apply_policy(con: duckdb.DuckDBPyConnection) -> None:
    """The tables ``actions``, ``conformed_areas``, ``rejected_parcels`` and ``resolved_base`` from the findings,
    under the policy set as the variable ``policy``."""
    for step in RESOLUTION_STEPS:
        con.execute(sql.load(__file__, step))
