"""The year's balance accounts and land-use transition matrix (DOMAIN §5), derived against LAST year's
partition: the asset graph shows the dependency across years, and blocking checks guard the identities."""

import warnings

import dagster as dg
import pyarrow.parquet as pq

from assets_pipeline.defs.metadata import markdown_table, table_schema
from assets_pipeline.defs.partitions import partition_layout, province_years
from assets_pipeline.defs.valuation import valued_key
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_json
from assets_pipeline.ingest.delivered import sha256_of
from assets_pipeline.ledgers.balance import build_balance, identity_failures, opening_mismatches
from assets_pipeline.ledgers.both_years import link_sources
from assets_pipeline.ledgers.last_year_files import LastYearFileError, verify_last_year
from assets_pipeline.ledgers.published_totals import province_balance_totals, row_count
from assets_pipeline.ledgers.reclassifications import reclassification_check, removed_and_new_check
from assets_pipeline.ledgers.transitions import build_land_transitions, transition_mismatches
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.settings import AccountsSettings

BALANCE_PHYSICAL = dg.AssetKey(["balance", "physical"])
BALANCE_VALUE = dg.AssetKey(["balance", "value"])
LAND_TRANSITIONS = dg.AssetKey(["balance", "land_transitions"])
BALANCE_KEYS = [BALANCE_PHYSICAL, BALANCE_VALUE, LAND_TRANSITIONS]

# last year's partition of an asset; the first year of the accounts has none. This year's valued rows come
# in through this year's ledgers (one partition mapping per upstream asset in a multi-asset).
# (the parameter is marked beta; its warning is silenced here, where it arises, so that runs print none)
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    # the same province's year before (DOMAIN §7: a year needs last year's closing of the same province)
    LAST_YEAR = dg.MultiPartitionMapping(
        {
            "province": dg.DimensionPartitionMapping("province", dg.IdentityPartitionMapping()),
            "year": dg.DimensionPartitionMapping(
                "year",
                dg.TimeWindowPartitionMapping(
                    start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
                ),
            ),
        }
    )


def _last_year(key: dg.AssetKey) -> dg.AssetDep:
    return dg.AssetDep(key, partition_mapping=LAST_YEAR)


_THIS_YEAR_LEDGERS = [dg.AssetKey(["ledger", "physical"]), dg.AssetKey(["ledger", "value"])]
_LAST_YEAR_VALUED = [_last_year(valued_key(c)) for c in CATEGORIES]


