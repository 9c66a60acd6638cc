"""The overlay (DOMAIN §6): parcels delivered as layers against the control and price layers and each other, and
inventory polygons without a base-parcel id against the base map; between validation and consistency, with
blocking checks recounted from the files it wrote."""

import dagster as dg

from assets_pipeline.defs.inventory import validated_key
from assets_pipeline.defs.metadata import markdown_table
from assets_pipeline.defs.partitions import partition_input, partition_layout, province_years
from assets_pipeline.defs.reference import reference_key
from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.settings import AccountsSettings
from assets_pipeline.spatial.overlay import run_overlay
from assets_pipeline.spatial.overlay_checks import overlay_figures

OVERLAY = dg.AssetKey(["overlay"])
# the layers beside the inventories: inputs of the overlay in the lineage, their files and hashes observed by each run
ZONE_LAYERS = dg.AssetKey(["inputs", "zones"])
PRICE_LAYERS = dg.AssetKey(["inputs", "price_zones"])

control_layers = [
    dg.AssetSpec(
        ZONE_LAYERS,
        group_name="overlay",
        kinds={"gpkg"},
        description="控制线 control layers delivered with the year: <input-dir>/<year>/zones/ — 生态保护红线 redline, "
        "永久基本农田 basic_farmland, 自然保护地 protected_area, 核心保护区 protected_core, 城镇开发边界 urban_boundary, "
        "行政区 admin (DOMAIN §6)",
    ),
    dg.AssetSpec(
        PRICE_LAYERS,
        group_name="overlay",
        kinds={"gpkg"},
        description="基准地价 级别 price-level polygons per land use: <input-dir>/<year>/price_zones/ (DOMAIN §6)",
    ),
]

CHECKS = [
    (
        "pieces_add_up_to_official_area",
        "every inventory row's pieces add up to its area, and every base parcel's zone areas stay within [0, TBMJ], "
        "to 0.01 m² (平差), recounted from the written pieces and zone areas against the validated rows",
    ),
    ("shares_within_0_and_1", "every zone share and price weight lies in [0, 1]; each parcel's weights add up to 1"),
    (
        "no_ground_counted_twice",
        "no two base parcels of the land survey overlap (overlaps.parquet is empty): the same ground would be counted "
        "twice in the ledgers",
    ),
]


