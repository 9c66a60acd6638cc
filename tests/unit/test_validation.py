"""Ingest and validate the hand-made province: exact counts, areas, and every planted defect found."""

import duckdb
import pandas as pd
import pytest

from assets_pipeline.infra.layout import YearLayout, parts
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category
from mini_province import PLANTED, YEAR


@pytest.fixture(scope="module")
def validated(mini_province_shared, tmp_path_factory):
    """The province ingested and validated once; the tests below only read what was written."""
    layout = YearLayout(tmp_path_factory.mktemp("validated") / "out", YEAR)
    codes = CodeLists.from_reference(load_reference())
    results = {}
    for category in CATEGORIES:
        ingest_category(category, mini_province_shared, YEAR, layout.ingested(category))
        results[category] = validate_category(category, layout, codes)
    return layout, results


def test_every_planted_defect_is_rejected_with_file_row_column_and_rule(validated):
    layout, _ = validated
    lines = pd.concat([pd.read_parquet(layout.reject_lines(c)) for c in CATEGORIES])
    found = set(
        zip(lines["category"], lines["source_file"], lines["source_row"], lines["column"], lines["rule"], strict=False)
    )
    assert found == PLANTED
    assert lines["message"].str.contains(" / ").all()  # Chinese and English


def test_counts_per_category(validated):
    _, results = validated
    counts = {c: (r.rows_read, r.rows_valid, r.rows_excluded, r.rows_rejected) for c, r in results.items()}
    assert counts == {
        "land": (13, 5, 2, 6),
        "forest": (4, 2, 1, 1),
        "grassland": (2, 1, 0, 1),
        "wetland": (1, 1, 0, 0),
        "water": (3, 3, 0, 0),
        "minerals": (3, 2, 0, 1),
    }


def test_areas_converted_and_reconciled(validated):
    layout, results = validated
    land = results["land"]
    # valid: 2000.00 (3 亩) + 600.00 (0.9 亩) + 20000.00 (30 亩) + 1500.25 + 50000.00 m²
    assert land.area_valid == pytest.approx(74100.25, abs=0.005)
    # excluded collective: 1000.00 (1.5 亩) + 800.00 m²
    assert land.area_excluded == pytest.approx(1800.00, abs=0.005)
    for r in results.values():
        assert r.area_read == pytest.approx(r.area_valid + r.area_excluded + r.area_rejected, abs=1e-6)
    frame = pd.read_parquet(layout.validated("land")).set_index("parcel_id")
    assert frame.loc["1401050000000001", "region_code"] == "140105"  # 12-digit 坐落单位代码 cut to the county
    assert frame.loc["1401050000000003", "supply_method"] == "granted"  # 出让 → its code
    assert frame.loc["1401050000000003", "area_m2"] == 600.00


def test_thousand_separators_full_width_digits_and_named_codes(validated):
    layout, _ = validated
    grass = pd.read_parquet(layout.validated("grassland"))
    assert grass.loc[0, "area_m2"] == 50000.0 and grass.loc[0, "hay_yield_kg_per_ha"] == 1200.0
    wet = pd.read_parquet(layout.validated("wetland"))
    assert wet.loc[0, "area_m2"] == 2500.0
    water = pd.read_parquet(layout.validated("water")).set_index("source_type")
    # 万立方米 in the header: 120 万m³ = 1,200,000 m³; 地表水/地下水/重复计算量 named, mapped to codes
    assert water["volume_m3"].to_dict() == {"surface": 1_200_000.0, "groundwater": 800_000.0, "overlap": 300_000.0}
    assert bool(water.loc["groundwater", "overdraft_zone"]) is True


def test_forest_state_trees_on_collective_land_are_in_scope(validated):
    layout, _ = validated
    forest = pd.read_parquet(layout.validated("forest")).set_index("parcel_id")
    assert pd.isna(forest.loc["F0002", "exclusion_reason"])
    assert "collective" in forest.loc["F0003", "exclusion_reason"]


def test_rejected_rows_kept_whole(validated):
    layout, _ = validated
    with duckdb.connect() as con:
        n = con.execute("SELECT count(*) FROM read_parquet(?)", [parts(layout.rejected_rows("land"))]).fetchone()[0]
    assert n == 6


