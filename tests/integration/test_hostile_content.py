"""Text from inputs and reference tables that lands in a workbook stays text.

A county's cell value, a region name in the province's reference tables, a message: whatever it starts
with (``=``, ``+``, ``-``, ``@``, tab, CR) it is written as text and read back as the same text, never as a
formula; a value beyond Excel's 32,767 characters is cut with a visible mark; sheet names are valid and
unique. Checked on workbooks written by a real run and read back with openpyxl (and in their XML).
"""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import Workbook, load_workbook

from assets_pipeline.cli import main
from assets_pipeline.publish.excel import MAX_CELL_CHARS, TRUNCATED_MARK, cell, sheet_title, unique_titles
from assets_pipeline.publish.xlsx_stream import Sheet, write_workbook
from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR
from mini_province import YEAR, write_mini_province

HYPERLINK = '=HYPERLINK("http://x","y")'
LONG = "长" * 40_000
HOSTILE = [HYPERLINK, "@SUM(1)", "+1", "-1+2", "\t=1+1", "\r=1+1", "=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _xlsx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


def _cells(path: Path):
    wb = load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


# ------------------------------------------------------------------------------------------ the cell helpers


@pytest.mark.parametrize("text", HOSTILE)
def test_openpyxl_cells_keep_text_that_looks_like_a_formula(tmp_path, text):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append([cell(ws, text), cell(ws, 12.5), cell(ws, LONG)])
    wb.save(tmp_path / "b.xlsx")
    a, b, c = next(load_workbook(tmp_path / "b.xlsx")["s"].iter_rows())
    assert (a.value, a.data_type) == (text, "s")
    assert (b.value, b.data_type) == (12.5, "n")
    assert c.data_type == "s" and len(c.value) == MAX_CELL_CHARS and c.value.endswith(TRUNCATED_MARK)
    assert c.value.startswith("长" * 100)
    assert "<f>" not in _xlsx_xml(tmp_path / "b.xlsx")


def test_streamed_workbook_keeps_text_that_looks_like_a_formula_and_cuts_long_text_visibly(tmp_path):
    path = tmp_path / "s.xlsx"
    names = ["土地 land", "a[b]:c*d?e/f\\g", "'quoted'", "x" * 40, "x" * 40, "土地 LAND"]
    sheets = [Sheet(name=n, header=["value"], columns=[pa.array(HOSTILE + [LONG])]) for n in names]
    write_workbook(path, sheets)
    wb = load_workbook(path)
    titles = wb.sheetnames
    assert len(set(t.casefold() for t in titles)) == len(names)
    assert all(len(t) <= 31 and not re.search(r"[\[\]:*?/\\]", t) and not t.startswith("'") for t in titles)
    ws = wb[titles[0]]
    values = [c for (c,) in ws.iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in values[:-1]] == [(t, "s") for t in HOSTILE]
    assert values[-1].data_type == "s" and len(values[-1].value) == MAX_CELL_CHARS
    assert values[-1].value == LONG[: MAX_CELL_CHARS - len(TRUNCATED_MARK)] + TRUNCATED_MARK
    assert "<f>" not in _xlsx_xml(path)
    # the print titles name quoted sheets correctly: the workbook opens with them
    assert wb[titles[2]].print_title_rows == "$1:$1"


def test_sheet_names_are_valid_and_unique():
    assert sheet_title("a/b\\c?d*e[f]g:h") == "a_b_c_d_e_f_g_h"
    assert sheet_title("'" * 3) == "sheet" and len(sheet_title("表" * 50)) == 31
    assert unique_titles(["Land", "land", "LAND", "x" * 31, "x" * 31]) == [
        "Land",
        "land_2",
        "LAND_3",
        "x" * 31,
        "x" * 29 + "_2",
    ]


# ------------------------------------------------------------------------------------- through a real run


def _hostile_reference(tmp_path: Path) -> Path:
    """The project's reference tables with hostile region names: a county, its city and the province."""
    ref = tmp_path / "reference"
    shutil.copytree(DEFAULT_REFERENCE_DIR, ref)
    path = ref / "admin_divisions.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    names = {"140105": HYPERLINK, "140100": "@SUM(1)", "140000": "+1", "140106": "-" + LONG}
    for row in rows:
        row["name"] = names.get(row["region_code"], row["name"])
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return ref


def _hostile_delivery(inputs: Path) -> None:
    """A county file whose rejected cells hold formulas, signs and a 40,000-character id."""
    path = inputs / str(YEAR) / "land" / "140107_extra.csv"
    rows = [
        ["parcel_id", "region_code", "land_class", "area_m2", "ownership"],
        ["H0000000000001", "140107", HYPERLINK, "10", "10"],  # unknown land class
        ["@SUM(1)", "140107", "1003", "-1+2", "10"],  # area that is no number
        ["H0000000000003", "140107", "+1", "10", "10"],  # unknown land class
        ["H0000000000004", "140107", "=1+1", "10", "@x"],  # unknown class and ownership
        ["x'); DROP TABLE t; --", "140107", "0199'", "10", "10"],  # quotes: values never become SQL
        [LONG, "140107", "0199", "10", "10"],  # unknown class, 40,000-character id
    ]
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    # folders with quotes in their names: every path that goes into SQL text is quoted by duck.sql_path
    root = tmp_path_factory.mktemp("hostile") / "it's"
    inputs = write_mini_province(root / "in'puts")
    _hostile_delivery(inputs)
    code = main(
        [
            "run",
            "--year",
            str(YEAR),
            "--input-dir",
            str(inputs),
            "--output-dir",
            str(root / "out'; --"),
            "--reference-dir",
            str(_hostile_reference(root)),
            "--unpriced-threshold",
            "1",
        ]
    )
    assert code == 0
    return root / "out'; --" / str(YEAR)


@pytest.mark.slow
def test_rejected_cells_and_messages_stay_text_in_the_rejects_workbook(hostile_run):
    path = hostile_run / f"rejects_{YEAR}.xlsx"
    cells = _cells(path)
    assert not [c for c in cells if c.data_type == "f"] and "<f>" not in _xlsx_xml(path)
    by_value = {c.value: c for c in cells if isinstance(c.value, str)}
    for planted in (HYPERLINK, "@SUM(1)", "-1+2", "+1", "=1+1", "@x", "x'); DROP TABLE t; --", "0199'"):
        assert by_value[planted].data_type == "s", planted
    long_ids = [c for c in cells if isinstance(c.value, str) and c.value.startswith("长" * 100)]
    assert len(long_ids) == 1 and len(long_ids[0].value) == MAX_CELL_CHARS
    assert long_ids[0].value.endswith(TRUNCATED_MARK)
    # every text that starts like a formula is written as text
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START)]
    assert len(risky) >= 6 and all(c.data_type == "s" for c in risky)


