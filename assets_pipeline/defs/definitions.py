"""The Dagster definitions: every asset of the annual accounts, partitioned by accounting year.

The job runs in one process on purpose: the heavy lifting happens inside DuckDB and Arrow (which
use every core), and a process per step would spend more time starting Python than computing.
"""

from __future__ import annotations

import dagster as dg

from assets_pipeline.defs.balance import balance
from assets_pipeline.defs.consistency import consistency, scorecard
from assets_pipeline.defs.inventory import ingested_assets, missing_counties, validated_assets
from assets_pipeline.defs.ledgers import ledgers, manifest, report
from assets_pipeline.defs.metadata import source_version
from assets_pipeline.defs.national import NATIONAL, national
from assets_pipeline.defs.overlay import control_layers, layers_back, overlay
from assets_pipeline.defs.progress import progress_logger
from assets_pipeline.defs.reference import reference_tables
from assets_pipeline.defs.rejects import rejects
from assets_pipeline.defs.valuation import valued_assets
from assets_pipeline.settings import AccountsSettings

# The code that computes each asset whose definition names no code version of its own (by the first part of its
# key): its source's hash is the asset's code version, so the lineage an auditor follows names the code that ran
# (without one, Dagster would take each run's id, and every run would look like new code).
COMPUTED_BY = {
    "reference": ("reference", "defs/reference"),
    "ledger": ("ledgers", "consistency", "defs/ledgers"),
    "balance": ("ledgers", "defs/balance"),
    "report": ("publish", "consistency", "ledgers/published_totals", "defs/ledgers"),
    "manifest": ("publish/manifest", "defs/ledgers"),
    "overlay": ("spatial", "defs/overlay"),
    # the layers delivered beside the inventories: the code that reads them
    "inputs": ("spatial/control_layers", "spatial/layers"),
    "layers": (
        "publish/layers",
        "publish/layer_geometry",
        "publish/layer_views",
        "publish/maps",
        "publish/map_drawing",
        "defs/overlay",
    ),
    "national": ("ledgers/national", "publish/national_report", "defs/national"),
}


def _with_code_version(spec: dg.AssetSpec) -> dg.AssetSpec:
    if spec.code_version:
        return spec
    return spec.replace_attributes(code_version=source_version(*COMPUTED_BY[spec.key.path[0]]))


all_assets = dg.map_asset_specs(
    _with_code_version,
    [
        reference_tables,
        *ingested_assets,
        missing_counties,
        *validated_assets,
        *control_layers,
        overlay,
        consistency,
        rejects,
        *valued_assets,
        ledgers,
        balance,
        scorecard,
        layers_back,
        report,
        manifest,
        national,
    ],
)

annual_accounts_job = dg.define_asset_job(
    "annual_accounts",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(NATIONAL),
    executor_def=dg.in_process_executor,
    description="Compile one accounting year: ingest and validate the six inventories, value them, and publish the ledgers.",
)

national_accounts_job = dg.define_asset_job(
    "national_accounts",
    selection=dg.AssetSelection.assets(NATIONAL),
    executor_def=dg.in_process_executor,
    description="Add up the provinces' published ledgers of a year into the nation's (DOMAIN §7).",
)

defs = dg.Definitions(
    assets=all_assets,
    jobs=[annual_accounts_job, national_accounts_job],
    resources={"settings": AccountsSettings.configure_at_launch()},
    # assets materialized from the UI run in one process too, so the run's settings resource (and the
    # year's lock it holds) lives for the whole run, not per step
    executor=dg.in_process_executor,
    loggers={"progress": progress_logger, "console": dg.colored_console_logger},
)