def test_worker_processes_give_the_same_rows_as_one_process(mini_province, tmp_path, monkeypatch):
    monkeypatch.setenv("NRLEDGER_WORKERS", "2")
    codes = CodeLists.from_reference(load_reference())
    outputs = {}
    for parallel in (False, True):
        layout = YearLayout(tmp_path / f"out_{parallel}", YEAR)
        for category in ("land", "forest"):
            ingest_category(category, mini_province, YEAR, layout.ingested(category), parallel=parallel)
            validate_category(category, layout, codes, parallel=parallel)
        outputs[parallel] = {
            kind: pd.read_parquet(folder)
            .sort_values(["_row_id", *(["column"] if kind == "lines" else [])])
            .reset_index(drop=True)
            for kind, folder in (
                ("valid", layout.validated("land")),
                ("rejected", layout.rejected_rows("land")),
                ("lines", layout.reject_lines("land")),
                ("forest", layout.validated("forest")),
            )
        }
    for kind in outputs[False]:
        pd.testing.assert_frame_equal(outputs[False][kind], outputs[True][kind])
    assert len(outputs[True]["valid"]) == 7


def _land_csv(rows: list[list[str]]) -> str:
    return "parcel_id,region_code,land_class,area_m2,ownership\n" + "".join(",".join(r) + "\n" for r in rows)


def _validate_land(root, files: dict[str, str]):
    for name, text in files.items():
        path = root / "in" / str(YEAR) / "land" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    layout = YearLayout(root / "out", YEAR)
    ingest_category("land", root / "in", YEAR, layout.ingested("land"))
    validate_category("land", layout, CodeLists.from_reference(load_reference()))
    valid = pd.read_parquet(layout.validated("land"))
    lines = pd.read_parquet(layout.reject_lines("land"))
    return valid, lines


def test_an_id_in_two_counties_keeps_the_row_of_its_own_county_whatever_the_file_order(tmp_path):
    """A stray row in 小店区's file (sorted first) carries 迎泽区's parcel id: 迎泽区's own row is valued, the stray rejected."""
    valid, lines = _validate_land(
        tmp_path,
        {
            "140105_小店区.csv": _land_csv(
                [
                    ["1401050000000001", "140105", "0103", "100", "10"],  # line 2
                    ["1401060000000001", "140105", "0103", "999", "10"],  # line 3: the stray, the other county's id
                ]
            ),
            "140106_迎泽区.csv": _land_csv(
                [
                    ["1401060000000001", "140106", "0701", "250", "10"]  # line 2: the genuine row
                ]
            ),
        },
    )
    kept = valid.set_index("parcel_id")
    assert kept.loc["1401060000000001", ["_source_file", "_source_row", "area_m2"]].tolist() == [
        "land/140106_迎泽区.csv",
        2,
        250.0,
    ]
    assert len(valid) == 2
    assert lines[["source_file", "source_row", "column", "rule"]].values.tolist() == [
        ["land/140105_小店区.csv", 3, "parcel_id", "unique"]
    ]
    assert lines["check"].iloc[0] == (
        "kept land/140106_迎泽区.csv row 2, whose county 140106 is the id's and its file's; "
        "this row: county 140105 in land/140105_小店区.csv"
    )


def test_an_id_no_county_decides_is_rejected_in_every_file_naming_the_others(tmp_path):
    """Ids without a county code (X01) in two counties' files, each row of its file's county: neither is kept."""
    valid, lines = _validate_land(
        tmp_path,
        {
            "140105_小店区.csv": _land_csv(
                [["X01", "140105", "0103", "100", "10"], ["X02", "140105", "0103", "5", "10"]]
            ),
            "140106_迎泽区.csv": _land_csv([["X01", "140106", "0103", "200", "10"]]),
        },
    )
    assert valid["parcel_id"].tolist() == ["X02"]
    found = lines.set_index(["source_file", "source_row"])["check"].to_dict()
    assert found == {
        ("land/140105_小店区.csv", 2): "also in land/140106_迎泽区.csv row 2: no one row's county is the id's (140105) "
        "and its file's, so none is kept",
        ("land/140106_迎泽区.csv", 2): "also in land/140105_小店区.csv row 2: no one row's county is the id's (140106) "
        "and its file's, so none is kept",
    }
    assert (
        set(lines["rule"]) == {"unique"}
        and lines["message_en"].str.startswith("parcel_id: duplicate id (also in").all()
    )


