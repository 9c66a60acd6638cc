"""Each reader on each format and encoding returns the same canonical rows (DOMAIN §3)."""

import pandas as pd
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.ingest.headers import header_key, split_unit
from assets_pipeline.ingest.text_files import detect_encoding

CANONICAL = ["parcel_id", "region_code", "land_class", "area_m2", "ownership"]
SURVEY = ["BSM", "XZQDM", "DLBM", "TBMJ", "QSXZ"]
CHINESE = ["标识码", "行政区代码", "地类编码", "图斑面积", "权属性质"]
ROWS = [
    ["1401050000000001", "140105", "0103", "2000.5", "10"],
    ["1401050000000002", "140105", "0701", "1234.25", "20"],
    ["1401050000000003", "140105", "1003", "99", "30"],
]
EXPECTED = pd.DataFrame(
    {
        "parcel_id": [r[0] for r in ROWS],
        "region_code": "140105",
        "land_class": ["0103", "0701", "1003"],
        "area_m2": [2000.5, 1234.25, 99.0],
        "ownership": ["10", "20", "30"],
        "_source_row": [2, 3, 4],
    }
)


def _csv(path, header, encoding, delimiter=","):
    text = "\n".join(delimiter.join(r) for r in [header, *ROWS]) + "\n"
    path.write_bytes(text.encode(encoding))


def _xlsx(path, header):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in ROWS:
        ws.append([r[0], int(r[1]), r[2], float(r[3]), r[4]])  # numbers stored as numbers, as Excel users do
    wb.save(path)


def _parquet(path, header):
    pd.DataFrame(ROWS, columns=header).astype({header[3]: float}).to_parquet(path, index=False)


DELIVERIES = {
    "utf8_canonical.csv": lambda p: _csv(p, CANONICAL, "utf-8"),
    "utf8_bom_survey.csv": lambda p: _csv(p, SURVEY, "utf-8-sig"),
    "gbk_chinese.csv": lambda p: _csv(p, CHINESE, "gbk"),
    "gb18030_tab.csv": lambda p: _csv(p, CHINESE, "gb18030", "\t"),
    "utf16_semicolon.csv": lambda p: _csv(p, SURVEY, "utf-16", ";"),
    "chinese.xlsx": lambda p: _xlsx(p, CHINESE),
    "canonical.parquet": lambda p: _parquet(p, CANONICAL),
    "xlsx_named.csv": lambda p: _xlsx(p, SURVEY),  # a workbook renamed .csv is still read as a workbook
}


@pytest.mark.parametrize("name", sorted(DELIVERIES))
def test_round_trip(tmp_path, name):
    year_dir = tmp_path / "in" / "2023" / "land"
    year_dir.mkdir(parents=True)
    DELIVERIES[name](year_dir / name)
    result = ingest_category("land", tmp_path / "in", 2023, tmp_path / "land")
    frame = pq.read_table(tmp_path / "land").to_pandas()
    got = frame[CANONICAL + ["_source_row"]].reset_index(drop=True)
    expected = EXPECTED.copy()
    if name.endswith(".parquet"):
        expected["_source_row"] = [1, 2, 3]  # Parquet has no header line: rows are 1-based record numbers
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert frame["_source_file"].unique().tolist() == [f"land/{name}"]
    assert result.files[0].sha256 and result.rows == 3


def test_encodings_are_detected(tmp_path):
    for encoding, expected in [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("utf-16", "utf-16"),
    ]:
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes("地类编码,图斑面积\n0101,1\n".encode(encoding))
        assert detect_encoding(path) == expected


def test_area_in_mu_from_the_header(tmp_path):
    year_dir = tmp_path / "in" / "2023"
    year_dir.mkdir(parents=True)
    (year_dir / "land.csv").write_text("BSM,XZQDM,DLBM,图斑面积（亩）,QSXZ\nA,140105,0101,1.5,10\n", encoding="utf-8")
    ingest_category("land", tmp_path / "in", 2023, tmp_path / "l")
    assert pq.read_table(tmp_path / "l")["area_m2"].to_pylist() == [1000.0]  # 1.5 亩 = 1,000 m²


def test_headers_compare_without_case_space_or_width():
    assert header_key(" Area_M2 ") == header_key("area m2") == header_key("AREA-M2")
    assert split_unit("图斑面积（亩）") == ("图斑面积", "亩")


def test_missing_required_column_names_the_file_and_the_column(tmp_path):
    year_dir = tmp_path / "in" / "2023"
    year_dir.mkdir(parents=True)
    (year_dir / "land.csv").write_text("BSM,XZQDM,DLBM,TBMJ\nA,140105,0101,1\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        ingest_category("land", tmp_path / "in", 2023, tmp_path / "l")
    assert "land.csv" in str(err.value) and "ownership" in str(err.value)
    assert not (tmp_path / "l").exists()  # nothing half-written


def test_empty_file_is_refused_with_one_message(tmp_path):
    year_dir = tmp_path / "in" / "2023"
    year_dir.mkdir(parents=True)
    (year_dir / "land.csv").write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        ingest_category("land", tmp_path / "in", 2023, tmp_path / "l")


def test_named_sheet_of_a_workbook(tmp_path):
    year_dir = tmp_path / "in" / "2023"
    year_dir.mkdir(parents=True)
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表为2023年度土地清查"])
    ws = wb.create_sheet("图斑")
    ws.append(CHINESE)
    for r in ROWS:
        ws.append(r)
    wb.save(year_dir / "land.xlsx")
    ingest_category("land", tmp_path / "in", 2023, tmp_path / "l", xlsx_sheet="图斑")
    assert pq.read_table(tmp_path / "l")["parcel_id"].to_pylist() == [r[0] for r in ROWS]
    with pytest.raises(InputFileError, match="no sheet named"):
        ingest_category("land", tmp_path / "in", 2023, tmp_path / "l", xlsx_sheet="地块")
