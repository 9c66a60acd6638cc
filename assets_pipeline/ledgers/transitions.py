"""The land-use transition matrix (土地利用转移矩阵, DOMAIN §5): area from each land class (and land group) last
year to each this year, over the base map of both years (every state land-survey row, whatever its category)."""

from __future__ import annotations

from pathlib import Path

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.ledgers.both_years import open_both_years, previous_layout
from assets_pipeline.ledgers.ledger import roll_up_levels

NEW_MARKER, REMOVED_MARKER = "(new)", "(removed)"


def build_land_transitions(layout: YearLayout, out_path: Path) -> bool:
    """Write ``land_transitions.parquet``: area from each land class (and land group) last year to each this
    year, per county rolled up to city and province (m² exact, 公顷 published). No rows in the first year."""
    previous = previous_layout(layout)
    has_previous = previous is not None and previous.valued("land").exists() and layout.valued("land").exists()
    with connect(layout.stages / "duckdb_tmp") as con:
        if has_previous:
            open_both_years(con, layout, previous, ["land"])
            levels = roll_up_levels(["classification", "from_class", "to_class"], ["area_m2", "area_ha"])
            query = sql.load(__file__, "land_transitions", levels=levels)
        else:
            query = sql.query(__file__, "land_transitions_empty")
        with atomic_path(out_path) as tmp:
            con.execute(
                f"COPY ({query}) TO {sql.path_literal(tmp)} (FORMAT parquet, COMPRESSION zstd)", {"year": layout.year}
            )
    return has_previous


def transition_mismatches(layout: YearLayout) -> list[tuple]:
    """County × land class where the matrix's row (from) differs from last year's base-map area, or its
    column (to) from this year's (exact m²). Empty when the matrix adds up."""
    previous = YearLayout(layout.output_dir, layout.year - 1)
    with connect() as con:
        return con.execute(
            sql.query(__file__, "transition_mismatches"),
            {"m": str(layout.land_transitions), "l0": str(previous.valued("land")), "l1": str(layout.valued("land"))},
        ).fetchall()
