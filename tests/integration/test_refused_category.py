"""A refused delivery stops its category only: the year's rejects workbook, rejects.parquet and the county packs
are still written for the categories that were read, the refusal listed among them, and no ledger is published."""

import pandas as pd
import pytest
from openpyxl import load_workbook

from assets_pipeline.cli import main
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.publish.county_packs import pack_folder
from mini_province import PLANTED, YEAR

REFUSAL = "the file is empty (0 bytes) / 文件为空"


@pytest.mark.slow
def test_an_empty_grassland_file_stops_grassland_and_the_rejects_of_the_rest_are_written(
    mini_province, tmp_path, capsys
):
    grassland = mini_province / str(YEAR) / "grassland.csv"
    grassland.write_bytes(b"")
    out = tmp_path / "out"
    code = main(["run", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(out)])

    assert code == 1
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        f"error: grassland/ingested: {grassland}: {REFUSAL}"
    ]
    assert "1 problem(s)" in err and "Traceback" not in err and "dagster." not in err and "Warning" not in err

    layout = YearLayout(out, YEAR)
    # rejects.parquet: every planted reject of the categories that were read, none of grassland's
    rejects = pd.read_parquet(layout.rejects_parquet)
    found = set(
        zip(
            rejects["category"],
            rejects["source_file"],
            rejects["source_row"],
            rejects["column"],
            rejects["rule"],
            strict=True,
        )
    )
    assert found == {planted for planted in PLANTED if planted[0] != "grassland"}

    # the workbook lists the land rejects, and a line for the refused file
    wb = load_workbook(layout.rejects_workbook, read_only=True)
    land = list(wb["土地 land"].iter_rows(min_row=2, values_only=True))
    assert {(r[0], r[1]) for r in land} == {(f, row) for c, f, row, _, _ in PLANTED if c == "land"}
    refused = list(wb["拒收文件 Refused files"].iter_rows(values_only=True))
    assert refused[0] == ("category", "source_file", "problems")
    assert len(refused) == 2
    category, source_file, problem = refused[1]
    assert category == "草原 grassland" and source_file == str(grassland)
    assert "整个文件被拒收" in problem and "the whole file was refused" in problem and problem.endswith(REFUSAL)
    assert "草原 grassland" not in wb.sheetnames

    # a pack for each county with land rejects
    packs = {p.name for p in pack_folder(layout).glob("*.xlsx")}
    assert {"140105_小店区.xlsx", "140106_迎泽区.xlsx"} <= packs

    # nothing of the refused category is valued, and no ledger is published
    assert not layout.valued("grassland").exists()
    assert not layout.ledger_value.exists() and not layout.ledger_physical.exists()
    assert not layout.manifest.exists()


@pytest.mark.slow
def test_a_year_without_refusal_has_no_refused_sheet(mini_province, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(out)]) == 0
    assert (
        "拒收文件 Refused files" not in load_workbook(YearLayout(out, YEAR).rejects_workbook, read_only=True).sheetnames
    )


def test_rejects_of_no_county_are_scored_last_under_the_county_packs_code_and_name(mini_province, tmp_path):
    """grassland.csv is not named after a county: a row of it with a county code the province does not have is
    scored under 000000 未能确定所属县, as in the county packs, after every county whatever its shares."""
    from openpyxl import Workbook

    from assets_pipeline.ledgers.ledger import write_unpriced
    from assets_pipeline.publish.quality import build_scorecard, write_scorecard_sheet
    from assets_pipeline.publish.rejects import combine_rejects
    from stages import compile_stages

    grassland = mini_province / str(YEAR) / "grassland.csv"
    text = grassland.read_text(encoding="utf-8-sig")
    grassland.write_text(
        text.replace("G0002,1401060000000099,140106,", "G0002,1401060000000099,149999,"), encoding="utf-8-sig"
    )
    layout = compile_stages(mini_province, tmp_path / "out", YEAR, consistency_policy="base-map-wins")
    write_unpriced(layout, layout.unpriced)
    combine_rejects(layout)
    rows = build_scorecard(layout)

    card = pd.read_parquet(layout.scorecard)
    assert card["region_code"].tolist()[-1] == "000000" and rows[-1][0] == "000000"
    unknown = card.iloc[-1]
    assert unknown["region_name"] == "未能确定所属县" and unknown["rejected_share"] == 1.0
    assert unknown["problem_share"] >= card["problem_share"].max() - 1e-9  # last although it is the worst
    assert card["region_code"].notna().all()
    assert not card["region_name"].str.contains("no county").any()

    for lang, name in (("zh", "未能确定所属县"), ("en", "county not determined")):
        wb = Workbook(write_only=True)
        write_scorecard_sheet(wb, layout, lang)
        path = tmp_path / f"quality_{lang}.xlsx"
        wb.save(path)
        listed = [r for r in load_workbook(path).worksheets[0].iter_rows(min_row=4, values_only=True) if r[0]]
        assert listed[-1][:2] == ("000000", name)


@pytest.mark.slow
def test_a_refused_land_survey_leaves_no_finding_against_a_base_map_that_was_not_read(mini_province, tmp_path, capsys):
    """Without the base map every forest, grassland and wetland parcel would be found missing from it and sent back
    to its county: no finding is kept, the refusal is listed, and the other categories' rejects are written."""
    land = mini_province / str(YEAR) / "land" / "140105_小店区.csv"
    land.write_bytes(b"")
    out = tmp_path / "out"
    assert main(["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(out)]) == 1
    assert f"error: land/ingested: {land}: {REFUSAL}" in capsys.readouterr().err

    layout = YearLayout(out, YEAR)
    assert pd.read_parquet(layout.inconsistencies).empty
    rejects = pd.read_parquet(layout.rejects_parquet)
    assert set(rejects["category"]) == {"forest", "grassland", "minerals"}
    wb = load_workbook(layout.rejects_workbook, read_only=True)
    refused = list(wb["拒收文件 Refused files"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in refused] == [("土地 land", str(land))]
