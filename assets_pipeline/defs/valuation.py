"""Per category: the validated inventory valued by its SQL model (DOMAIN §4), with its checks."""

import dagster as dg
import pyarrow.parquet as pq

from assets_pipeline.consistency.findings import BASE_CATEGORIES
from assets_pipeline.defs.consistency import CONSISTENCY
from assets_pipeline.defs.inventory import delivery_accepted, validated_key
from assets_pipeline.defs.metadata import markdown_table, table_schema
from assets_pipeline.defs.partitions import partition_layout, province_years
from assets_pipeline.defs.reference import reference_key
from assets_pipeline.infra.storage import write_json
from assets_pipeline.ledgers.ledger import write_unpriced
from assets_pipeline.schema.categories import CATEGORIES, CATEGORY_NAMES_ZH
from assets_pipeline.settings import AccountsSettings
from assets_pipeline.valuation.models import MODELS_DIR, Model, ValuationParameterError, value_category
from assets_pipeline.valuation.unpriced import summarize_valued_rows, worst_unpriced_counties

# Reference tables each model reads (lineage in the asset graph).
MODEL_REFERENCES: dict[str, list[str]] = {
    "land": [
        "land_classes",
        "land_base_prices",
        "land_date_corrections",
        "land_plot_ratio_corrections",
        "land_parameters",
        "supply_methods",
    ],
    "forest": [
        "forest_species",
        "forest_land_prices",
        "timber_prices",
        "bamboo_prices",
        "ownership_codes",
        "tree_ownership_codes",
    ],
    "grassland": ["grassland_prices"],
    "wetland": ["wetland_types", "wetland_prices"],
    "water": ["water_prices"],
    "minerals": ["minerals", "mineral_benchmark_prices", "mineral_recovery_coefficients", "mineral_parameters"],
}
COMMON_REFERENCES = ["admin_divisions", "exercising_subject_rules"]


def valued_key(category: str) -> dg.AssetKey:
    return dg.AssetKey([category, "valued"])


def _code_version(category: str) -> str:
    """The model files' versions: a changed model marks the asset stale in the UI."""
    if category == "minerals":
        return "+".join(f"{m.name}-{m.version}" for m in (Model.load("minerals_benchmark"), Model.load("minerals_npv")))
    model = Model.load(category)
    return f"{model.name}-{model.version}"


def build_valued_asset(category: str) -> dg.AssetsDefinition:
    key = valued_key(category)

    @dg.asset(
        key=key,
        group_name=category,
        partitions_def=province_years,
        deps=[validated_key(category)]
        + [reference_key(t) for t in MODEL_REFERENCES[category] + COMMON_REFERENCES]
        + ([CONSISTENCY] if category in BASE_CATEGORIES else []),
        kinds={"duckdb", "parquet"},
        description=f"{CATEGORY_NAMES_ZH[category]} {category}: every in-scope row valued by "
        f"valuation_models/{'minerals_<model>' if category == 'minerals' else category}.sql, with its audit trail "
        "(price table, key, level of the region fallback, unit price, correction factors, model version).",
        code_version=_code_version(category),
        # a refused delivery is not valued: the asset is then not materialized and its blocking check stops the
        # ledgers and everything published after them
        output_required=False,
        check_specs=[
            dg.AssetCheckSpec(
                "delivery_accepted",
                asset=key,
                blocking=True,
                description="the category's delivery was read: no file of it refused (a refused "
                "category is not valued, and the year's ledgers are not published)",
            ),
            dg.AssetCheckSpec(
                "unpriced_share",
                asset=key,
                blocking=True,
                description="share of in-scope rows without a price ≤ the run's unpriced_threshold",
            ),
            dg.AssetCheckSpec(
                "no_negative_values",
                asset=key,
                blocking=True,
                description="no negative value, except the water overlap deduction (DOMAIN §4)",
            ),
        ],
    )
    def valued(context: dg.AssetExecutionContext, settings: AccountsSettings):
        layout = partition_layout(context, settings)
        accepted = delivery_accepted(category, layout, key)
        if not accepted.passed:
            yield accepted
            return
        try:
            result = value_category(
                category,
                layout,
                layout.valued(category),
                mineral_model=settings.mineral_model,
                discount_rate=settings.discount_rate,
            )
        except ValuationParameterError as exc:
            raise dg.Failure(description=str(exc), metadata={"problem": str(exc)}, allow_retries=False) from None
        path = layout.valued(category)
        valued_rows = summarize_valued_rows(path)
        by_level, negative, reasons = (
            valued_rows.by_price_level,
            valued_rows.negative_rows,
            valued_rows.unpriced_reasons,
        )
        model = result.model
        write_json(
            {
                "model": model.name,
                "version": model.version,
                "rows_by_status": result.rows_by_status,
                "value_yuan": str(result.value_yuan),
                "parameters": result.parameters,
            },
            layout.record("valued", category),
        )
        yield dg.MaterializeResult(
            # the code version names every model the category may run; the tag says which one this run ran
            tags={"nrledger/model": f"{model.name}-{model.version}"},
            metadata={
                "dagster/row_count": sum(result.rows_by_status.values()),
                "rows_valued": result.rows_by_status.get("valued", 0),
                "rows_unpriced": result.rows_by_status.get("unpriced", 0),
                "rows_excluded": result.rows_by_status.get("excluded", 0),
                "value_wan_yuan": float(result.value_yuan / 10000),
                "value_yuan_exact": str(result.value_yuan),
                "model": model.name,
                "model_version": model.version,
                "model_file": dg.MetadataValue.path(str(MODELS_DIR / f"{model.name}.sql")),
                **result.parameters,  # the NPV discount rate used, and where it came from
                "price_levels": dg.MetadataValue.md(markdown_table(["price level", "status", "rows"], by_level)),
                "dagster/column_schema": table_schema(pq.read_schema(path)),
                "path": dg.MetadataValue.path(str(path)),
            },
        )
        passed = result.unpriced_share <= settings.unpriced_threshold
        unpriced = result.rows_by_status.get("unpriced", 0)
        check = {
            "unpriced_share": result.unpriced_share,
            "threshold": settings.unpriced_threshold,
            "unpriced_rows": unpriced,
            "in_scope_rows": unpriced + result.rows_by_status.get("valued", 0),
            "worst_counties": dg.MetadataValue.json(worst_unpriced_counties(layout, category)),
            "top_reasons": dg.MetadataValue.md(markdown_table(["reason", "rows"], reasons)),
        }
        if not passed:
            # the check stops publication, and the ledger step that writes unpriced.parquet with it: the list a
            # user needs to fix the cause is written here, before the check is reported
            write_unpriced(layout, layout.unpriced, [c for c in CATEGORIES if layout.valued(c).exists()])
            check |= {
                "file": dg.MetadataValue.path(str(layout.unpriced)),
                "file_holds": "every in-scope row without a price, with the key that found none",
                "what_to_do": "add the price rows or fix the codes, or raise --unpriced-threshold knowingly",
            }
        yield dg.AssetCheckResult(check_name="unpriced_share", asset_key=key, passed=passed, metadata=check)
        yield dg.AssetCheckResult(
            check_name="no_negative_values", asset_key=key, passed=negative == 0, metadata={"negative_rows": negative}
        )
        yield accepted

    return valued


valued_assets = [build_valued_asset(c) for c in CATEGORIES]