@dg.asset(
    key=OVERLAY,
    group_name="overlay",
    partitions_def=province_years,
    deps=[validated_key(c) for c in ("land", "forest", "grassland", "wetland")]
    + [reference_key(t) for t in ("land_classes", "ownership_codes")]
    + [ZONE_LAYERS, PRICE_LAYERS],
    kinds={"shapely", "parquet"},
    description="落图分析 the overlay of the year's layers (DOMAIN §6): each base parcel's share of each control zone "
    "(平差 to its TBMJ), its 基准地价 level or levels, inventory polygons linked to the base parcels under them with "
    "their pieces and findings, overlapping base parcels; _stages/overlay/. A year of tables writes only its record.",
    check_specs=[dg.AssetCheckSpec(name, asset=OVERLAY, blocking=True, description=text) for name, text in CHECKS],
)
def overlay(context: dg.AssetExecutionContext, settings: AccountsSettings):
    layout = partition_layout(context, settings)
    year = layout.year
    try:
        result = run_overlay(
            layout, partition_input(context, settings), year, settings.zone_tolerance, settings.crs or None
        )
    except InputFileError as exc:
        raise dg.Failure(description=str(exc), metadata={"problem": str(exc)}, allow_retries=False) from None
    for key, files in ((ZONE_LAYERS, list(result.zone_files.values())), (PRICE_LAYERS, result.price_files)):
        context.log_event(
            dg.AssetObservation(
                asset_key=key,
                metadata={
                    "year": year,
                    "files": dg.MetadataValue.md(
                        markdown_table(["file", "sha256"], [[f["file"], f["sha256"]] for f in files]) or "none"
                    ),
                    "input_sha256": dg.MetadataValue.json({f["file"]: f["sha256"] for f in files}),
                },
            )
        )
    yield dg.MaterializeResult(
        metadata={
            "counties": len(result.counties),
            "parcels": result.parcels,
            "zones": dg.MetadataValue.md(
                markdown_table(
                    ["zone", "file", "sha256"], [[z, f["file"], f["sha256"]] for z, f in result.zone_files.items()]
                )
                or "none delivered"
            ),
            "price_files": dg.MetadataValue.json(result.price_files),
            "zone_findings": result.zone_findings,
            "price_rules": dg.MetadataValue.json(result.price_rules),
            "overlaps": result.overlaps,
            "overlap_m2": str(result.overlap_m2),
            "pieces": result.pieces,
            "inconsistent_pieces": dg.MetadataValue.json(result.inconsistent_pieces),
            "inconsistent_m2": dg.MetadataValue.json({k: str(v) for k, v in result.inconsistent_m2.items()}),
            "linked_rows": dg.MetadataValue.json(result.linked_rows),
            "seconds": result.seconds,
            "path": dg.MetadataValue.path(str(layout.overlay)),
        }
    )
    figures = overlay_figures(layout)
    yield dg.AssetCheckResult(
        check_name="pieces_add_up_to_official_area",
        passed=figures.rows_not_adding_up == 0 and figures.parcels_not_adding_up == 0,
        metadata={
            "inventory_rows_not_adding_up": figures.rows_not_adding_up,
            "base_parcels_not_adding_up": figures.parcels_not_adding_up,
        },
    )
    low, high = figures.share_min, figures.share_max
    yield dg.AssetCheckResult(
        check_name="shares_within_0_and_1",
        passed=(low is None or low >= 0) and (high is None or high <= 1) and figures.weights_not_adding_up == 0,
        metadata={
            "share_min": "" if low is None else str(low),
            "share_max": "" if high is None else str(high),
            "parcels_whose_weights_miss_1": figures.weights_not_adding_up,
        },
    )
    yield dg.AssetCheckResult(
        check_name="no_ground_counted_twice",
        passed=figures.overlaps == 0,
        metadata={"overlapping_pairs": figures.overlaps, "overlap_m2": str(figures.overlap_m2)},
    )


LAYERS_BACK = dg.AssetKey(["layers", "valued"])


@dg.asset(
    key=LAYERS_BACK,
    group_name="overlay",
    partitions_def=province_years,
    deps=[OVERLAY, dg.AssetKey(["consistency"])]
    + [dg.AssetKey([c, "valued"]) for c in ("land", "forest", "grassland", "wetland")],
    kinds={"gpkg", "parquet"},
    description="Layers and maps handed back (DOMAIN §6): per county a GeoPackage and a FileGDB of the valued parcels "
    "and the inconsistent pieces (to_counties/), every valued parcel as GeoParquet (layers/valued_parcels.parquet), "
    "and the maps of value per 公顷 and inconsistent area by county (maps/*.png, also in the report). A year of "
    "tables writes none.",
)
def layers_back(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
    from assets_pipeline.publish.layers import write_layers
    from assets_pipeline.publish.maps import draw_maps
    from assets_pipeline.spatial.overlay_inputs import has_geometry

    layout = partition_layout(context, settings)
    written = write_layers(layout, partition_input(context, settings))
    drawn = (
        draw_maps(layout, partition_input(context, settings), settings.lang)
        if any(has_geometry(layout, c) for c in ("land", "forest", "grassland", "wetland"))
        else None
    )
    return dg.MaterializeResult(
        metadata={
            "counties": len(written.counties),
            "parcels": written.parcels,
            "inconsistent_pieces": written.pieces,
            "geopackages": len(written.geopackages),
            "filegdbs": len(written.filegdbs),
            "geoparquet": dg.MetadataValue.path(str(written.geoparquet)) if written.geoparquet else "none",
            "maps": dg.MetadataValue.json({k: str(v) for k, v in (drawn.maps if drawn else {}).items()}),
            "map_boundaries": (drawn.boundaries or "") if drawn else "",
            "map_notes": dg.MetadataValue.json(drawn.notes if drawn else []),
        }
    )
