"""The Dagster definitions: every asset of the annual accounts, partitioned by accounting year.

The job runs in one process on purpose: the heavy lifting happens inside DuckDB and Arrow (which
use every core), and a process per step would spend more time starting Python than computing.
"""

from __future__ import annotations

import dagster as dg

from .assets.balance_assets import balance
from .assets.consistency_assets import consistency, scorecard
from .assets.inventory_assets import ingested_assets, missing_counties, validated_assets
from .assets.ledger_assets import ledgers, manifest, report
from .assets.valuation_assets import valued_assets
from .assets.reference_assets import reference_tables
from .assets.rejects_asset import rejects
from .progress import progress_logger
from .settings import AccountsSettings

all_assets = [reference_tables, *ingested_assets, missing_counties, *validated_assets, consistency, rejects, *valued_assets, ledgers, balance,
              scorecard, report, manifest]

annual_accounts_job = dg.define_asset_job(
    "annual_accounts",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Compile one accounting year: ingest and validate the six inventories, value them, and publish the ledgers.",
)

defs = dg.Definitions(
    assets=all_assets,
    jobs=[annual_accounts_job],
    resources={"settings": AccountsSettings.configure_at_launch()},
    # assets materialized from the UI run in one process too, so the run's settings resource (and the
    # year's lock it holds) lives for the whole run, not per step
    executor=dg.in_process_executor,
    loggers={"progress": progress_logger, "console": dg.colored_console_logger},
)
