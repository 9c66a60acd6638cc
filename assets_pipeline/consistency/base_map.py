"""The resolved base map (DOMAIN §2): the validated land survey with the consistency step's changes laid over it.

The consistency step (assets_pipeline/consistency.py) changes few parcels of the base map: those whose class, area
or counted area the policy changed, those it rejected, and those a finding names. It writes only those, in
``_stages/resolved/land/``:

- ``changes.parquet``: parcel_id, land_class, area_m2, counted_m2 (the area the step means the ledgers to hold for
  the parcel, for the audit trail; the blocking checks recompute it from the validated files,
  assets_pipeline/base_map_checks.py), consistency_findings, rejected;
- ``added.parquet``: whole rows of the parcels inventory-wins adds to the base map (an inventory names them, the
  survey lacks them).

Rewriting ten million unchanged parcels would cost more than every check of the step together; instead, whoever
reads the resolved base map (the land model) joins the small change set to the validated rows here.
"""

from __future__ import annotations

import duckdb

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
    con.register(f"{name}_validated", con.read_parquet(parts(layout.validated("land"))))
    con.register(f"{name}_changes", con.read_parquet(str(folder / CHANGES)))
    con.register(f"{name}_added", con.read_parquet(str(folder / ADDED)))
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {name} AS
        SELECT v.* REPLACE (coalesce(c.land_class, v.land_class) AS land_class,
                            coalesce(c.area_m2, CAST(v.area_m2 AS DECIMAL(18, 2))) AS area_m2),
               CAST(v.area_m2 AS DECIMAL(18, 2)) AS base_area_m2,
               coalesce(c.counted_m2, CAST(v.area_m2 AS DECIMAL(18, 2))) AS counted_m2,
               false AS added, c.consistency_findings
        FROM {name}_validated v
        LEFT JOIN {name}_changes c ON c.parcel_id = v.parcel_id
        WHERE c.rejected IS NOT TRUE
        UNION ALL BY NAME
        SELECT * FROM {name}_added
    """)