def test_an_id_whose_county_code_both_rows_carry_keeps_the_row_in_that_countys_file(tmp_path):
    """Both rows say county 140105; only one comes in 140105's file: that one is kept, the other names it."""
    valid, lines = _validate_land(
        tmp_path,
        {
            "140105_小店区.csv": _land_csv([["1401050000000001", "140105", "0103", "100", "10"]]),
            "140107_杏花岭区.csv": _land_csv(
                [
                    ["1401050000000001", "140105", "0103", "300", "10"],
                    ["1401070000000001", "140107", "0103", "300", "10"],
                ]
            ),
        },
    )
    assert sorted(zip(valid["parcel_id"], valid["_source_file"], strict=False)) == [
        ("1401050000000001", "land/140105_小店区.csv"),
        ("1401070000000001", "land/140107_杏花岭区.csv"),
    ]
    assert lines[["source_file", "source_row", "rule"]].values.tolist() == [["land/140107_杏花岭区.csv", 2, "unique"]]


def test_an_id_copied_many_times_names_six_places_and_the_count(tmp_path):
    valid, lines = _validate_land(
        tmp_path,
        {
            "140105_小店区.csv": _land_csv([["X01", "140105", "0103", "1", "10"]] * 4),
            "140106_迎泽区.csv": _land_csv([["X01", "140106", "0103", "1", "10"]] * 4),
        },
    )
    assert valid.empty and len(lines) == 8
    first = lines[(lines["source_file"] == "land/140105_小店区.csv") & (lines["source_row"] == 2)]["check"].iloc[0]
    assert first == (
        "also in land/140105_小店区.csv row 3; land/140105_小店区.csv row 4; land/140105_小店区.csv row 5; "
        "land/140106_迎泽区.csv row 2; land/140106_迎泽区.csv row 3 … (8 rows): no one row's county is the "
        "id's (140105) and its file's, so none is kept"
    )


def test_water_repeated_county_basin_and_source(tmp_path):
    """Water's id holds the county itself: a county's row in another county's file is the stray."""
    for name, text in {
        "140105_小店区.csv": "region_code,basin,source_type,volume_m3\n140105,黄河流域,surface,100\n",
        "140106_迎泽区.csv": "region_code,basin,source_type,volume_m3\n140105,黄河流域,surface,999\n",
    }.items():
        path = tmp_path / "in" / str(YEAR) / "water" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    layout = YearLayout(tmp_path / "out", YEAR)
    ingest_category("water", tmp_path / "in", YEAR, layout.ingested("water"))
    validate_category("water", layout, CodeLists.from_reference(load_reference()))
    assert pd.read_parquet(layout.validated("water"))["volume_m3"].tolist() == [100.0]
    lines = pd.read_parquet(layout.reject_lines("water"))
    assert lines[["source_file", "source_row", "column", "rule"]].values.tolist() == [
        ["water/140106_迎泽区.csv", 2, "region_code", "unique"]
    ]


def test_core_zone_and_urban_boundary_areas_are_read_and_bounded_by_the_parcel(tmp_path):
    # the survey's own field names (HXQMJ, CZKFBJMJ) and the Chinese ones map to the two memo areas
    text = (
        "parcel_id,region_code,land_class,area_m2,ownership,HXQMJ,城镇开发边界面积\n"
        "K1,140105,0103,1000,10,250,1000\n"  # line 2: a quarter in the core zone, all inside the urban boundary
        "K2,140105,0103,1000,10,1000.02,\n"  # line 3: core zone area over the parcel's
        "K3,140105,0103,1000,10,,1000.01\n"  # line 4: within 0.01 m² of the parcel: kept
        "K4,140105,0103,1000,10,,1500\n"  # line 5: urban boundary area over the parcel's
    )
    valid, lines = _validate_land(tmp_path, {"140105.csv": text})
    kept = valid.set_index("parcel_id")
    assert sorted(kept.index) == ["K1", "K3"]
    assert (kept.loc["K1", "protected_core_area_m2"], kept.loc["K1", "urban_boundary_area_m2"]) == (250.0, 1000.0)
    got = sorted(zip(lines.source_row, lines.column, lines.rule, strict=True))
    assert got == [(3, "protected_core_area_m2", "consistency"), (5, "urban_boundary_area_m2", "consistency")]
