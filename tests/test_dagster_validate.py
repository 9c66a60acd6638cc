"""The year materialized through the real Dagster definitions; rejects read back from Parquet and .xlsx."""

import dagster as dg
import pandas as pd
from openpyxl import load_workbook

from assets_pipeline.cli import main
from assets_pipeline.definitions import defs
from mini_province import PLANTED, YEAR


def test_definitions_load_and_show_the_six_categories():
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for category in ("land", "forest", "grassland", "wetland", "water", "minerals"):
        assert {f"{category}/ingested", f"{category}/validated"} <= keys
    assert "reference/land_classes" in keys and "reference/land_base_prices" in keys


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
    assert set(zip(rejects["category"], rejects["source_file"], rejects["source_row"], rejects["column"], rejects["rule"])) == PLANTED

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

    from assets_pipeline.export_rejects import _problems

    lines = pa.table({"_row_id": [7, 3, 7, 7], "message": ["a", "b", "c", "d"]})
    assert _problems(lines, pa.array([3, 9, 7])).to_pylist() == ["b", None, "a; c; d"]


def test_a_missing_required_column_stops_the_category_with_one_line(mini_province, tmp_path, capsys):
    path = mini_province / str(YEAR) / "minerals.csv"
    text = path.read_text(encoding="utf-8").replace("resource_class,", "klass,")
    path.write_text(text, encoding="utf-8")
    code = main(["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(tmp_path / "o")])
    assert code == 1
    err = capsys.readouterr().err
    line = [l for l in err.splitlines() if l.startswith("error:")][0]
    assert "minerals/ingested" in line and "minerals.csv" in line and "resource_class" in line
    assert "Traceback" not in err
