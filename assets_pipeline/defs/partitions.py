"""Every asset of a province's accounts is partitioned by province × accounting year (DOMAIN §7).

Keys read ``140000|2023`` in the UI's partitions grid: the province's 6-digit code and the year. The provinces are
the 31 provincial units of the shipped division table (``reference_tables/admin_divisions_cn.csv``); the national
roll-up is partitioned by the year alone.
"""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR
from assets_pipeline.settings import AccountsSettings

# Hong Kong, Macao and Taiwan keep accounts of their own; 990000 is a border code, not a province
NOT_IN_THE_NATION = {"710000", "810000", "820000", "990000"}


def nation_provinces(divisions: Path = DEFAULT_REFERENCE_DIR / "admin_divisions_cn.csv") -> list[str]:
    with open(divisions, encoding="utf-8-sig", newline="") as f:
        return [
            row["region_code"]
            for row in csv.DictReader(f)
            if row["level"] == "province" and row["region_code"] not in NOT_IN_THE_NATION
        ]


accounting_years = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start="2015",
    fmt="%Y",
    end_offset=1,  # the current year can be compiled as soon as its inventories arrive
)
provinces = dg.StaticPartitionsDefinition(nation_provinces())
province_years = dg.MultiPartitionsDefinition({"province": provinces, "year": accounting_years})


def partition_key(province: str, year: int) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"province": province, "year": str(year)})


def province_year(context: dg.AssetExecutionContext) -> tuple[str, int]:
    keys = context.partition_key.keys_by_dimension
    return keys["province"], int(keys["year"])


def partition_layout(context: dg.AssetExecutionContext, settings: AccountsSettings) -> YearLayout:
    """Where the partition's files are: ``<output-dir>/<province>/<year>/`` for a nation's input folder,
    ``<output-dir>/<year>/`` for a single province's (``AccountsSettings.province_output``)."""
    province, year = province_year(context)
    return YearLayout(settings.province_output(province), year)


def partition_input(context: dg.AssetExecutionContext, settings: AccountsSettings) -> Path:
    province, _ = province_year(context)
    return settings.province_input(province)
