"""The county packs (to_counties/<code>_<name>.xlsx) read back, and a county's corrections taken on the next run.

The mini province's land file of 小店区 is a GBK CSV with the survey's own headers (BSM, DLBM, 图斑面积(亩), QSXZ)
and five planted rejects on lines 5–9; its forest rows come in one workbook for the province (forest.xlsx). The
pack must show those rows as delivered — headers, cell text, line numbers — mark the offending cells, say why in
plain words, and, once the marked cells are corrected and the rows pasted back over the same lines of the county's
files, the next validation must accept every one of them.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_json
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.publish.county_packs import PROBLEM_HEADER, ROW_HEADER, plain_reason, write_county_packs
from assets_pipeline.publish.rejects import combine_rejects
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category
from mini_province import LAND_GBK_HEADER, write_mini_province
from stages import snapshot_reference

YEAR = 2023
RED = "FFFFC7CE"
LAND_SHEET = "土地 140105_小店区.csv"


def validate_year(inputs: Path, out: Path) -> YearLayout:
    """Ingest and validate every category as the Dagster assets do, ingest records included."""
    layout = YearLayout(out, YEAR)
    snapshot_reference(layout)
    codes = CodeLists.from_reference(load_reference())
    for category in CATEGORIES:
        result = ingest_category(category, inputs, YEAR, layout.ingested(category), parallel=False)
        write_json({"files": result.files_metadata(), "rows": result.rows}, layout.record("ingested", category))
        validate_category(category, layout, codes, parallel=False)
    combine_rejects(layout)
    return layout


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    root = tmp_path_factory.mktemp("packs")
    inputs = write_mini_province(root / "inputs")
    layout = validate_year(inputs, root / "out")
    return inputs, layout, write_county_packs(layout, inputs)


def _sheet_rows(ws):
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    return header, rows[1:]


def test_one_pack_per_county_in_the_years_output_folder(packs):
    _, layout, written = packs
    assert set(written) == {"140105", "140106"}
    assert written["140105"] == layout.root / "to_counties" / "140105_小店区.xlsx"
    assert sorted(p.name for p in (layout.root / "to_counties").iterdir()) == [
        "140105_小店区.xlsx",
        "140106_迎泽区.xlsx",
    ]


def test_the_pack_shows_the_rows_as_the_county_delivered_them(packs):
    _, _, written = packs
    wb = load_workbook(written["140105"])
    assert wb.sheetnames[0] == "说明 Notes"
    ws = wb[LAND_SHEET]
    header, rows = _sheet_rows(ws)
    # the county's own headers, in its order, then the row number and the reasons
    assert header == LAND_GBK_HEADER + [ROW_HEADER, PROBLEM_HEADER]
    assert ws.freeze_panes == "A2"
    by_line = {r[len(LAND_GBK_HEADER)].value: r for r in rows}
    assert sorted(by_line) == [5, 6, 7, 8, 9]
    # its own text: 亩 as delivered (not m²), the unparseable value, the blank ownership, the 12-digit-free code
    values = {line: [c.value for c in r[: len(LAND_GBK_HEADER)]] for line, r in by_line.items()}
    assert values[6][:5] == ["1401050000000005", "140105", "0301", "-2", "10"]
    assert values[9][3] == "12a.5" and values[8][4] is None and values[5][2] == "0199"
    assert all(c.data_type == "s" for r in rows for c in r[: len(LAND_GBK_HEADER)] if c.value is not None)
    # exactly the offending cells are red, under the county's header
    red = {(r[len(LAND_GBK_HEADER)].value, header[c.column - 1]) for r in rows for c in r if c.fill.fgColor.rgb == RED}
    assert red == {(5, "DLBM"), (6, "图斑面积(亩)"), (7, "BSM"), (8, "QSXZ"), (9, "图斑面积(亩)")}


def test_the_reasons_are_plain_words_without_validator_internals(packs):
    _, _, written = packs
    ws = load_workbook(written["140105"])[LAND_SHEET]
    header, rows = _sheet_rows(ws)
    problem = {r[len(LAND_GBK_HEADER)].value: r[-1].value for r in rows}
    assert problem[6] == "图斑面积(亩)：须大于0 / 图斑面积(亩): must be greater than 0"
    assert problem[8].startswith("QSXZ：必填，不能为空")
    assert problem[7].startswith("BSM：标识重复（首次出现于 land/140105_小店区.csv 第2行）")
    assert problem[5].startswith("DLBM：不是代码表中的代码")
    assert problem[9].startswith("图斑面积(亩)：不是有效的数值")
    for text in problem.values():
        assert not [
            w for w in ("greater_than", "not_nullable", "isin", "code_list", "parse", "first seen") if w in text
        ]
    assert plain_reason("range", "in_range(1, 15)", "耕地等别") == (
        "耕地等别：须在1至15之间",
        "耕地等别: must be between 1 and 15",
    )
    assert plain_reason("range", "less_than_or_equal_to(70.0)", "GYNX")[0] == "GYNX：不得大于70"


def test_the_province_wide_workbook_of_a_file_of_several_counties_is_split_by_county(packs):
    _, _, written = packs
    forest = load_workbook(written["140105"])["森林 forest.xlsx"]
    header, rows = _sheet_rows(forest)
    assert header[:4] == ["标识码", "国土调查图斑标识码", "行政区代码", "地类编码"]
    assert [(r[header.index(ROW_HEADER)].value, r[header.index("优势树种")].value) for r in rows] == [(5, "999")]
    assert "森林 forest.xlsx" not in load_workbook(written["140106"]).sheetnames


def _paste_back_csv(path: Path, corrected: dict[int, list]) -> None:
    """What the county does: copy each corrected row's columns over the same line of its file."""
    lines = path.read_bytes().decode("gbk").split("\r\n")
    for line, values in corrected.items():
        lines[line - 1] = ",".join("" if v is None else str(v) for v in values)
    path.write_bytes("\r\n".join(lines).encode("gbk"))