@pytest.mark.slow
def test_region_names_stay_text_in_the_report(hostile_run):
    path = hostile_run / f"report_{YEAR}.xlsx"
    cells = _cells(path)
    assert not [c for c in cells if c.data_type == "f"] and "<f>" not in _xlsx_xml(path)
    texts = [c for c in cells if isinstance(c.value, str)]
    for name in (HYPERLINK, "@SUM(1)"):
        hits = [c for c in texts if name in c.value]
        assert hits and all(c.data_type == "s" for c in hits), name
    # the province name "+1" starts every title; the 40,000-character county name is cut, visibly
    assert [c for c in texts if c.value.startswith("+1")]
    long_names = [c for c in texts if "长" * 100 in c.value]
    assert long_names and all(len(c.value) <= MAX_CELL_CHARS for c in long_names)
    assert all(c.value.endswith(TRUNCATED_MARK) for c in long_names if len(c.value) == MAX_CELL_CHARS)
    assert all(c.data_type == "s" for c in texts if c.value.startswith(FORMULA_START))


# ---------------------------------------------------------------------------------- SQL text, paths, settings


def test_paths_in_sql_text_have_their_quotes_doubled(tmp_path):
    import duckdb

    from assets_pipeline.infra.duck import connect, sql_path

    folder = tmp_path / "o'brien"
    assert sql_path(folder / "a.parquet") == str(folder / "a.parquet").replace("'", "''")
    with connect(folder / "spill") as con:  # the spill folder goes into SET temp_directory as text
        assert con.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(folder / "spill")
        con.execute(f"COPY (SELECT 1 AS x) TO '{sql_path(folder / 'a.parquet')}' (FORMAT parquet)")
    assert duckdb.sql(f"SELECT x FROM read_parquet('{sql_path(folder / 'a.parquet')}')").fetchall() == [(1,)]


