"""One base map, no double counting (DOMAIN §2): the consistency step, its report, and the checks that the
ledgers count the base map once."""

from decimal import Decimal

import dagster as dg

from assets_pipeline.consistency.base_map_checks import (
    COUNTY_HEADERS,
    PARCEL_HEADERS,
    CountyArea,
    ParcelExcess,
    base_map_figures,
    county_areas,
    parcels_over_their_area,
)
from assets_pipeline.consistency.findings import BASE_CATEGORIES
from assets_pipeline.consistency.findings_summary import counties_most_findings, findings_by_type
from assets_pipeline.consistency.resolve import run_consistency
from assets_pipeline.defs.inventory import validated_key
from assets_pipeline.defs.metadata import markdown_table
from assets_pipeline.defs.partitions import partition_layout, province_years
from assets_pipeline.defs.reference import reference_key
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ingest.deliveries import refused_categories
from assets_pipeline.publish.inconsistencies import write_inconsistency_workbook
from assets_pipeline.settings import AccountsSettings

CONSISTENCY = dg.AssetKey(["consistency"])
CONSISTENCY_REFERENCES = ["land_classes", "ownership_codes", "tree_ownership_codes", "admin_divisions", "wetland_types"]


@dg.asset(
    key=CONSISTENCY,
    group_name="consistency",
    partitions_def=province_years,
    deps=[validated_key(c) for c in BASE_CATEGORIES]
    + [reference_key(t) for t in CONSISTENCY_REFERENCES]
    + [dg.AssetKey(["overlay"])],
    kinds={"duckdb", "parquet", "excel"},
    description="不一致图斑 inconsistent parcels between the base map (land survey) and the forest, grassland and "
    "wetland inventories: inconsistencies.parquet and inconsistencies_<year>.xlsx, and the rows the models value "
    "after the run's consistency_policy (base-map-wins, inventory-wins or reject; assets_pipeline/consistency.py).",
    code_version="1",
)
def consistency(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
    layout = partition_layout(context, settings)
    result = run_consistency(
        layout,
        settings.consistency_policy,
        settings.area_tolerance,
        base_map_refused="land" in refused_categories(layout),
    )
    write_inconsistency_workbook(layout)
    by_type = findings_by_type(result)
    worst = counties_most_findings(layout)
    return dg.MaterializeResult(
        metadata={
            "policy": result.policy,
            "area_tolerance": result.area_tolerance,
            "dagster/row_count": sum(sum(c.values()) for c in result.findings.values()),
            "findings": dg.MetadataValue.md(
                markdown_table(["category", "finding", "不一致类型", "parcels", "area (亩)", "area (公顷)"], by_type)
            ),
            "counties_most_findings": dg.MetadataValue.md(
                markdown_table(["county", "findings", "area (亩)"], [(r, n, f"{a:,.2f}") for r, n, a in worst])
            ),
            "rejected_rows": dg.MetadataValue.json(result.rejected_rows),
            "inconsistencies": dg.MetadataValue.path(str(layout.inconsistencies)),
            "workbook": dg.MetadataValue.path(str(layout.inconsistencies_workbook)),
            # a year with an overlay: its pieces, zone areas and overlaps found (DOMAIN §6)
            **(
                {"spatial_findings": dg.MetadataValue.path(str(layout.spatial_findings))}
                if layout.spatial_findings.is_file()
                else {}
            ),
        }
    )


# Two blocking checks on ``ledger/physical`` (assets/ledger_assets.py), recomputed from the validated inputs
# (assets_pipeline/base_map_checks.py), never from the consistency step's resolved rows.
BASE_MAP_CHECKS = [
    (
        "no_double_counting",
        "per county, the state area over the land, forest, grassland and wetland ledgers = the "
        "validated base map's state area less consistency rejects and the area withheld by rejected inventory rows "
        "(inventory-wins: adjusted), recomputed from the validated survey and inventories (DOMAIN §2)",
    ),
    (
        "area_within_base_parcel",
        "per base parcel, the area the valued land, forest, grassland and wetland rows count "
        "on it does not exceed its surveyed area, to the cent of m² (inventory-wins: the valid total of the inventory "
        "standing on it) (DOMAIN §2)",
    ),
]


def base_map_check_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=asset_key, blocking=True, description=text) for name, text in BASE_MAP_CHECKS]


def base_map_checks(layout: YearLayout, asset_key: dg.AssetKey, policy: str) -> list[dg.AssetCheckResult]:
    counties, over = base_map_figures(layout, policy)
    return [area_balance_check(layout, asset_key, policy, counties), parcel_area_check(layout, asset_key, policy, over)]