@dg.multi_asset(
    name="balance",
    specs=[
        dg.AssetSpec(
            BALANCE_PHYSICAL,
            skippable=True,
            deps=[*_THIS_YEAR_LEDGERS, *_LAST_YEAR_VALUED],
            group_name="balance",
            kinds={"duckdb", "parquet"},
            description="balance_physical.parquet: opening, additions and reductions by kind (new, "
            "reclassified, increase/decrease, discovered, removed, extracted, other changes in volume) and "
            "closing per region × category × item × subject × indicator, against last year (DOMAIN §5).",
        ),
        dg.AssetSpec(
            BALANCE_VALUE,
            skippable=True,
            deps=[*_THIS_YEAR_LEDGERS, *_LAST_YEAR_VALUED],
            group_name="balance",
            kinds={"duckdb", "parquet"},
            description="balance_value.parquet: opening, volume change, revaluation and closing in 万元 per "
            "region × category × item × subject × component; revaluation q0·(p1−p0) row by row (DOMAIN §5).",
        ),
        dg.AssetSpec(
            LAND_TRANSITIONS,
            skippable=True,
            deps=[_THIS_YEAR_LEDGERS[0], _last_year(valued_key("land"))],
            group_name="balance",
            kinds={"duckdb", "parquet"},
            description="land_transitions.parquet: 土地利用转移矩阵, area from each land class and group last "
            "year to each this year over the base map, parcels matched by id.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "account_adds_up",
            asset=BALANCE_PHYSICAL,
            blocking=True,
            description="every cell (county, city, province): opening + additions − reductions = closing "
            "as published; additions and reductions are the sums of their kinds",
        ),
        dg.AssetCheckSpec(
            "opening_equals_last_closing",
            asset=BALANCE_PHYSICAL,
            blocking=True,
            description="published opening = last year's published closing of the same cell",
        ),
        dg.AssetCheckSpec(
            "reclassified_in_equals_out",
            asset=BALANCE_PHYSICAL,
            blocking=True,
            description="over the province, area reclassified out of all categories = area reclassified "
            "in (to 0.01 m²), and both = the area that moved, recomputed from the valued rows of both "
            "years by id and base parcel (DOMAIN §2, §5)",
        ),
        dg.AssetCheckSpec(
            "removed_is_area_leaving_the_base_map",
            asset=BALANCE_PHYSICAL,
            blocking=False,
            description="per land, forest, grassland and wetland: area removed (new) = area of last "
            "(this) year's rows without a partner by id whose base parcel is not on this (last) year's "
            "state base map, recomputed from the valued rows (to 0.01 m²; a warning: without the "
            "consistency step an inventory row may point at a parcel off the base map)",
        ),
        dg.AssetCheckSpec(
            "account_adds_up",
            asset=BALANCE_VALUE,
            blocking=True,
            description="every cell: opening + volume change + revaluation = closing as published, "
            "and exactly in the unrounded figures",
        ),
        dg.AssetCheckSpec(
            "opening_equals_last_closing",
            asset=BALANCE_VALUE,
            blocking=True,
            description="published opening = last year's published closing (ledger value) of the same cell",
        ),
        dg.AssetCheckSpec(
            "rows_and_columns_add_up",
            asset=LAND_TRANSITIONS,
            blocking=True,
            description="per county and land class: the row adds up to last year's area, the column "
            "to this year's (m², exact)",
        ),
    ],
    partitions_def=province_years,
    # outputs and checks optional: a year that was not compiled yields none; a subset chosen in the UI is
    # computed with the rest (the three files come from one pass) and only it is materialized
    can_subset=True,
)
def balance(context: dg.AssetExecutionContext, settings: AccountsSettings):
    from assets_pipeline.infra import year_lock

    layout = partition_layout(context, settings)
    last = YearLayout(layout.output_dir, layout.year - 1)
    if not (layout.ledger_physical.exists() and layout.ledger_value.exists()):
        # A backfill of several years also asks for the balance of the year after the last (it depends on the last
        # year's valued rows), a year that is not being compiled: leave it out (the report and manifest of that
        # year are skipped too) instead of failing the backfill.
        context.log.warning(
            f"{layout.year} has not been compiled (no ledgers in {layout.root}): its balance accounts are left out"
        )
        return
    # last year's outputs are read under last year's lock: a run of that year in progress is waited for
    held = year_lock.acquire(
        layout.output_dir,
        last.year,
        context.run.run_id,
        wait=lambda holder: context.log.info(f"waiting for the run of {last.year} to finish ({holder})"),
    )
    try:
        yield from _balance(context, layout, last)
    finally:
        if held is not None:  # none taken when last year has no folder (year_lock.acquire)
            year_lock.release(layout.output_dir, last.year)