@pytest.mark.slow
def test_rejected_values_with_quotes_are_stored_as_they_were_delivered(hostile_run):
    import pyarrow.parquet as pq

    rejects = pq.read_table(hostile_run / "rejects.parquet").to_pylist()
    values = {(r["column"], r["value"]) for r in rejects}
    assert ("land_class", "0199'") in values and ("land_class", HYPERLINK) in values


@pytest.mark.slow
def test_a_delivery_linking_outside_the_input_folder_is_refused(tmp_path, capsys):
    inputs = write_mini_province(tmp_path / "inputs")
    secret = tmp_path / "elsewhere" / "140106_secret.csv"
    secret.parent.mkdir()
    secret.write_text("parcel_id,region_code,land_class,area_m2,ownership\n1,140106,0101,1,10\n", encoding="utf-8")
    link = inputs / str(YEAR) / "land" / "140106_secret.csv"
    link.symlink_to(secret)
    code = main(["validate", "--year", str(YEAR), "--input-dir", str(inputs), "--output-dir", str(tmp_path / "out")])
    assert code == 1
    err = capsys.readouterr().err
    assert f"error: {link} links to {secret}, outside the input folder {inputs}" in err and "Traceback" not in err
    assert not (tmp_path / "out" / str(YEAR) / "_stages").exists()
    # a link that stays inside the input folder is an ordinary delivery
    from assets_pipeline.settings import links_outside

    link.unlink()
    link.symlink_to(inputs / str(YEAR) / "land" / "140105_小店区.csv")
    assert links_outside(inputs, inputs / str(YEAR)) == []


@pytest.mark.parametrize("year", ["1999", "2999", "../2023", "2023/../..", "二〇二三"])
def test_a_year_outside_the_accounting_years_is_refused(tmp_path, capsys, year):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--year", year, "--input-dir", str(tmp_path), "--output-dir", str(tmp_path / "out")])
    assert exit_.value.code == 2 and "--year" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_settings_no_step_could_use_are_refused_with_a_message(tmp_path):
    from assets_pipeline.infra.errors import SettingsError
    from assets_pipeline.settings import AccountsSettings

    good = dict(input_dir=str(tmp_path), output_dir=str(tmp_path / "out"))
    AccountsSettings(**good).check(YEAR)
    for bad, message in [
        (dict(lang="fr"), "lang must be one of zh, en, not 'fr'"),
        (dict(mineral_model="guess"), "mineral_model must be one of benchmark, npv"),
        (dict(discount_rate=8.0), "discount_rate must be between 0 and 1"),
        (dict(unpriced_threshold=-1.0), "unpriced_threshold must be between 0 and 1"),
        (dict(consistency_policy="both"), "consistency_policy must be one of base-map-wins, inventory-wins, reject"),
        (dict(area_tolerance=1.5), "area_tolerance must be a share in [0, 1)"),
        (dict(input_dir=str(tmp_path / "nowhere")), f"input_dir {tmp_path / 'nowhere'} is not a folder"),
    ]:
        with pytest.raises(SettingsError, match=re.escape(message)):
            AccountsSettings(**{**good, **bad}).check(YEAR)
