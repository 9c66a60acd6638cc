"""The overlay's blocking checks (DOMAIN §6), recounted from the files it wrote, never from what it held in memory:
adjusted pieces add up to the official areas at 0.01 m², shares lie in [0, 1], price weights add up to 1, and no
ground is counted twice (no overlapping base parcels).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.spatial.control_layers import ZONES
from assets_pipeline.spatial.pieces import INVENTORY_CATEGORIES

VIEW = "CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet({files}, union_by_name = true)"
# the rows the overlay must have measured: every validated row with geometry (inventories: those delivered without a
# base parcel's id, the rows it cuts), whatever the overlay wrote
AREAS = (
    "SELECT {category} AS category, v._row_id, v.area_m2 FROM read_parquet({files}, union_by_name = true) v "
    "SEMI JOIN read_parquet({geometry}) g ON g._row_id = v._row_id WHERE {unlinked}"
)
UNLINKED = "lower(trim(coalesce(v.base_parcel_id, ''))) IN ('', 'nan', 'null', 'none')"
NO_AREAS = "SELECT NULL::VARCHAR AS category, NULL::BIGINT AS _row_id, NULL::DOUBLE AS area_m2 WHERE false"


@dataclass
class OverlayFigures:
    """The checks' figures, recounted from ``_stages/overlay/``."""

    rows_not_adding_up: int  # inventory rows whose pieces miss their area
    parcels_not_adding_up: int  # base parcels whose zone areas miss their TBMJ or leave [0, TBMJ]
    weights_not_adding_up: int
    share_min: Decimal | None
    share_max: Decimal | None
    overlaps: int
    overlap_m2: Decimal


def _view(con: duckdb.DuckDBPyConnection, name: str, files: list) -> bool:
    if not files:
        return False
    con.execute(sql.render(VIEW, name=sql.identifier(name), files=sql.paths_literal(files)))
    return True


def register_validated_areas(con: duckdb.DuckDBPyConnection, layout: YearLayout) -> None:
    """View validated_areas: category, _row_id and area_m2 of the validated rows the overlay measures (with geometry;
    inventories: delivered without a base parcel's id)."""
    selects = [
        # the category goes in as a quoted literal (path_literal quotes any text)
        sql.render(
            AREAS,
            category=sql.path_literal(c),
            files=sql.paths_literal(part_files(layout.validated(c))),
            geometry=sql.paths_literal(part_files(layout.geometry(c))),
            unlinked=sql.Literal("true" if c == "land" else UNLINKED),
        )
        for c in ("land",) + INVENTORY_CATEGORIES
        if part_files(layout.validated(c)) and part_files(layout.geometry(c))
    ]
    con.execute("CREATE OR REPLACE TEMP VIEW validated_areas AS " + " UNION ALL ".join(selects or [NO_AREAS]))


def pieces_add_up(layout: YearLayout, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Inventory rows whose pieces' adjusted areas do not add up to the row's area at 0.01 m²."""
    con = con or connect(threads=1)
    pieces = layout.overlay / "pieces.parquet"
    register_validated_areas(con, layout)
    if not _view(con, "pieces", [pieces] if pieces.exists() else []):
        # no pieces written: every row the overlay should have cut is off
        return int(con.execute("SELECT count(*) FROM validated_areas WHERE category <> 'land'").fetchone()[0])
    return int(con.execute(sql.load(__file__, "pieces_add_up")).fetchone()[0])


def zone_areas_add_up(layout: YearLayout, con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, tuple]:
    """Base parcels whose zone areas miss their TBMJ or leave [0, TBMJ], and the smallest and largest share."""
    con = con or connect(threads=1)
    files = part_files(layout.overlay / "zone_areas")
    register_validated_areas(con, layout)
    if not _view(con, "zone_areas", files):
        # nothing written: every land row the overlay should have measured is off
        return int(con.execute("SELECT count(*) FROM validated_areas WHERE category = 'land'").fetchone()[0]), (
            None,
            None,
        )
    names = pq.read_schema(files[0]).names
    zones = [z for z in ZONES if f"{z}_share" in names]
    if not zones:  # no zone delivered: still, every measured parcel has its row and its TBMJ
        query = sql.load(__file__, "zone_areas_off", area=sql.identifier("area_m2"), share=sql.identifier("area_m2"))
        return int(con.execute(query).fetchone()[0]), (None, None)
    off, low, high = 0, None, None
    for zone in zones:  # a loop over the zones delivered
        query = sql.load(
            __file__, "zone_areas_off", area=sql.identifier(f"{zone}_area_m2"), share=sql.identifier(f"{zone}_share")
        )
        n, zmin, zmax = con.execute(query).fetchone()
        off += int(n)
        low = zmin if low is None or (zmin is not None and zmin < low) else low
        high = zmax if high is None or (zmax is not None and zmax > high) else high
    return off, (low, high)


def weights_add_up(layout: YearLayout, con: duckdb.DuckDBPyConnection | None = None) -> int:
    con = con or connect(threads=1)
    if not _view(con, "price_weights", part_files(layout.overlay / "price_weights")):
        return 0
    return int(con.execute(sql.load(__file__, "weights_off")).fetchone()[0])


def overlap_total(layout: YearLayout, con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, Decimal]:
    """How many pairs of base parcels overlap and the ground they count twice (m²)."""
    con = con or connect(threads=1)
    path = layout.overlay / "overlaps.parquet"
    if not _view(con, "overlap_pairs", [path] if path.exists() else []):
        return 0, Decimal("0.00")
    n, area = con.execute("SELECT count(*), coalesce(sum(overlap_m2), 0) FROM overlap_pairs").fetchone()
    return int(n), Decimal(area)


def overlay_figures(layout: YearLayout) -> OverlayFigures:
    """Every figure the overlay's checks judge, recounted from the written files with one connection."""
    con = connect(threads=1)
    parcels_off, (low, high) = zone_areas_add_up(layout, con)
    overlaps, overlap_m2 = overlap_total(layout, con)
    return OverlayFigures(
        rows_not_adding_up=pieces_add_up(layout, con),
        parcels_not_adding_up=parcels_off,
        weights_not_adding_up=weights_add_up(layout, con),
        share_min=low,
        share_max=high,
        overlaps=overlaps,
        overlap_m2=overlap_m2,
    )
