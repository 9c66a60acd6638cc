"""The year's rejects, gathered from every category for the counties to fix."""

import dagster as dg

from assets_pipeline.defs.consistency import CONSISTENCY
from assets_pipeline.defs.inventory import validated_key
from assets_pipeline.defs.metadata import markdown_table
from assets_pipeline.defs.partitions import partition_input, partition_layout, province_years
from assets_pipeline.publish.county_packs import pack_folder, write_county_packs
from assets_pipeline.publish.rejects import combine_rejects, write_rejects_workbook
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.settings import AccountsSettings


@dg.asset(
    key=dg.AssetKey(["rejects"]),
    group_name="rejects",
    partitions_def=province_years,
    deps=[validated_key(c) for c in CATEGORIES] + [CONSISTENCY],
    kinds={"parquet", "excel"},
    description="rejects.parquet (one line per failed rule, with file, row and reason), rejects_<year>.xlsx for "
    "analysts (with a line per refused file: a refused category stops, the rejects of the others are still "
    "written), and per county to_counties/<code>_<name>.xlsx: its rejected and inconsistent rows as it delivered "
    "them, to fix and send back.",
    code_version="1",
)
def rejects(context: dg.AssetExecutionContext, settings: AccountsSettings) -> dg.MaterializeResult:
    layout = partition_layout(context, settings)
    table = combine_rejects(layout)
    rows = write_rejects_workbook(layout)
    packs = write_county_packs(layout, partition_input(context, settings))
    by_file = table.group_by(["category", "source_file"]).aggregate([("source_row", "count_distinct")]).to_pylist()
    by_file.sort(key=lambda r: (-r["source_row_count_distinct"], r["source_file"]))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "rejected_rows": sum(rows.values()),
            "rejects_parquet": dg.MetadataValue.path(str(layout.rejects_parquet)),
            "rejects_workbook": dg.MetadataValue.path(str(layout.rejects_workbook)),
            "county_packs": len(packs),
            "county_packs_folder": dg.MetadataValue.path(str(pack_folder(layout))),
            "worst_files": dg.MetadataValue.md(
                markdown_table(
                    ["category", "file", "rejected rows"],
                    [[r["category"], r["source_file"], r["source_row_count_distinct"]] for r in by_file[:20]],
                )
            ),
        }
    )
