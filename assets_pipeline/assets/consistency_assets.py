"""One base map, no double counting (DOMAIN §2): the consistency step, its report, and the area balance check."""

from decimal import Decimal

import dagster as dg

from ..consistency import BALANCE_HEADERS, BASE_CATEGORIES, FINDINGS, area_balance, run_consistency
from ..duck import connect
from ..layout import YearLayout
from ..metadata import markdown_table
from ..partitions import accounting_years
from ..report_inconsistencies import write_inconsistency_workbook
from ..settings import AccountsSettings
from .inventory_assets import validated_key
from .reference_assets import reference_key

CONSISTENCY = dg.AssetKey(["consistency"])
CONSISTENCY_REFERENCES = ["land_classes", "ownership_codes", "tree_ownership_codes", "admin_divisions", "wetland_types"]


@dg.asset(
    key=CONSISTENCY,
    group_name="consistency",
    partitions_def=accounting_years,
    deps=[validated_key(c) for c in BASE_CATEGORIES] + [reference_key(t) for t in CONSISTENCY_REFERENCES],
    kinds={"duckdb", "parquet", "excel"},
    description="不一致图斑 inconsistent parcels between the base map (land survey) and the forest, grassland and "
    "wetland inventories: inconsistencies.parquet and inconsistencies_<year>.xlsx, and the rows the models value "
    "after the run's consistency_policy (base-map-wins, inventory-wins or reject; assets_pipeline/consistency.py).",
    code_version="1",
)
def consistency(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
    layout = YearLayout(settings.output_path(), int(context.partition_key))
    result = run_consistency(layout, settings.consistency_policy, settings.area_tolerance)
    write_inconsistency_workbook(layout)
    by_type = [
        (category, code, FINDINGS[code][0], n, f"{result.area_m2[category][code] * Decimal('0.0015'):,.2f}",
         f"{result.area_m2[category][code] * Decimal('0.0001'):,.4f}")
        for category, counts in result.findings.items() for code, n in counts.items()
    ]
    with connect() as con:
        worst = con.execute(
            "SELECT region_code, count(*), CAST(sum(area_m2) * 0.0015 AS DECIMAL(38, 2)) FROM read_parquet($p) "
            "GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 20", {"p": str(layout.inconsistencies)}).fetchall()
    return dg.MaterializeResult(
        metadata={
            "policy": result.policy,
            "area_tolerance": result.area_tolerance,
            "dagster/row_count": sum(sum(c.values()) for c in result.findings.values()),
            "findings": dg.MetadataValue.md(markdown_table(
                ["category", "finding", "不一致类型", "parcels", "area (亩)", "area (公顷)"], by_type)),
            "counties_most_findings": dg.MetadataValue.md(markdown_table(
                ["county", "findings", "area (亩)"], [(r, n, f"{a:,.2f}") for r, n, a in worst])),
            "rejected_rows": dg.MetadataValue.json(result.rejected_rows),
            "inconsistencies": dg.MetadataValue.path(str(layout.inconsistencies)),
            "workbook": dg.MetadataValue.path(str(layout.inconsistencies_workbook)),
        }
    )


def area_balance_check(layout: YearLayout, asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    """No double counting (DOMAIN §2): per county, the state area over the land, forest, grassland and wetland
    ledgers equals the base map's state area less rejects (as the consistency policy left it), to the cent of m²."""
    rows = area_balance(layout)
    differing = [r for r in rows if r[5] != r[6]]
    shown = differing[:30] if differing else rows[:30]
    return dg.AssetCheckResult(
        check_name="no_double_counting", asset_key=asset_key, passed=not differing,
        metadata={
            "counties": len(rows),
            "counties_differing": len(differing),
            "largest_difference_m2": str(max((abs(r[6] - r[5]) for r in rows), default=Decimal(0))),
            "by_county": dg.MetadataValue.md(markdown_table(BALANCE_HEADERS, [[str(v) for v in r] for r in shown])),
        },
    )


SCORECARD = dg.AssetKey(["scorecard"])


@dg.asset(
    key=SCORECARD,
    group_name="consistency",
    partitions_def=accounting_years,
    deps=[CONSISTENCY, dg.AssetKey(["rejects"]), dg.AssetKey(["ledger", "unpriced"])],
    kinds={"duckdb", "parquet"},
    description="scorecard.parquet: per county, the share of delivered rows rejected, inconsistent with the base map, "
    "unpriced and excluded, with the worst reject rules and finding types — which counties to call.",
    code_version="1",
)
def scorecard(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
    from ..report_quality import SCORECARD_COLUMNS, build_scorecard

    layout = YearLayout(settings.output_path(), int(context.partition_key))
    rows = build_scorecard(layout)
    percent = {3, 4, 5, 6, 7}
    shown = [[f"{v:.2%}" if i in percent else ("" if v is None else v) for i, v in enumerate(r)] for r in rows[:20]]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "counties_to_call": dg.MetadataValue.md(markdown_table([zh for _, zh, _ in SCORECARD_COLUMNS], shown)),
            "path": dg.MetadataValue.path(str(layout.scorecard)),
        }
    )