def _balance(context: dg.AssetExecutionContext, layout: YearLayout, last: YearLayout):
    try:  # last year's files are the opening balances: they must be the ones its manifest lists
        last_year_files = verify_last_year(layout)
    except LastYearFileError as exc:
        raise dg.Failure(description=f"balance: {exc}", metadata={"problem": str(exc)}, allow_retries=False) from None
    context.log.info(f"last year's files: {last_year_files}")
    has_opening = build_balance(layout, layout.balance_physical, layout.balance_value)
    has_transitions = build_land_transitions(layout, layout.land_transitions)
    if not has_opening:
        context.log.info(f"{layout.year}: no valued rows of {layout.year - 1}, so the balance accounts have no opening")
    outputs = {
        "physical": (BALANCE_PHYSICAL, layout.balance_physical),
        "value": (BALANCE_VALUE, layout.balance_value),
        "land_transitions": (LAND_TRANSITIONS, layout.land_transitions),
    }
    for name, (key, path) in outputs.items():
        rows = row_count(path)
        sha256 = sha256_of(path)
        write_json(
            {
                "file": path.name,
                "sha256": sha256,
                "rows": rows,
                "has_opening": has_transitions if name == "land_transitions" else has_opening,
            },
            layout.record("balance", name),
        )
        metadata = {
            "dagster/row_count": rows,
            "path": dg.MetadataValue.path(str(path)),
            "dagster/column_schema": table_schema(pq.read_schema(path)),
            "has_opening": has_transitions if name == "land_transitions" else has_opening,
            "last_year_files": last_year_files,
        }
        if name != "land_transitions" and has_opening:
            metadata["base_parcel_links"] = link_sources(layout)
        if name == "value":
            totals = province_balance_totals(path)
            metadata["province_万元"] = dg.MetadataValue.md(
                markdown_table(
                    ["category", "opening", "volume change", "revaluation", "closing"],
                    [(c, *(f"{v:,.2f}" if v is not None else "—" for v in r)) for c, *r in totals],
                )
            )
        if key in context.selected_asset_keys:  # the UI may materialize some of the three
            yield dg.MaterializeResult(asset_key=key, metadata=metadata, data_version=dg.DataVersion(sha256))

    for name, key, ledger in (
        ("physical", BALANCE_PHYSICAL, last.ledger_physical),
        ("value", BALANCE_VALUE, last.ledger_value),
    ):
        if key not in context.selected_asset_keys:
            continue
        broken, cells = identity_failures(outputs[name][1], name)
        yield dg.AssetCheckResult(
            check_name="account_adds_up",
            asset_key=key,
            passed=broken == 0,
            metadata={"cells": cells, "cells_not_adding_up": broken},
        )
        mismatches = opening_mismatches(outputs[name][1], ledger, name)
        yield dg.AssetCheckResult(
            check_name="opening_equals_last_closing",
            asset_key=key,
            passed=not mismatches,
            metadata={
                "has_opening": has_opening,
                "first_mismatches": dg.MetadataValue.md(
                    markdown_table(
                        ["cell", "opening", "last closing"],
                        [(" ".join(map(str, m[:-2])), str(m[-2]), str(m[-1])) for m in mismatches],
                    )
                ),
            },
        )
    if BALANCE_PHYSICAL in context.selected_asset_keys:
        yield _reclassification_result(reclassification_check(layout))
        yield _removed_and_new_result(removed_and_new_check(layout))
    if LAND_TRANSITIONS not in context.selected_asset_keys:
        return
    wrong = transition_mismatches(layout) if has_transitions else []
    yield dg.AssetCheckResult(
        check_name="rows_and_columns_add_up",
        asset_key=LAND_TRANSITIONS,
        passed=not wrong,
        metadata={
            "has_opening": has_transitions,
            "first_mismatches": dg.MetadataValue.md(
                markdown_table(
                    ["county", "side", "class", "matrix m²", "survey m²"], [tuple(map(str, w)) for w in wrong]
                )
            ),
        },
    )


def _reclassification_result(found: dict) -> dg.AssetCheckResult:
    """The in = out check's result, with each category's area reclassified in and out (公顷)."""
    metadata = {"has_opening": found["has_opening"]}
    if found["has_opening"]:
        metadata.update(
            {
                "out_m2": str(found["out_m2"]),
                "in_m2": str(found["in_m2"]),
                "recomputed_m2": str(found["recomputed_m2"]),
                "recomputed_same_id_m2": str(found["recomputed_same_id_m2"]),
                "recomputed_on_base_parcel_m2": str(found["recomputed_on_base_m2"]),
                "published_out_公顷": str(found["published_out_ha"]),
                "published_in_公顷": str(found["published_in_ha"]),
                "per_category_公顷": dg.MetadataValue.md(
                    markdown_table(
                        ["category", "out", "in", "out (published)", "in (published)"],
                        [
                            (c, f"{(o or 0):.10f}", f"{(i or 0):.10f}", str(po), str(pi))
                            for c, o, i, po, pi in found["categories"]
                        ],
                    )
                ),
            }
        )
    else:
        metadata["note"] = found["note"]
    return dg.AssetCheckResult(
        check_name="reclassified_in_equals_out", asset_key=BALANCE_PHYSICAL, passed=found["passed"], metadata=metadata
    )


def _removed_and_new_result(found: dict) -> dg.AssetCheckResult:
    """Removed and new against the area leaving and joining the state base map, per category (m²)."""
    return dg.AssetCheckResult(
        check_name="removed_is_area_leaving_the_base_map",
        asset_key=BALANCE_PHYSICAL,
        passed=found["passed"],
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "has_opening": found["has_opening"],
            "per_category_m2": dg.MetadataValue.md(
                markdown_table(
                    ["category", "removed", "left the state base map", "new", "joined the state base map"],
                    [(c, *(f"{v:.2f}" for v in r)) for c, *r in found["rows"]],
                )
            ),
        },
    )
