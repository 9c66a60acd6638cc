"""A synthetic nation for trying the nation's path on one machine (DOMAIN §7): several sample provinces, each in
its own input folder, and a reference folder in which every province but the shipped one has tables of its own.

``generate_nation`` writes::

    <out_dir>/inputs/<province>/<year>/…            what ``generate_sample`` writes, one province at a time
    <out_dir>/reference_tables/…                    a copy of the shipped reference tables (Shanxi's, 140000)
    <out_dir>/reference_tables/<province>/admin_divisions.csv     the province's own divisions
    <out_dir>/reference_tables/<province>/prices/<table>.csv      its own price tables

A province's own price tables are the shipped ones whose rows carry region codes, with the province-level rows
re-keyed to the province's code and Shanxi's city, county and zone rows dropped: the province's override is what
prices its counties, so the run really takes each province's tables from its own folder (``reference.tables.
table_path``). The counties are the real county-level codes of the province in ``admin_divisions_cn.csv``; the
figures stay Shanxi's. Each province draws from its own seed (``province_seed``).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from assets_pipeline.sample.generate import SampleSummary, generate_sample
from assets_pipeline.sample.province_figures import PROVINCE_CODE
from assets_pipeline.sample.reference import REFERENCE_DIR

NATION_DIVISIONS = "admin_divisions_cn.csv"
PROVINCE_LEVELS = ("province", "city", "county")


def province_seed(seed: int, province: str) -> int:
    """The province's own seed: the shipped province keeps ``seed`` (its sample is the one ``nrledger sample``
    writes), the others ``seed`` shifted by their two-digit province prefix."""
    return seed if province == PROVINCE_CODE else seed * 100 + int(province[:2])


def read_text_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def write_text_csv(table: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def province_divisions(province: str, source: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The province's own rows (province, cities, counties) of the national division table, with the columns of
    the shipped ``admin_divisions.csv``."""
    columns = read_text_csv(source / "admin_divisions.csv").columns
    nation = read_text_csv(source / NATION_DIVISIONS)
    own = nation[nation["region_code"].str.startswith(province[:2]) & nation["level"].isin(PROVINCE_LEVELS)]
    if not (own["region_code"] == province).any():
        raise ValueError(f"{province} is no province of {NATION_DIVISIONS}")
    if not (own["level"] == "county").any():
        raise ValueError(f"{NATION_DIVISIONS} lists no county of {province}")
    return own[list(columns)].reset_index(drop=True)


def province_prices(table: pd.DataFrame, province: str) -> pd.DataFrame:
    """A shipped price table as the province's own: its province-level rows re-keyed to the province, its other
    rows of the shipped province (cities, counties, zones) dropped; rows without a region code kept."""
    shipped = table["region_code"].str.startswith(PROVINCE_CODE[:2])
    provincial = table["region_code"] == PROVINCE_CODE
    own = table[~shipped | provincial].copy()
    own.loc[own["region_code"] == PROVINCE_CODE, "region_code"] = province
    return own.reset_index(drop=True)


def write_nation_reference(out_dir: Path, provinces: Sequence[str], source: Path = REFERENCE_DIR) -> Path:
    """``<out_dir>/reference_tables/``: the shipped tables, and each other province's divisions and prices."""
    target = Path(out_dir) / "reference_tables"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    for province in provinces:
        if province == PROVINCE_CODE:
            continue
        write_text_csv(province_divisions(province, source), target / province / "admin_divisions.csv")
        for path in sorted((source / "prices").glob("*.csv")):
            table = read_text_csv(path)
            if "region_code" in table.columns:
                write_text_csv(province_prices(table, province), target / province / "prices" / path.name)
    return target


def generate_nation(
    out_dir: Path, provinces: Sequence[str], years: Sequence[int], parcels: int = 50_000, seed: int = 2023, **options
) -> dict[str, SampleSummary]:
    """Write the sample nation (see the module's docstring); ``parcels`` per province, ``options`` as for
    ``generate_sample``. Returns each province's summary."""
    provinces = sorted(set(provinces))
    if not provinces:
        raise ValueError("at least one province is needed")
    reference = write_nation_reference(out_dir, provinces)
    return {
        province: generate_sample(
            Path(out_dir) / "inputs" / province,
            years,
            parcels=parcels,
            seed=province_seed(seed, province),
            province=province,
            reference_dir=reference,
            **options,
        )
        for province in provinces
    }
