"""Per category: the delivered files ingested, then validated (DOMAIN §3), with a reconciliation check."""

import dagster as dg

from assets_pipeline.defs.metadata import markdown_table, table_schema
from assets_pipeline.defs.partitions import partition_input, partition_layout, province_years
from assets_pipeline.defs.reference import reference_key
from assets_pipeline.infra.errors import InputFileError, ReferenceTableError
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import read_json, write_json
from assets_pipeline.ingest.canonical import ingest_category, ingested_schema
from assets_pipeline.ingest.deliveries import (
    missing_counties_path,
    recount_missing_land,
    refusal_path,
    write_missing_counties,
)
from assets_pipeline.ingest.records import record_ingested, record_refusal
from assets_pipeline.schema.categories import CATEGORIES, CATEGORY_NAMES_ZH, SPECS
from assets_pipeline.settings import AccountsSettings
from assets_pipeline.validate.codes import load_code_lists
from assets_pipeline.validate.reconcile import reconcile_category
from assets_pipeline.validate.rows import validate_category, validated_schema

# Reference tables each category's validation reads (lineage in the asset graph).
VALIDATION_REFERENCES: dict[str, list[str]] = {
    "land": ["admin_divisions", "land_classes", "ownership_codes", "supply_methods", "land_parameters"],
    "forest": [
        "admin_divisions",
        "land_classes",
        "ownership_codes",
        "tree_ownership_codes",
        "forest_types",
        "forest_origins",
        "forest_species",
        "forest_age_groups",
    ],
    "grassland": ["admin_divisions", "land_classes", "ownership_codes", "grassland_types", "grassland_grades"],
    "wetland": ["admin_divisions", "land_classes", "ownership_codes", "wetland_types"],
    "water": ["admin_divisions", "water_source_types"],
    "minerals": ["admin_divisions", "minerals", "resource_classes", "mining_right_types"],
}


MISSING_COUNTIES = dg.AssetKey(["missing_counties"])


def ingested_key(category: str) -> dg.AssetKey:
    return dg.AssetKey([category, "ingested"])


def validated_key(category: str) -> dg.AssetKey:
    return dg.AssetKey([category, "validated"])


def _fail(exc: Exception) -> dg.Failure:
    """A file-level problem: one clear message, no traceback in the UI or on the command line."""
    return dg.Failure(description=str(exc), metadata={"problem": str(exc)}, allow_retries=False)


def _refuse(category: str, layout: YearLayout, exc: InputFileError) -> dg.MaterializeResult:
    """A refused delivery (``ingest.records.record_refusal``): the category goes on with no rows."""
    record_refusal(category, layout, exc)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 0,
            "rows_read": 0,
            "refused": str(exc),
            "refused_file": dg.MetadataValue.path(exc.path),
        }
    )


def build_ingested_asset(category: str) -> dg.AssetsDefinition:
    spec = SPECS[category]

    @dg.asset(
        key=ingested_key(category),
        group_name=category,
        partitions_def=province_years,
        kinds={"parquet"},
        description=f"{CATEGORY_NAMES_ZH[category]} {category} inventory as delivered by the counties, in canonical "
        "columns (areas in m²), with the file and row each record came from.",
        code_version="1",
    )
    def ingested(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
        layout = partition_layout(context, settings)
        year = layout.year
        refusal = refusal_path(layout, category)
        refusal.unlink(missing_ok=True)
        try:
            result = ingest_category(
                category,
                partition_input(context, settings),
                year,
                layout.ingested(category),
                declared_area_unit=settings.declared_area_unit,
                xlsx_sheet=settings.xlsx_sheet,
                layer=settings.layer or None,
                crs=settings.crs or None,
                geometry_dir=layout.geometry(category),
            )
        except InputFileError as exc:
            return _refuse(category, layout, exc)
        files = result.files_metadata()
        combined = record_ingested(category, layout, result)
        metadata = {
            "dagster/row_count": result.rows,
            "rows_read": result.rows,
            "files": len(files),
            "unparsed_cells": result.unparsed_cells,
            "input_files": dg.MetadataValue.md(
                markdown_table(
                    ["file", "format", "encoding", "rows", "sha256", "units", "ignored columns"],
                    [
                        [
                            f["relative"],
                            f["format"],
                            f["encoding"] or "",
                            f["rows"],
                            f["sha256"],
                            ", ".join(f"{k}={v}" for k, v in f["units"].items()),
                            ", ".join(f["ignored_columns"]),
                        ]
                        for f in files
                    ],
                )
            ),
            "input_sha256": dg.MetadataValue.json({f["relative"]: f["sha256"] for f in files}),
            "dagster/column_schema": table_schema(ingested_schema(spec), {c.name: c.description for c in spec.columns}),
            "path": dg.MetadataValue.path(str(layout.ingested(category))),
        }
        if spec.area_column:
            metadata["area_read_m2"] = round(result.area_m2, 2)
        return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(combined))

    return ingested


