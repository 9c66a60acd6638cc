"""Per category: the delivered files ingested, then validated (DOMAIN §3), with a reconciliation check."""


import hashlib

import dagster as dg

from ..categories import CATEGORIES, CATEGORY_NAMES_ZH, SPECS
from ..errors import InputFileError, ReferenceTableError
from ..ingest import ingest_category, ingested_schema
from ..layout import YearLayout, parts
from ..metadata import markdown_table, table_schema
from ..partitions import accounting_years
from ..reference import TABLES, ReferenceTable, snapshot_frame
from ..settings import AccountsSettings
from ..storage import write_json
from ..validate import CODE_LIST_TABLES, CodeLists, validate_category, validated_schema
from .reference_assets import reference_key
from ..duck import connect

# Reference tables each category's validation reads (lineage in the asset graph).
VALIDATION_REFERENCES: dict[str, list[str]] = {
    "land": ["admin_divisions", "land_classes", "ownership_codes", "supply_methods", "land_parameters"],
    "forest": ["admin_divisions", "land_classes", "ownership_codes", "tree_ownership_codes", "forest_types",
               "forest_origins", "forest_species", "forest_age_groups"],
    "grassland": ["admin_divisions", "land_classes", "ownership_codes", "grassland_types", "grassland_grades"],
    "wetland": ["admin_divisions", "land_classes", "ownership_codes", "wetland_types"],
    "water": ["admin_divisions", "water_source_types"],
    "minerals": ["admin_divisions", "minerals", "resource_classes", "mining_right_types"],
}


def ingested_key(category: str) -> dg.AssetKey:
    return dg.AssetKey([category, "ingested"])


def validated_key(category: str) -> dg.AssetKey:
    return dg.AssetKey([category, "validated"])


def load_code_lists(layout: YearLayout) -> CodeLists:
    """Code lists from the year's reference snapshots, the rows the reference assets recorded."""
    tables = {
        name: ReferenceTable(spec=TABLES[name], path=layout.reference(name), frame=snapshot_frame(layout.reference(name)), sha256="")
        for name in CODE_LIST_TABLES
    }
    return CodeLists.from_reference(tables)


def _fail(exc: Exception) -> dg.Failure:
    """A file-level problem: one clear message, no traceback in the UI or on the command line."""
    return dg.Failure(description=str(exc), metadata={"problem": str(exc)}, allow_retries=False)


def build_ingested_asset(category: str) -> dg.AssetsDefinition:
    spec = SPECS[category]

    @dg.asset(
        key=ingested_key(category),
        group_name=category,
        partitions_def=accounting_years,
        kinds={"parquet"},
        description=f"{CATEGORY_NAMES_ZH[category]} {category} inventory as delivered by the counties, in canonical "
        "columns (areas in m²), with the file and row each record came from.",
        code_version="1",
    )
    def ingested(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
        year = int(context.partition_key)
        layout = YearLayout(settings.output_path(), year)
        try:
            result = ingest_category(
                category, settings.input_path(), year, layout.ingested(category),
                declared_area_unit=settings.declared_area_unit, xlsx_sheet=settings.xlsx_sheet,
            )
        except InputFileError as exc:
            raise _fail(exc) from None
        files = result.files_metadata()
        combined = hashlib.sha256("".join(f["relative"] + f["sha256"] for f in files).encode()).hexdigest()
        metadata = {
            "dagster/row_count": result.rows,
            "rows_read": result.rows,
            "files": len(files),
            "unparsed_cells": result.unparsed_cells,
            "input_files": dg.MetadataValue.md(
                markdown_table(
                    ["file", "format", "encoding", "rows", "sha256", "units", "ignored columns"],
                    [[f["relative"], f["format"], f["encoding"] or "", f["rows"], f["sha256"],
                      ", ".join(f"{k}={v}" for k, v in f["units"].items()), ", ".join(f["ignored_columns"])] for f in files],
                )
            ),
            "input_sha256": dg.MetadataValue.json({f["relative"]: f["sha256"] for f in files}),
            "dagster/column_schema": table_schema(ingested_schema(spec), {c.name: c.description for c in spec.columns}),
            "path": dg.MetadataValue.path(str(layout.ingested(category))),
        }
        if spec.area_column:
            metadata["area_read_m2"] = round(result.area_m2, 2)
        write_json({"files": files, "rows": result.rows, "data_version": combined}, layout.record("ingested", category))
        return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(combined))

    return ingested