def area_balance_check(
    layout: YearLayout, asset_key: dg.AssetKey, policy: str, rows: list[CountyArea] | None = None
) -> dg.AssetCheckResult:
    """No double counting (DOMAIN §2): per county, the state area over the land, forest, grassland and wetland
    ledgers equals the validated base map's state area less consistency rejects and withheld area, plus the
    inventory-wins adjustment, to the cent of m²."""
    rows = county_areas(layout, policy) if rows is None else rows
    differing = [r for r in rows if r.difference_m2]
    shown = sorted(differing, key=lambda r: -abs(r.difference_m2))[:30] if differing else rows[:30]
    total = [
        sum((getattr(r, f) for r in rows), Decimal(0))
        for f in (
            "base_m2",
            "collective_m2",
            "state_m2",
            "rejected_m2",
            "withheld_m2",
            "adjusted_m2",
            "expected_m2",
            "ledger_m2",
        )
    ]
    return dg.AssetCheckResult(
        check_name="no_double_counting",
        asset_key=asset_key,
        passed=not differing,
        metadata={
            "policy": policy,
            "counties": len(rows),
            "counties_differing": len(differing),
            "largest_difference_m2": str(max((abs(r.difference_m2) for r in rows), default=Decimal(0))),
            "province": dg.MetadataValue.md(markdown_table(COUNTY_HEADERS, [["province", *map(str, total)]])),
            "by_county": dg.MetadataValue.md(
                markdown_table(
                    COUNTY_HEADERS + ["difference (m²)"],
                    [
                        [
                            r.region_code,
                            str(r.base_m2),
                            str(r.collective_m2),
                            str(r.state_m2),
                            str(r.rejected_m2),
                            str(r.withheld_m2),
                            str(r.adjusted_m2),
                            str(r.expected_m2),
                            str(r.ledger_m2),
                            str(r.difference_m2),
                        ]
                        for r in shown
                    ],
                )
            ),
        },
    )


def parcel_area_check(
    layout: YearLayout, asset_key: dg.AssetKey, policy: str, over: list[ParcelExcess] | None = None
) -> dg.AssetCheckResult:
    """No base parcel counted beyond its area (DOMAIN §2): per base parcel, the area of the valued rows of the four
    categories on it is at most its surveyed area (inventory-wins: the inventory standing on it), to the cent."""
    over = parcels_over_their_area(layout, policy) if over is None else over
    return dg.AssetCheckResult(
        check_name="area_within_base_parcel",
        asset_key=asset_key,
        passed=not over,
        metadata={
            "policy": policy,
            "parcels_over": len(over),
            "excess_m2": str(sum((p.excess_m2 for p in over), Decimal(0))),
            "largest_excess_m2": str(over[0].excess_m2 if over else Decimal("0.00")),
            "worst_parcels": dg.MetadataValue.md(
                markdown_table(
                    PARCEL_HEADERS,
                    [
                        [
                            "(none)" if p.parcel_id is None else p.parcel_id,
                            p.region_code or "",
                            "" if p.base_m2 is None else str(p.base_m2),
                            str(p.allowed_m2),
                            str(p.counted_m2),
                            str(p.excess_m2),
                            p.land_rows,
                            p.forest_rows,
                            p.grassland_rows,
                            p.wetland_rows,
                        ]
                        for p in over[:30]
                    ],
                )
            ),
        },
    )


SCORECARD = dg.AssetKey(["scorecard"])


@dg.asset(
    key=SCORECARD,
    group_name="consistency",
    partitions_def=province_years,
    deps=[CONSISTENCY, dg.AssetKey(["rejects"]), dg.AssetKey(["ledger", "unpriced"])],
    kinds={"duckdb", "parquet"},
    description="scorecard.parquet: per county, the share of delivered rows rejected, inconsistent with the base map, "
    "unpriced and excluded, with the worst reject rules and finding types — which counties to call.",
    code_version="1",
)
def scorecard(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
    from assets_pipeline.publish.quality import build_scorecard
    from assets_pipeline.publish.scorecard import counties_to_call

    layout = partition_layout(context, settings)
    rows = build_scorecard(layout)
    headers, shown = counties_to_call(rows)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "counties_to_call": dg.MetadataValue.md(markdown_table(headers, shown)),
            "path": dg.MetadataValue.path(str(layout.scorecard)),
        }
    )
