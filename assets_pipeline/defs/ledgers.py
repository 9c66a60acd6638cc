"""The year's ledgers, workbook and manifest (DOMAIN §5), with the checks that guard publication."""

from decimal import Decimal

import dagster as dg
import pyarrow.parquet as pq

from assets_pipeline.defs.balance import BALANCE_KEYS
from assets_pipeline.defs.consistency import SCORECARD, base_map_check_specs, base_map_checks
from assets_pipeline.defs.metadata import file_data_version, markdown_table, table_schema
from assets_pipeline.defs.partitions import partition_layout, province_years
from assets_pipeline.defs.rejects import rejects
from assets_pipeline.defs.valuation import valued_key
from assets_pipeline.infra.storage import write_json
from assets_pipeline.ledgers.breakdowns import breakdown_mismatches, build_breakdowns
from assets_pipeline.ledgers.ledger import build_ledgers, write_unpriced
from assets_pipeline.ledgers.published_totals import (
    detail_sums,
    province_physical_preview,
    province_value_totals,
    row_count,
)
from assets_pipeline.publish.manifest import build_manifest
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.settings import AccountsSettings

LEDGER_PHYSICAL = dg.AssetKey(["ledger", "physical"])
LEDGER_VALUE = dg.AssetKey(["ledger", "value"])
UNPRICED = dg.AssetKey(["ledger", "unpriced"])
LEDGER_BREAKDOWNS = dg.AssetKey(["ledger", "breakdowns"])
REPORT = dg.AssetKey(["report"])
MANIFEST = dg.AssetKey(["manifest"])


def _schema(path) -> dg.TableSchema:
    return table_schema(pq.read_schema(path))


