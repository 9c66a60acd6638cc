"""Reference tables as assets: validated, snapshotted for the year, hashed as their data version."""

import dagster as dg

from assets_pipeline.defs.metadata import table_schema
from assets_pipeline.defs.partitions import partition_layout, province_year, province_years
from assets_pipeline.infra.errors import ReferenceTableError
from assets_pipeline.reference.rules import check_cross_references
from assets_pipeline.reference.snapshots import write_year_snapshot
from assets_pipeline.reference.tables import TABLES, load_table
from assets_pipeline.settings import AccountsSettings


def reference_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["reference", name])


@dg.multi_asset(
    name="reference_tables",
    specs=[
        dg.AssetSpec(
            reference_key(spec.name),
            description=f"{spec.description} — reference_tables/{spec.file}",
            group_name="reference_tables",
            kinds={"csv", "pandera"},
            metadata={"file": f"reference_tables/{spec.file}"},
        )
        for spec in TABLES.values()
    ],
    partitions_def=province_years,
    can_subset=True,
)
def reference_tables(context: dg.AssetExecutionContext, settings: AccountsSettings):
    """Validate every selected reference table with Pandera and snapshot the rows in force for the year
    (``reference.snapshots``)."""
    layout = partition_layout(context, settings)
    province, _ = province_year(context)
    selected = {key.path[-1] for key in context.selected_asset_keys}
    try:
        tables = {name: load_table(name, settings.reference_path(), province) for name in TABLES}
        check_cross_references(tables)
    except ReferenceTableError as exc:
        # the run stops here, before any step reads a price: one line, each problem a sentence naming file, line, value
        raise dg.Failure(description=str(exc), metadata={"problem": str(exc)}, allow_retries=False) from None
    for name in sorted(selected):
        table = tables[name]
        snapshot = write_year_snapshot(name, table, layout)
        metadata = {
            "path": dg.MetadataValue.path(str(table.path)),
            "sha256": table.sha256,
            "file": table.file,
            "rows_in_file": len(table.frame),
            "rows_in_force": snapshot.rows.num_rows,
            "dagster/column_schema": table_schema(snapshot.rows.schema),
            "snapshot": dg.MetadataValue.path(str(layout.reference(name))),
        }
        if table.spec.price_table:
            metadata["price_years_in_file"] = ", ".join(map(str, snapshot.price_years_in_file))
            metadata["price_year_used"] = snapshot.price_year_used
        yield dg.MaterializeResult(
            asset_key=reference_key(name), metadata=metadata, data_version=dg.DataVersion(table.sha256)
        )
