"""The year materialized through the real Dagster definitions; rejects read back from Parquet and .xlsx."""

import dagster as dg
import pandas as pd
import pytest
from openpyxl import load_workbook

from assets_pipeline.cli import main
from assets_pipeline.defs.definitions import defs
from mini_province import PLANTED, YEAR


def test_definitions_load_and_show_the_six_categories():
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for category in ("land", "forest", "grassland", "wetland", "water", "minerals"):
        assert {f"{category}/ingested", f"{category}/validated"} <= keys
    assert "reference/land_classes" in keys and "reference/land_base_prices" in keys


@pytest.mark.slow
def test_validate_through_dagster_writes_rejects_and_passes_reconciliation(mini_province, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert "land" in printed.out and "rejects_2023.xlsx" in printed.out

    instance = dg.DagsterInstance.get()
    for category in ("land", "forest", "minerals"):
        key = dg.AssetKey([category, "validated"])
        record = instance.get_latest_materialization_event(key)
        md = record.asset_materialization.metadata
        assert md["rows_read"].value == md["rows_valid"].value + md["rows_excluded"].value + md["rows_rejected"].value
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(key, "rows_reconcile")]
        )[dg.AssetCheckKey(key, "rows_reconcile")]
        assert check.event.dagster_event.event_specific_data.passed
    ingested = instance.get_latest_materialization_event(dg.AssetKey(["land", "ingested"])).asset_materialization
    assert len(ingested.metadata["input_sha256"].value) == 2

    rejects = pd.read_parquet(out / str(YEAR) / "rejects.parquet")
    assert (
        set(
            zip(
                rejects["category"],
                rejects["source_file"],
                rejects["source_row"],
                rejects["column"],
                rejects["rule"],
                strict=False,
            )
        )
        == PLANTED
    )

    wb = load_workbook(out / str(YEAR) / f"rejects_{YEAR}.xlsx")
    land = wb["土地 land"]
    header = [c.value for c in land[1]]
    assert header[:3] == ["source_file", "source_row", "problems"] and "parcel_id" in header
    rows = {(r[0].value, r[1].value): r for r in land.iter_rows(min_row=2)}
    assert len(rows) == 6
    bad = rows[("land/140105_小店区.csv", 9)]
    area = bad[header.index("area_m2")]
    assert area.value == "12a.5" and area.fill.fgColor.rgb.endswith("FFC7CE")  # original text, highlighted
    # the problems cell holds every reject line of the row, in the order of rejects.parquet
    for (source_file, source_row), row in rows.items():
        lines = rejects[(rejects["source_file"] == source_file) & (rejects["source_row"] == source_row)]
        assert row[2].value == "; ".join(lines["message"])


def test_problems_join_each_rows_messages_in_line_order():
    import pyarrow as pa

    from assets_pipeline.publish.rejects import _problems

    lines = pa.table({"_row_id": [7, 3, 7, 7], "message": ["a", "b", "c", "d"]})
    assert _problems(lines, pa.array([3, 9, 7])).to_pylist() == ["b", None, "a; c; d"]