def test_corrected_rows_pasted_back_into_the_countys_files_are_accepted_on_the_next_run(packs, tmp_path):
    inputs, _, written = packs
    inputs = Path(str(inputs))
    fixed_inputs = tmp_path / "inputs"
    write_mini_province(fixed_inputs)
    wb = load_workbook(written["140105"])
    # the land file: correct the marked cells in the pack, then paste the rows back
    ws = wb[LAND_SHEET]
    header, rows = _sheet_rows(ws)
    fixes = {
        (5, "DLBM"): "0103",
        (6, "图斑面积(亩)"): "2",
        (7, "BSM"): "1401050000000012",
        (8, "QSXZ"): "10",
        (9, "图斑面积(亩)"): "12.5",
    }
    corrected = {}
    for r in rows:
        line = r[header.index(ROW_HEADER)].value
        for c in r:
            if c.fill.fgColor.rgb == RED:
                c.value = fixes[(line, header[c.column - 1])]
        corrected[line] = [c.value for c in r[: header.index(ROW_HEADER)]]
    _paste_back_csv(fixed_inputs / str(YEAR) / "land" / "140105_小店区.csv", corrected)
    # the forest workbook: the same, into the county's Excel rows
    forest = wb["森林 forest.xlsx"]
    header, rows = _sheet_rows(forest)
    delivered = load_workbook(fixed_inputs / str(YEAR) / "forest.xlsx")
    for r in rows:
        row = r[header.index(ROW_HEADER)].value
        for c in r[: header.index(ROW_HEADER)]:
            value = "200" if c.fill.fgColor.rgb == RED else c.value
            delivered.active.cell(row, c.column).value = value
    delivered.save(fixed_inputs / str(YEAR) / "forest.xlsx")

    layout = validate_year(fixed_inputs, tmp_path / "out")
    rejects = pq.read_table(layout.rejects_parquet).to_pylist()
    left = {(r["source_file"], r["source_row"]) for r in rejects}
    assert not {("land/140105_小店区.csv", n) for n in range(5, 10)} & left
    assert ("forest.xlsx", 5) not in left
    # every corrected row is now read and valid (none rejected, none lost)
    valid = pq.read_table(layout.validated("land")).to_pylist()
    lines = {r["_source_row"] for r in valid if r["_source_file"] == "land/140105_小店区.csv"}
    assert {5, 6, 7, 8, 9} <= lines
    # and the county of 140106 still has its own row to fix (the pack did not touch other files)
    assert ("land/140106_迎泽区.parquet", 3) in left


def test_the_files_read_again_in_worker_processes_give_the_same_packs(packs, monkeypatch):
    """The delivered files read again by two worker processes, each handing back its wanted rows: the packs are
    byte for byte the ones one process wrote."""
    inputs, layout, written = packs
    monkeypatch.setenv("NRLEDGER_WORKERS", "2")
    before = {county: path.read_bytes() for county, path in written.items()}
    again = write_county_packs(layout, inputs, parallel=True)
    assert again == written and len(before) >= 2
    assert {county: path.read_bytes() for county, path in again.items()} == before