def build_validated_asset(category: str) -> dg.AssetsDefinition:
    spec = SPECS[category]
    references = [reference_key(t) for t in VALIDATION_REFERENCES[category]]

    @dg.asset(
        key=validated_key(category),
        group_name=category,
        partitions_def=province_years,
        deps=[ingested_key(category), *references, *([MISSING_COUNTIES] if category == "land" else [])],
        kinds={"pandera", "parquet"},
        description=f"{CATEGORY_NAMES_ZH[category]} {category} inventory validated with Pandera: valid rows "
        "(exclusion_reason set where out of scope, e.g. collective land), rejected rows set aside with file, row and reason.",
        code_version="1",
        check_specs=[
            dg.AssetCheckSpec(
                "rows_reconcile",
                asset=validated_key(category),
                description="rows read = valid + excluded + rejected, and the same for area (DOMAIN §5, nothing lost)",
                blocking=True,
            ),
            # not blocking here: a refused category validates no rows, and the year's rejects and county packs
            # are still written for the categories that were read; its valuation checks the refusal again
            # (``valued`` in defs/valuation.py) and stops it, and the publication with it
            dg.AssetCheckSpec(
                "delivery_accepted",
                asset=validated_key(category),
                description="the category's delivery was read: no file of it refused (a file-level problem stops the "
                "category's valuation and the publication; the rejects of the other categories are still written)",
                blocking=False,
            ),
        ],
    )
    def validated(context: dg.AssetExecutionContext, settings: AccountsSettings):
        layout = partition_layout(context, settings)
        try:
            codes = load_code_lists(layout)
        except (ReferenceTableError, FileNotFoundError) as exc:
            raise _fail(exc) from None
        result = validate_category(category, layout, codes)
        metadata = {
            "dagster/row_count": result.rows_valid + result.rows_excluded,
            "rows_read": result.rows_read,
            "rows_valid": result.rows_valid,
            "rows_excluded": result.rows_excluded,
            "rows_rejected": result.rows_rejected,
            "reject_lines": result.reject_lines,
            "rejects_by_rule": dg.MetadataValue.md(
                markdown_table(["rule", "reject lines"], sorted(result.rejects_by_rule.items()))
            ),
            "excluded_by_reason": dg.MetadataValue.md(
                markdown_table(["reason", "rows"], sorted(result.excluded_by_reason.items()))
            ),
            "dagster/column_schema": table_schema(validated_schema(spec)),
            "path": dg.MetadataValue.path(str(layout.validated(category))),
            "rejected_rows_path": dg.MetadataValue.path(str(layout.rejected_rows(category))),
        }
        if spec.area_column:
            metadata.update(
                area_read_m2=round(result.area_read, 2),
                area_valid_m2=round(result.area_valid, 2),
                area_excluded_m2=round(result.area_excluded, 2),
                area_rejected_m2=round(result.area_rejected, 2),
            )
        write_json(
            {
                "rows_read": result.rows_read,
                "rows_valid": result.rows_valid,
                "rows_excluded": result.rows_excluded,
                "rows_rejected": result.rows_rejected,
                "rejects_by_rule": result.rejects_by_rule,
            },
            layout.record("validated", category),
        )
        yield dg.MaterializeResult(metadata=metadata)
        yield reconcile(category, layout)
        yield delivery_accepted(category, layout)

    return validated


def delivery_accepted(category: str, layout: YearLayout, asset_key: dg.AssetKey | None = None) -> dg.AssetCheckResult:
    """Fails when the category's delivery was refused, with the refusal's message (file and what is wrong); on
    ``<category>/validated`` unless another of the category's assets is named."""
    refusal = refusal_path(layout, category)
    problem = read_json(refusal)["problem"] if refusal.exists() else None
    return dg.AssetCheckResult(
        check_name="delivery_accepted",
        asset_key=asset_key or validated_key(category),
        passed=problem is None,
        metadata={"problem": problem} if problem else {},
        description=problem,
    )


