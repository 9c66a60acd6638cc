"""What the consistency step writes, from the findings and the policy's resolution: the inconsistencies, the rows the
valuation models value (``_stages/resolved/``) and, under ``reject``, the consistency rejects."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from assets_pipeline.consistency.base_map import ADDED, CHANGES
from assets_pipeline.consistency.findings import BASE_CATEGORIES, INVENTORIES, OWNERSHIP_COLUMN
from assets_pipeline.consistency.overlay_inputs import has_overlay_findings, register_overlay_findings
from assets_pipeline.infra import sql
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_folder, atomic_path
from assets_pipeline.validate.rejects import REJECT_SCHEMA
from assets_pipeline.validate.rows import EXCLUSION_REASONS


def write_findings(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """``inconsistencies.parquet``: one line per finding, with both sides' values and what the policy did; and for a
    year with an overlay, ``spatial_findings.parquet``: its pieces, zone areas and overlaps found (DOMAIN §6), a
    file of its own since they are pieces and pairs of parcels, not inventory rows the policy resolves."""
    with atomic_path(layout.inconsistencies) as tmp:
        con.execute(sql.load(__file__, "inconsistencies", path=sql.path_literal(tmp)), {"year": layout.year})
    if not has_overlay_findings(layout):
        layout.spatial_findings.unlink(missing_ok=True)  # a tables-only year: none, not last run's
        return
    register_overlay_findings(con, layout)
    with atomic_path(layout.spatial_findings) as tmp:
        con.execute(sql.load(__file__, "spatial_findings", path=sql.path_literal(tmp)), {"year": layout.year})


def write_resolved(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """The rows each inventory's model values, and the base map's changes the land model lays over the survey."""
    con.execute(sql.load(__file__, "from_base_map"))
    # the wetland type of a wetland land class is the class itself (ref_wetland_types)
    con.execute(
        "CREATE TEMP VIEW from_base_map_wetland AS "
        "SELECT *, regexp_replace(land_class, 'K$', '') AS wetland_type FROM from_base_map"
    )
    for category in INVENTORIES:
        from_base_map = "from_base_map_wetland" if category == "wetland" else "from_base_map"
        with atomic_folder(layout.resolved(category)) as folder:
            con.execute(
                sql.load(
                    __file__,
                    "resolved_inventory",
                    inventory=sql.identifier(f"valid_{category}"),
                    own=sql.identifier(OWNERSHIP_COLUMN[category]),
                    from_base_map=sql.identifier(from_base_map),
                    path=sql.path_literal(folder / "part-0.parquet"),
                ),
                {"category": category},
            )
    # The base map as the land model values it: only the parcels the policy changed, rejected or a finding names
    # are written (consistency/base_map.py lays them over the validated rows); counted_m2 is the area the step
    # means the ledgers to hold for the parcel (the audit trail; the blocking checks recompute it on their own).
    with atomic_folder(layout.resolved("land")) as folder:
        con.execute(sql.load(__file__, "base_map_changes", path=sql.path_literal(folder / CHANGES)))
        con.execute(
            sql.load(__file__, "base_map_added", path=sql.path_literal(folder / ADDED)),
            {"exclusion_reason": EXCLUSION_REASONS["land"]},
        )


def write_rejects(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> dict[str, int]:
    """Under ``reject``: the rejected rows whole and one reject line each (rule ``consistency``)."""
    counts: dict[str, int] = {}
    for category in BASE_CATEGORIES:
        if category == "land":
            con.execute(sql.load(__file__, "rejected_land"))
        else:
            con.execute(
                sql.load(__file__, "rejected_inventory", inventory=sql.identifier(f"valid_{category}")),
                {"category": category},
            )
        n = con.execute("SELECT count(*) FROM rejected_now").fetchone()[0]
        counts[category] = n
        columns = [r[0] for r in con.execute(f"DESCRIBE rejected_{category}").fetchall()]
        with (
            atomic_folder(layout.consistency_rejected_rows(category)) as rows_dir,
            atomic_folder(layout.consistency_reject_lines(category)) as lines_dir,
        ):
            if not n:
                continue
            # the rejected rows with the columns of the rows validation rejected, so they gather into one file
            selected = ", ".join(sql.identifier(c) for c in columns)
            con.execute(
                f"COPY (SELECT {selected} FROM rejected_now) TO "
                f"{sql.path_literal(rows_dir / 'part-consistency.parquet')} (FORMAT parquet)"
            )
            lines = con.sql(sql.load(__file__, "reject_lines"), params={"category": category}).to_arrow_table()
            pq.write_table(
                lines.select(REJECT_SCHEMA.names).cast(REJECT_SCHEMA), lines_dir / "part-consistency.parquet"
            )
    return counts
