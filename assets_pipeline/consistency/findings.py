"""Find the inconsistent parcels (不一致图斑) between the base map and the forest, grassland and wetland
inventories (DOMAIN §2), from the validated rows (in scope and excluded alike) and the rows validation rejected.

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
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow as pa

from assets_pipeline.consistency.base_map import EMPTY_ID_MACRO
from assets_pipeline.consistency.overlay_inputs import register_links, register_zone_areas
from assets_pipeline.infra import sql
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.reference.snapshots import register_reference_views

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

# the tables the findings are made of, in order: the base map the checks concern, the inventory rows beside
# their base parcel, what each base parcel's inventory delivered, then the findings themselves
FINDING_STEPS = ("base_parcels", "inventory_rows", "cover", "findings")


def register_inputs(con: duckdb.DuckDBPyConnection, layout: YearLayout, policy: str, tolerance: float) -> None:
    """Views over the reference snapshots and the validated and rejected rows of the four base-map categories
    (``valid_<category>``, ``rejected_<category>``), the findings' labels, the run's policy and tolerance.

    Where the year has an overlay (DOMAIN §6, consistency/overlay_inputs.py), ``valid_land`` carries the adjusted
    zone areas of the parcels it measured, and the inventories' ``valid_<category>`` the base parcels it linked
    (``base_link`` says which rows); without one they are the validated rows as they are."""
    register_reference_views(con, layout)
    con.execute(EMPTY_ID_MACRO)
    for category in BASE_CATEGORIES:
        valid = part_files(layout.validated(category))
        if not valid:
            raise FileNotFoundError(f"{category}: no validated rows under {layout.validated(category)}")
        con.register(f"delivered_{category}", con.read_parquet([str(p) for p in valid]))
        if category == "land":
            register_zone_areas(con, layout, "delivered_land", "valid_land")
        else:
            register_links(con, layout, category, f"delivered_{category}", f"valid_{category}")
        rejected = part_files(layout.rejected_rows(category))
        if rejected:
            con.register(f"rejected_{category}", con.read_parquet([str(p) for p in rejected]))
        else:
            con.execute(f"CREATE TEMP VIEW rejected_{category} AS SELECT * FROM delivered_{category} LIMIT 0")
    con.register(
        "finding_labels",
        pa.table(
            {
                "finding_type": list(FINDINGS),
                "finding_zh": [v[0] for v in FINDINGS.values()],
                "finding_en": [v[1] for v in FINDINGS.values()],
                "finding_order": list(range(len(FINDINGS))),
            }
        ),
    )
    con.execute("SET VARIABLE policy = $p", {"p": policy})
    con.execute("SET VARIABLE tolerance = $t", {"t": str(Decimal(str(tolerance)))})


def find_inconsistencies(con: duckdb.DuckDBPyConnection) -> None:
    """The table ``findings``, one line per finding, and the tables it is made of (``base``, ``rows``,
    ``cover``), which the policy's resolution reads in turn."""
    for step in FINDING_STEPS:
        con.execute(sql.load(__file__, step))
