"""The balance accounts read every row's base parcel from the published valued files of both years — files the
manifest covers — and the valued files trace every row to its delivered row (DOMAIN §2, §5).

Two years of a small sample are compiled with the command line (which writes each year's manifest); the
hand-made province of ``test_consistency`` gives the hand-worked figures of the audit trail.
"""

from __future__ import annotations

import shutil
from decimal import Decimal as D

import duckdb
import pandas as pd
import pytest
from test_consistency import compile_province

from assets_pipeline.cli import main
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.ledgers.both_years import link_sources
from assets_pipeline.ledgers.reclassifications import reclassification_check
from assets_pipeline.sample.generate import generate_sample

YEARS = (2021, 2022)
BALANCE_FILES = ("balance_physical", "balance_value", "land_transitions")


def run(inputs, out, years: str) -> int:
    return main(["run", "--years", years, "--input-dir", str(inputs), "--output-dir", str(out)])


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    root = tmp_path_factory.mktemp("published")
    generate_sample(root / "inputs", list(YEARS), parcels=600, seed=5, formats="parquet", layers="none")
    assert run(root / "inputs", root / "out", "2021-2022") == 0
    return root


@pytest.mark.slow
def test_last_years_stages_removed_give_the_same_balance(two_years, tmp_path):
    """2022 compiled again once 2021's stage files are gone gives the balance files 2022 got with them there."""
    removed = tmp_path / "removed"
    shutil.copytree(two_years / "out", removed)
    shutil.rmtree(YearLayout(removed, 2021).stages)
    assert run(two_years / "inputs", removed, "2022") == 0
    this_kept, this_removed = YearLayout(two_years / "out", 2022), YearLayout(removed, 2022)
    for name in BALANCE_FILES:
        assert getattr(this_removed, name).read_bytes() == getattr(this_kept, name).read_bytes(), name
    # the links come from the published files, and rows did move on their base parcels
    assert link_sources(this_removed) == (
        "2021: forest valued/forest.parquet, grassland valued/grassland.parquet, "
        "wetland valued/wetland.parquet; 2022: forest valued/forest.parquet, "
        "grassland valued/grassland.parquet, wetland valued/wetland.parquet"
    )
    assert reclassification_check(this_removed)["recomputed_on_base_m2"] > 0


@pytest.mark.slow
def test_a_base_parcel_changed_in_last_years_valued_file_stops_the_balance(two_years, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(two_years / "out", out)
    valued = YearLayout(out, 2021).valued("forest")
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * REPLACE (CASE WHEN _row_id = (SELECT min(_row_id) FROM read_parquet($p)) "
            f"THEN base_parcel_id || 'X' ELSE base_parcel_id END AS base_parcel_id) FROM read_parquet($p)) "
            f"TO '{tmp_path / 'forest.parquet'}' (FORMAT parquet)",
            {"p": str(valued)},
        )
    changed = pd.read_parquet(tmp_path / "forest.parquet")
    assert changed.base_parcel_id.str.endswith("X").sum() in (1, 2)  # one row: its land part and its trees part
    shutil.copy(tmp_path / "forest.parquet", valued)
    assert run(two_years / "inputs", out, "2022") != 0
    assert f"{valued}: differs from {YearLayout(out, 2021).manifest}" in capsys.readouterr().err


@pytest.mark.slow
def test_every_inventory_row_carries_its_base_parcel(two_years):
    layout = YearLayout(two_years / "out", 2022)
    land = pd.read_parquet(layout.valued("land"))
    assert (land.base_parcel_id == land.parcel_id).all()
    for category in ("forest", "grassland", "wetland"):
        valued = pd.read_parquet(layout.valued(category))
        resolved = pd.concat(pd.read_parquet(p) for p in part_files(layout.resolved(category)))
        resolved = resolved[resolved._row_id.notna()]  # rows from the base map alone: their own base parcel
        expected = dict(zip(resolved._row_id, resolved.base_parcel_id, strict=True))
        with_row = valued[valued._row_id.notna()]
        assert with_row.base_parcel_id.fillna("").tolist() == with_row._row_id.map(expected).fillna("").tolist()
        # every row carries the parcel id it was delivered with
        assert valued.parcel_id.notna().all(), category


# ------------------------------------------------------------------ the audit trail on the hand-made province


@pytest.fixture(scope="module")
def base_map_wins(tmp_path_factory):
    layout = compile_province(tmp_path_factory.mktemp("base-map-wins"), "base-map-wins")
    forest = pd.read_parquet(layout.valued("forest"))
    ids = pd.read_parquet(part_files(layout.validated("forest"))[0])[["parcel_id", "_row_id"]]
    return forest.merge(ids.rename(columns={"parcel_id": "delivered_id"}), on="_row_id", how="left")


def test_a_row_set_aside_keeps_its_parcel_and_base_parcel(base_map_wins):
    # F03 (4,000 m² of 乔木林地 on L03, 旱地 on the base map): excluded, with its delivered id and base parcel
    f03 = base_map_wins[base_map_wins.delivered_id == "F03"]
    assert f03.status.tolist() == ["excluded"] and "class_mismatch" in f03.status_reason.iloc[0]
    assert (f03.parcel_id.tolist(), f03.base_parcel_id.tolist()) == (["F03"], ["L03"])
    assert f03.area_m2.iloc[0] == f03.delivered_area_m2.iloc[0] == D("4000.00")
    assert f03.consistency_resolution.isna().all()
    # every valued row of an inventory row carries the parcel id it was delivered with
    delivered = base_map_wins[base_map_wins.delivered_id.notna()]
    assert (delivered.parcel_id == delivered.delivered_id).all()


def test_an_area_conformed_within_the_tolerance_says_so(base_map_wins):
    # F10, 2,001 m² on L10 (2,000 m²): 0.05 % over, within the 0.1 % tolerance, so no finding; counted at the base
    # parcel's 2,000.00 m², and the valued row shows the area it was delivered with
    f10 = base_map_wins[base_map_wins.delivered_id == "F10"]
    assert set(f10.component) == {"land", "trees"}
    assert f10.consistency_findings.isna().all() and f10.status.eq("valued").all()
    assert f10.area_m2.tolist() == [D("2000.00")] * 2 and f10.delivered_area_m2.tolist() == [D("2001.00")] * 2
    assert (
        f10.consistency_resolution.tolist()
        == ["area conformed to base parcel L10: delivered 2001.00 m², counted 2000.00 m²"] * 2
    )
    # F02a and F02b (6,000 + 5,000 on L02, 10,000 m²): scaled to 5,454.55 and 4,545.45, with their findings
    f02a = base_map_wins[(base_map_wins.delivered_id == "F02a") & (base_map_wins.component == "land")].iloc[0]
    assert f02a.consistency_findings == "area_exceeds_base"
    assert f02a.consistency_resolution == "area conformed to base parcel L02: delivered 6000.00 m², counted 5454.55 m²"
    # F01 describes L01 exactly: stands as delivered, nothing to say
    f01 = base_map_wins[base_map_wins.delivered_id == "F01"]
    assert f01.consistency_resolution.isna().all() and (f01.delivered_area_m2 == f01.area_m2).all()