@pytest.mark.slow
def test_a_missing_required_column_stops_the_category_with_one_line(mini_province, tmp_path, capsys):
    path = mini_province / str(YEAR) / "minerals.csv"
    text = path.read_text(encoding="utf-8").replace("resource_class,", "klass,")
    path.write_text(text, encoding="utf-8")
    code = main(
        ["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(tmp_path / "o")]
    )
    assert code == 1
    err = capsys.readouterr().err
    line = [text for text in err.splitlines() if text.startswith("error:")][0]
    assert "minerals/ingested" in line and "minerals.csv" in line and "resource_class" in line
    assert "Traceback" not in err


def _check(key: dg.AssetKey, name: str):
    instance = dg.DagsterInstance.get()
    check_key = dg.AssetCheckKey(key, name)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([check_key])[check_key]
    return record.event.dagster_event.event_specific_data


@pytest.mark.slow
def test_two_empty_files_stop_their_categories_only_and_both_are_reported(mini_province, tmp_path, capsys):
    """0-byte grassland and water files: both refusals printed, the four other categories ingested and validated."""
    (mini_province / str(YEAR) / "grassland.csv").write_bytes(b"")
    (mini_province / str(YEAR) / "water.csv").write_bytes(b"")
    code = main(
        ["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(tmp_path / "o")]
    )
    assert code == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: grassland/ingested: {mini_province / str(YEAR) / 'grassland.csv'}: the file is empty (0 bytes) / 文件为空",
        f"error: water/ingested: {mini_province / str(YEAR) / 'water.csv'}: the file is empty (0 bytes) / 文件为空",
    ]
    assert "Traceback" not in err and "2 problem(s)" in err
    # the other categories went on: validated, reconciled, their counts printed
    table = {
        line.split()[0]: line.split()[1:]
        for line in err.splitlines()
        if line.split()[:1] in (["land"], ["forest"], ["minerals"])
    }
    assert table == {"land": ["13", "5", "2", "6"], "forest": ["4", "2", "1", "1"], "minerals": ["3", "2", "0", "1"]}
    for category in ("land", "forest", "wetland", "minerals"):
        assert _check(dg.AssetKey([category, "validated"]), "rows_reconcile").passed
        assert _check(dg.AssetKey([category, "validated"]), "delivery_accepted").passed
    refusal = _check(dg.AssetKey(["water", "validated"]), "delivery_accepted")
    assert not refusal.passed and "water.csv: the file is empty" in refusal.metadata["problem"].value
    # a refused category's stage holds no rows of an earlier run; the rejects of the categories read are written
    assert pd.read_parquet(tmp_path / "o" / str(YEAR) / "_stages" / "ingested" / "water").empty
    assert set(pd.read_parquet(tmp_path / "o" / str(YEAR) / "rejects.parquet")["category"]) == {
        "land",
        "forest",
        "minerals",
    }


def _header_only_land_of_140106(mini_province):
    path = mini_province / str(YEAR) / "land" / "140106_迎泽区.parquet"
    frame = pd.read_parquet(path)
    frame.iloc[:0].to_parquet(path, index=False)


@pytest.mark.slow
def test_a_county_whose_land_survey_has_no_rows_blocks_publication(mini_province, tmp_path, capsys):
    """迎泽区's land file is a header only; it delivers grassland (1 row) and minerals (1 row), and had 3 land rows in
    2022: a finding, and the blocking check stops the land category (and so the publication)."""
    _header_only_land_of_140106(mini_province)
    last_year = tmp_path / "o" / str(YEAR - 1) / "_stages" / "ingested" / "land"
    last_year.mkdir(parents=True)
    pd.DataFrame({"region_code": ["140106", "140106", "140106", "140105"]}).to_parquet(last_year / "part-00000.parquet")
    code = main(["run", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(tmp_path / "o")])
    assert code == 1
    err = capsys.readouterr().err
    evidence = (
        "no rows in land/140106_迎泽区.parquet (header only); 3 land row(s) last year (2022); "
        "rows this year in grassland 2, minerals 1"
    )
    assert (
        f"error: missing_counties:land_survey_complete: the land survey (base map) misses county 140106 迎泽区: "
        f"{evidence}; deliver it, or name the county with --allow-missing-county if it is known"
    ) in err
    check = _check(dg.AssetKey(["missing_counties"]), "land_survey_complete")
    assert not check.passed
    assert check.metadata["recounted_missing"].value == ["140106"]
    assert check.metadata["missing_land_counties"].value == [
        {"county": "140106", "name": "迎泽区", "reason": "no_rows", "evidence": evidence}
    ]
    findings = pd.read_parquet(tmp_path / "o" / str(YEAR) / "_stages" / "missing_counties.parquet")
    land = findings[findings["category"] == "land"]
    assert land[["region_code", "reason", "allowed", "blocking"]].values.tolist() == [
        ["140106", "no_rows", False, True]
    ]
    assert f"BLOCKS land       140106 迎泽区: {evidence}" in err
    year_root = tmp_path / "o" / str(YEAR)
    assert not (year_root / "ledger_value.parquet").exists() and not (year_root / "valued" / "land.parquet").exists()


@pytest.mark.slow
def test_a_county_named_as_known_lets_the_land_survey_through(mini_province, tmp_path, capsys):
    _header_only_land_of_140106(mini_province)
    code = main(
        [
            "validate",
            "--year",
            str(YEAR),
            "--input-dir",
            str(mini_province),
            "--output-dir",
            str(tmp_path / "o"),
            "--allow-missing-county",
            "140106",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert (
        "allowed land       140106 迎泽区: no rows in land/140106_迎泽区.parquet (header only); "
        "rows this year in grassland 2, minerals 1" in out
    )
    assert _check(dg.AssetKey(["missing_counties"]), "land_survey_complete").passed


@pytest.mark.slow
def test_a_deleted_county_land_file_is_found_as_no_file(mini_province, tmp_path, capsys):
    (mini_province / str(YEAR) / "land" / "140106_迎泽区.parquet").unlink()
    code = main(
        ["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(tmp_path / "o")]
    )
    assert code == 1
    assert (
        "misses county 140106 迎泽区: no file delivers the county; rows this year in grassland 2, minerals 1"
        in capsys.readouterr().err
    )


@pytest.mark.slow
def test_the_land_survey_check_recounts_the_missing_counties_itself(mini_province, tmp_path, capsys, monkeypatch):
    """Findings that lost 迎泽区 (a broken query) do not let the land survey through: the check counts again."""
    from assets_pipeline.defs import inventory as inventory_assets
    from assets_pipeline.ingest import deliveries

    def losing_every_finding(layout, divisions, land_classes, allowed=()):
        table = deliveries.FINDINGS_SCHEMA.empty_table()
        deliveries.write_parquet(table, deliveries.missing_counties_path(layout))
        return table

    monkeypatch.setattr(inventory_assets, "write_missing_counties", losing_every_finding)
    _header_only_land_of_140106(mini_province)
    code = main(
        ["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(tmp_path / "o")]
    )
    assert code == 1
    assert (
        "error: missing_counties:land_survey_complete: the counties missing from the land survey recounted from "
        "the staged files (140106) are not the findings' ()"
    ) in capsys.readouterr().err