def reconcile(category: str, layout: YearLayout) -> dg.AssetCheckResult:
    """Recount from the files themselves: every ingested row is valid, excluded or rejected, once."""
    found = reconcile_category(category, layout)
    return dg.AssetCheckResult(
        check_name="rows_reconcile",
        asset_key=validated_key(category),
        passed=found.rows_add_up and found.area_adds_up,
        metadata={
            "rows_read": found.rows_read,
            "rows_valid": found.rows_valid,
            "rows_excluded": found.rows_excluded,
            "rows_rejected": found.rows_rejected,
            "rows_in_two_places": found.rows_in_two_places,
            "area_read_m2": float(found.area_read_m2),
            "area_valid_m2": float(found.area_valid_m2),
            "area_excluded_m2": float(found.area_excluded_m2),
            "area_rejected_m2": float(found.area_rejected_m2),
        },
    )


@dg.asset(
    key=MISSING_COUNTIES,
    group_name="deliveries",
    partitions_def=province_years,
    deps=[ingested_key(c) for c in CATEGORIES] + [reference_key("admin_divisions"), reference_key("land_classes")],
    kinds={"duckdb", "parquet"},
    description="Counties that delivered no rows for a category although this year's other deliveries, the land "
    "survey or last year's say they should (_stages/missing_counties.parquet). A county missing from the land "
    "survey, the base map, blocks publication unless the run names it (--allow-missing-county).",
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "land_survey_complete",
            asset=MISSING_COUNTIES,
            blocking=True,
            description="every county expected in the land survey (base map, DOMAIN §2) delivered rows, or is named "
            "as known with --allow-missing-county",
        )
    ],
)
def missing_counties(context: dg.AssetExecutionContext, settings: AccountsSettings):
    layout = partition_layout(context, settings)
    table = write_missing_counties(
        layout, layout.reference("admin_divisions"), layout.reference("land_classes"), settings.allow_missing_counties
    )
    findings = table.to_pylist()
    write_json(findings, layout.record("deliveries", "missing_counties"))  # for the manifest
    listing = markdown_table(
        ["category", "county", "name", "reason", "evidence", "allowed"],
        [
            [
                f["category"],
                f["region_code"],
                f["region_name"],
                f["reason"],
                f["evidence"],
                "yes" if f["allowed"] else "",
            ]
            for f in findings
        ],
    )
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(findings),
            "missing_counties": dg.MetadataValue.md(listing),
            "path": dg.MetadataValue.path(str(missing_counties_path(layout))),
        }
    )
    blocking = [f for f in findings if f["blocking"]]
    problem = "; ".join(f"county {f['region_code']} {f['region_name']}: {f['evidence']}" for f in blocking)
    # the same counties counted again from the staged files with Arrow, not with the finding's SQL
    recounted = sorted(recount_missing_land(layout, layout.reference("admin_divisions")))
    found = sorted(f["region_code"] for f in findings if f["category"] == "land")
    if recounted != found:
        problem = (
            f"the counties missing from the land survey recounted from the staged files ({', '.join(recounted)}) "
            f"are not the findings' ({', '.join(found)})"
        )
    yield dg.AssetCheckResult(
        check_name="land_survey_complete",
        asset_key=MISSING_COUNTIES,
        passed=not blocking and recounted == found,
        metadata={
            "recounted_missing": dg.MetadataValue.json(recounted),
            "missing_land_counties": dg.MetadataValue.json(
                [
                    {
                        "county": f["region_code"],
                        "name": f["region_name"],
                        "reason": f["reason"],
                        "evidence": f["evidence"],
                    }
                    for f in blocking
                ]
            ),
            "allowed": dg.MetadataValue.json(sorted(settings.allow_missing_counties)),
            **(
                {"problem": problem}
                if recounted != found
                else {
                    "problem": f"the land survey (base map) misses {problem}; deliver it, or name the county with "
                    f"--allow-missing-county if it is known"
                }
                if blocking
                else {}
            ),
        },
        description=problem or None,
    )


ingested_assets = [build_ingested_asset(c) for c in CATEGORIES]
validated_assets = [build_validated_asset(c) for c in CATEGORIES]