@dg.multi_asset(
    name="ledgers",
    specs=[
        dg.AssetSpec(
            LEDGER_PHYSICAL,
            deps=[valued_key(c) for c in CATEGORIES],
            group_name="ledgers",
            kinds={"duckdb", "parquet"},
            description="ledger_physical.parquet: quantities per year × region (county → city → province) × "
            "category × item × exercising subject × indicator, published to 2 decimals (DOMAIN §5).",
        ),
        dg.AssetSpec(
            LEDGER_VALUE,
            deps=[valued_key(c) for c in CATEGORIES],
            group_name="ledgers",
            kinds={"duckdb", "parquet"},
            description="ledger_value.parquet: values in 万元 per year × region × category × item × subject × "
            "component; published cells rounded half-up, totals are sums of published cells (DOMAIN §5).",
        ),
        dg.AssetSpec(
            UNPRICED,
            deps=[valued_key(c) for c in CATEGORIES],
            group_name="ledgers",
            kinds={"parquet"},
            description="unpriced.parquet: every in-scope row without a price, with its key and reason.",
        ),
        dg.AssetSpec(
            LEDGER_BREAKDOWNS,
            deps=[valued_key(c) for c in ("land", "forest")],
            group_name="ledgers",
            kinds={"duckdb", "parquet"},
            description="breakdown_physical.parquet and breakdown_value.parquet: forest 0301 by age group, "
            "land items by land group with the groups' subtotals; parts that add up to the ledger cells "
            "(DOMAIN §5).",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "detail_sums_equal_ledger",
            asset=LEDGER_VALUE,
            blocking=True,
            description="sum of the valued rows = sum of the ledger's county cells, exactly; the "
            "province's published total = the sum of its counties' published cells",
        ),
        *base_map_check_specs(LEDGER_PHYSICAL),
        dg.AssetCheckSpec(
            "breakdowns_add_up",
            asset=LEDGER_BREAKDOWNS,
            blocking=True,
            description="the age-group and land-group parts of each ledger cell add up to it, published "
            "and unrounded; each group's subtotal is the sum of its parts",
        ),
    ],
    partitions_def=province_years,
)
def ledgers(context: dg.AssetExecutionContext, settings: AccountsSettings):
    layout = partition_layout(context, settings)
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value)
    unpriced = write_unpriced(layout, layout.unpriced)
    build_breakdowns(layout, layout.breakdown_physical, layout.breakdown_value)
    totals = province_value_totals(layout)
    physical_preview = province_physical_preview(layout)
    rows_physical, rows_value = row_count(layout.ledger_physical), row_count(layout.ledger_value)
    lineage = dg.TableColumnLineage(
        deps_by_column={
            "value_wan_yuan": [
                dg.TableColumnDep(asset_key=valued_key(c), column_name="value_yuan") for c in CATEGORIES
            ],
            "value_wan_yuan_unrounded": [
                dg.TableColumnDep(asset_key=valued_key(c), column_name="value_yuan") for c in CATEGORIES
            ],
        }
    )
    yield dg.MaterializeResult(
        asset_key=LEDGER_PHYSICAL,
        data_version=file_data_version(layout.ledger_physical),
        metadata={
            "dagster/row_count": rows_physical,
            "path": dg.MetadataValue.path(str(layout.ledger_physical)),
            "dagster/column_schema": _schema(layout.ledger_physical),
            "province_preview": dg.MetadataValue.md(
                markdown_table(
                    ["category", "item", "indicator", "unit", "quantity"],
                    [(*r[:4], float(r[4])) for r in physical_preview],
                )
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=LEDGER_VALUE,
        data_version=file_data_version(layout.ledger_value),
        metadata={
            "dagster/row_count": rows_value,
            "path": dg.MetadataValue.path(str(layout.ledger_value)),
            "dagster/column_schema": _schema(layout.ledger_value),
            "dagster/column_lineage": lineage,
            "province_total_wan_yuan": float(sum((t[2] for t in totals), Decimal(0))),
            "province_totals": dg.MetadataValue.md(
                markdown_table(["category", "component", "万元"], [(c, k, f"{v:,.2f}") for c, k, v in totals])
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=UNPRICED,
        data_version=file_data_version(layout.unpriced),
        metadata={"dagster/row_count": unpriced, "path": dg.MetadataValue.path(str(layout.unpriced))},
    )
    mismatches, compared = breakdown_mismatches(layout, layout.breakdown_physical, layout.breakdown_value)
    yield dg.MaterializeResult(
        asset_key=LEDGER_BREAKDOWNS,
        metadata={
            "paths": dg.MetadataValue.json([str(layout.breakdown_physical), str(layout.breakdown_value)]),
            "dagster/column_schema": _schema(layout.breakdown_value),
        },
    )
    yield dg.AssetCheckResult(
        check_name="breakdowns_add_up",
        asset_key=LEDGER_BREAKDOWNS,
        passed=not mismatches,
        metadata={
            "ledger_cells_compared": compared,
            "mismatches": len(mismatches),
            "first_mismatches": dg.MetadataValue.md(
                markdown_table(
                    [
                        "ledger",
                        "region",
                        "category",
                        "item",
                        "subject",
                        "indicator / component",
                        "breakdown",
                        "cell (published)",
                        "parts (published)",
                        "cell (unrounded)",
                        "parts (unrounded)",
                    ],
                    [tuple(str(v) for v in m) for m in mismatches[:50]],
                )
            ),
        },
    )
    yield from base_map_checks(layout, LEDGER_PHYSICAL, settings.consistency_policy)
    sums = detail_sums(layout)
    exact_ok = all(detail == county_exact for _, detail, county_exact, _, _ in sums)
    published_ok = all(county_pub == province_pub for _, _, _, county_pub, province_pub in sums)
    yield dg.AssetCheckResult(
        check_name="detail_sums_equal_ledger",
        asset_key=LEDGER_VALUE,
        passed=exact_ok and published_ok,
        metadata={
            "by_category": dg.MetadataValue.md(
                markdown_table(
                    [
                        "category",
                        "rows (万元, exact)",
                        "county cells (exact)",
                        "county cells (published)",
                        "province (published)",
                    ],
                    [(c, str(a), str(b), str(p), str(q)) for c, a, b, p, q in sums],
                )
            )
        },
    )


@dg.asset(
    key=REPORT,
    group_name="ledgers",
    partitions_def=province_years,
    deps=[
        LEDGER_PHYSICAL,
        LEDGER_VALUE,
        UNPRICED,
        LEDGER_BREAKDOWNS,
        rejects.key,
        *BALANCE_KEYS,
        SCORECARD,
        dg.AssetKey(["layers", "valued"]),
    ],
    kinds={"excel"},
    description="report_<year>.xlsx: cover (inputs, reference tables, models, reconciliation), summary with chart, "
    "physical and value ledgers of each category as an accountant reads them (province → city → county).",
    check_specs=[
        dg.AssetCheckSpec(
            "excel_totals_equal_parquet",
            asset=REPORT,
            blocking=True,
            description='each value sheet\'s province total and its "of which" figures, read '
            "back from the .xlsx, equal the ledger Parquet's province totals to the cent",
        )
    ],
)
def report(context: dg.AssetExecutionContext, settings: AccountsSettings):
    from assets_pipeline.publish.manifest import cover_info
    from assets_pipeline.publish.report import write_report
    from assets_pipeline.publish.report_totals import report_totals_against_ledger

    layout = partition_layout(context, settings)
    cover = cover_info(layout, settings, context.run.run_id)
    write_report(layout, cover, lang=settings.lang)
    rows, passed = report_totals_against_ledger(layout)
    yield dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(layout.report())), "language": settings.lang},
        data_version=file_data_version(layout.report()),
    )
    yield dg.AssetCheckResult(
        check_name="excel_totals_equal_parquet",
        asset_key=REPORT,
        passed=passed,
        metadata={
            "totals": dg.MetadataValue.md(
                markdown_table(["category", "of which", "Parquet (万元)", "Excel (万元)"], rows)
            )
        },
    )


@dg.asset(
    key=MANIFEST,
    group_name="ledgers",
    partitions_def=province_years,
    deps=[REPORT],
    kinds={"json"},
    description="manifest.json: everything needed to reproduce the run — inputs and reference tables with SHA-256, "
    "model versions, parameters, package versions, row counts, totals.",
)
def manifest(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
    layout = partition_layout(context, settings)
    document = build_manifest(layout, settings, context.run.run_id)
    write_json(document, layout.manifest)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(document["content_sha256"]),
        metadata={
            "path": dg.MetadataValue.path(str(layout.manifest)),
            "content_sha256": document["content_sha256"],
            "packages": dg.MetadataValue.json(document["packages"]),
        },
    )
