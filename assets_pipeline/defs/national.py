"""The nation's year (DOMAIN §7): the provinces' published cells added up, with blocking checks that the nation
equals the sum of its provinces, in the Parquet files and as printed in the workbook."""

import warnings

import dagster as dg

from assets_pipeline.defs.ledgers import LEDGER_PHYSICAL, LEDGER_VALUE
from assets_pipeline.defs.metadata import markdown_table
from assets_pipeline.defs.partitions import accounting_years, nation_provinces
from assets_pipeline.infra.storage import atomic_folder
from assets_pipeline.ledgers.national import (
    NationalError,
    compile_national,
    nation_differs_from_provinces,
    national_folder,
)
from assets_pipeline.publish.national_report import workbook_adds_up, write_national_workbook
from assets_pipeline.settings import AccountsSettings

NATIONAL = dg.AssetKey(["national"])

with warnings.catch_warnings():  # the mapping is marked beta; runs print no warning for it
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    # the nation's year takes the same year of every province
    EVERY_PROVINCE = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="year")


@dg.asset(
    key=NATIONAL,
    group_name="national",
    partitions_def=accounting_years,
    deps=[dg.AssetDep(key, partition_mapping=EVERY_PROVINCE) for key in (LEDGER_PHYSICAL, LEDGER_VALUE)],
    kinds={"duckdb", "parquet", "excel"},
    description="全国 the nation's physical and value ledgers of the year: <output-dir>/national/<year>/"
    "ledger_physical.parquet, ledger_value.parquet (region_level 'national' beside the provinces' rows), "
    "national_<year>.xlsx and national.json (provinces in, missing, their manifests' hashes; partial or not).",
    check_specs=[
        dg.AssetCheckSpec(
            "nation_equals_its_provinces",
            asset=NATIONAL,
            blocking=True,
            description="every national cell = the sum of the provinces' published cells, recomputed from each "
            "province's own ledger files (published and unrounded figures)",
        ),
        dg.AssetCheckSpec(
            "workbook_adds_up",
            asset=NATIONAL,
            blocking=True,
            description="on every sheet of the saved workbook, the nation's row = the sum of the province rows as "
            "printed",
        ),
    ],
)
def national(context: dg.AssetExecutionContext, settings: AccountsSettings):
    """Built in a folder beside ``national/<year>/`` that replaces it only when both checks pass: a nation that does
    not add up is never published, and the previous one stays."""
    year = int(context.partition_key)
    final = national_folder(settings.output_path(), year)
    try:
        with atomic_folder(final) as staging:
            result = compile_national(
                settings.output_path(), settings.input_path(), year, nation_provinces(), staging, settings.allow_partial
            )
            book = write_national_workbook(result)
            differing = nation_differs_from_provinces(result)
            problems = workbook_adds_up(book.path)
            if differing or problems:
                raise NotPublished
        published = True
    except NationalError as exc:
        raise dg.Failure(description=str(exc), metadata={"problem": str(exc)}, allow_retries=False) from None
    except NotPublished:
        published = False
    yield dg.MaterializeResult(
        metadata={
            "published": published,
            "partial": result.partial,
            "provinces_included": len(result.included),
            "provinces_expected": len(result.expected),
            "provinces": dg.MetadataValue.md(
                markdown_table(
                    ["province", "name", "status", "manifest.json SHA-256 / why missing"],
                    [[p.code, p.name, "in", p.manifest_sha256] for p in result.included]
                    + [[p.code, "", "MISSING", p.why_missing] for p in result.missing],
                )
            ),
            "rows": dg.MetadataValue.json(result.rows),
            "folder": dg.MetadataValue.path(str(final)),
            "workbook": dg.MetadataValue.path(str(final / book.path.name)),
        }
    )
    yield dg.AssetCheckResult(
        check_name="nation_equals_its_provinces",
        passed=not differing,
        metadata={"cells_differing": len(differing), "first": dg.MetadataValue.md("\n".join(differing[:20]) or "none")},
    )
    yield dg.AssetCheckResult(
        check_name="workbook_adds_up",
        passed=not problems,
        metadata={"problems": len(problems), "first": dg.MetadataValue.md("\n".join(problems[:20]) or "none")},
    )


class NotPublished(Exception):
    """A check failed: the staging folder is dropped and the published nation (if any) stays as it was."""