def build_validated_asset(category: str) -> dg.AssetsDefinition:
    spec = SPECS[category]
    references = [reference_key(t) for t in VALIDATION_REFERENCES[category]]

    @dg.asset(
        key=validated_key(category),
        group_name=category,
        partitions_def=accounting_years,
        deps=[ingested_key(category), *references],
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
            )
        ],
    )
    def validated(context: dg.AssetExecutionContext, settings: AccountsSettings):
        year = int(context.partition_key)
        layout = YearLayout(settings.output_path(), year)
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
                area_read_m2=round(result.area_read, 2), area_valid_m2=round(result.area_valid, 2),
                area_excluded_m2=round(result.area_excluded, 2), area_rejected_m2=round(result.area_rejected, 2),
            )
        write_json(
            {"rows_read": result.rows_read, "rows_valid": result.rows_valid, "rows_excluded": result.rows_excluded,
             "rows_rejected": result.rows_rejected, "rejects_by_rule": result.rejects_by_rule},
            layout.record("validated", category),
        )
        yield dg.MaterializeResult(metadata=metadata)
        yield reconcile(category, layout)

    return validated


def reconcile(category: str, layout: YearLayout) -> dg.AssetCheckResult:
    """Recount from the files themselves: every ingested row is valid, excluded or rejected, once."""
    area = SPECS[category].area_column

    def area_sum(condition: str = "TRUE") -> str:
        # each area to the cent before summing, so the identity is checked exactly
        if not area:
            return "0::DECIMAL(38,2)"
        return f"coalesce(sum({area}::DECIMAL(38,2)) FILTER (WHERE {condition}), 0)"

    query = f"""
        WITH read AS (SELECT count(*) AS n, {area_sum()} AS a, count(DISTINCT _row_id) AS ids FROM read_parquet($ingested)),
        v AS (SELECT count(*) FILTER (WHERE exclusion_reason IS NULL) AS valid,
                     count(*) FILTER (WHERE exclusion_reason IS NOT NULL) AS excluded,
                     {area_sum("exclusion_reason IS NULL")} AS a_valid,
                     {area_sum("exclusion_reason IS NOT NULL")} AS a_excluded
              FROM read_parquet($validated)),
        r AS (SELECT count(*) AS rejected, {area_sum()} AS a_rejected FROM read_parquet($rejected)),
        both_ AS (SELECT count(*) AS overlap FROM read_parquet($validated) v SEMI JOIN read_parquet($rejected) r USING (_row_id))
        SELECT * FROM read, v, r, both_
    """
    with connect() as con:
        row = con.execute(
            query,
            {"ingested": parts(layout.ingested(category)), "validated": parts(layout.validated(category)),
             "rejected": parts(layout.rejected_rows(category))},
        ).fetchone()
    n, a, ids, valid, excluded, a_valid, a_excluded, rejected, a_rejected, overlap = row
    rows_ok = n == valid + excluded + rejected and ids == n and overlap == 0
    area_ok = a == a_valid + a_excluded + a_rejected
    return dg.AssetCheckResult(
        check_name="rows_reconcile",
        asset_key=validated_key(category),
        passed=bool(rows_ok and area_ok),
        metadata={
            "rows_read": n, "rows_valid": valid, "rows_excluded": excluded, "rows_rejected": rejected,
            "rows_in_two_places": overlap,
            "area_read_m2": float(a), "area_valid_m2": float(a_valid), "area_excluded_m2": float(a_excluded),
            "area_rejected_m2": float(a_rejected),
        },
    )


ingested_assets = [build_ingested_asset(c) for c in CATEGORIES]
validated_assets = [build_validated_asset(c) for c in CATEGORIES]
