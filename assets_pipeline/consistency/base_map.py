"""The resolved base map (DOMAIN §2): the validated land survey with the consistency step's changes laid over it.

The consistency step (consistency/resolve.py) changes few parcels of the base map: those whose class, area
or counted area the policy changed, those it rejected, and those a finding names. It writes only those, in
``_stages/resolved/land/``:

- ``changes.parquet``: parcel_id, land_class, area_m2, counted_m2 (the area the step means the ledgers to hold for
  the parcel, for the audit trail; the blocking checks recompute it from the validated files,
  consistency/base_map_checks.py), consistency_findings, rejected;
- ``added.parquet``: whole rows of the parcels inventory-wins adds to the base map (an inventory names them, the
  survey lacks them).

Rewriting ten million unchanged parcels would cost more than every check of the step together; instead, whoever
reads the resolved base map (the land model) joins the small change set to the validated rows here.
"""

from __future__ import annotations

import duckdb

from assets_pipeline.consistency.overlay_inputs import register_zone_areas
from assets_pipeline.infra import sql
from assets_pipeline.infra.layout import YearLayout, parts

CHANGES = "changes.parquet"
ADDED = "added.parquet"

# A base parcel id the delivery left empty names no parcel: null, blank, or the text a spreadsheet or a data frame
# prints for an empty cell ("NaN", "null", "None"). Such a row links to nothing (missing_base), whatever parcel ids
# the survey holds, and it names no parcel inventory-wins could add.
EMPTY_ID_MACRO = """
    CREATE OR REPLACE TEMP MACRO id_or_null(x) AS
    CASE WHEN lower(trim(CAST(x AS VARCHAR))) IN ('', 'nan', 'null', 'none') THEN NULL ELSE CAST(x AS VARCHAR) END
"""


def has_resolved_base_map(layout: YearLayout) -> bool:
    return (layout.resolved("land") / CHANGES).is_file()


def register_resolved_base_map(con: duckdb.DuckDBPyConnection, layout: YearLayout, name: str) -> None:
    """A view ``name`` of the base map as the consistency policy leaves it, one row per parcel, with the columns of
    the validated land survey (class and area as resolved) and base_area_m2 (as surveyed), counted_m2, added and
    consistency_findings."""
    folder = layout.resolved("land")
    views = {part: f"{name}_{part}" for part in ("validated", "changes", "added")}
    # the survey with the overlay's adjusted zone areas where it measured the parcel (DOMAIN §6)
    con.register(f"{name}_survey", con.read_parquet(parts(layout.validated("land"))))
    register_zone_areas(con, layout, f"{name}_survey", views["validated"])
    con.register(views["changes"], con.read_parquet(str(folder / CHANGES)))
    con.register(views["added"], con.read_parquet(str(folder / ADDED)))
    con.execute(
        sql.load(
            __file__,
            "resolved_base_map",
            view=sql.identifier(name),
            **{part: sql.identifier(view) for part, view in views.items()},
        )
    )
