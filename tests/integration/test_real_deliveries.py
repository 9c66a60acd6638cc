"""Files as counties really send them: every case has a real file written here and one defined outcome.

Outcomes (README, "Deliveries"): parsed (exact values asserted), row rejected (file, row, column and
rule asserted in the rejects) or file refused (one message naming the file and what is wrong).
"""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ingest import workbook_parts
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category

YEAR = 2023
SURVEY = ["BSM", "XZQDM", "DLBM", "TBMJ", "QSXZ"]
CHINESE = ["标识码", "行政区代码", "地类编码", "图斑面积", "权属性质"]
ROWS = [["1401050000000001", "140105", "0103", "2000.5", "10"], ["1401050000000002", "140106", "0701", "1234.25", "20"]]


@pytest.fixture(scope="module")
def codes():
    return CodeLists.from_reference(load_reference())


def deliver(tmp_path: Path, name: str, data: bytes | None = None) -> Path:
    """Put a file at ``in/2023/<name>`` and return its path (``data`` None: the caller writes it)."""
    path = tmp_path / "in" / str(YEAR) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        path.write_bytes(data)
    return path


def ingest(tmp_path: Path, category: str = "land", **options):
    layout = YearLayout(tmp_path / "out", YEAR)
    result = ingest_category(category, tmp_path / "in", YEAR, layout.ingested(category), **options)
    return result, pq.read_table(layout.ingested(category)).to_pandas()


def validate(tmp_path: Path, codes, category: str = "land", **options):
    """Ingest and validate; returns (ingest result, valid rows, reject lines)."""
    layout = YearLayout(tmp_path / "out", YEAR)
    result = ingest_category(category, tmp_path / "in", YEAR, layout.ingested(category), **options)
    validate_category(category, layout, codes)
    return result, pd.read_parquet(layout.validated(category)), pd.read_parquet(layout.reject_lines(category))


def rejects_of(lines: pd.DataFrame) -> set[tuple]:
    return set(zip(lines["source_file"], lines["source_row"], lines["column"], lines["rule"], strict=False))


def refused(tmp_path: Path, category: str = "land", **options) -> str:
    with pytest.raises(InputFileError) as err:
        ingest(tmp_path, category, **options)
    assert "Traceback" not in str(err.value)
    return str(err.value)


def csv_bytes(
    rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",", header=SURVEY, newline="\n"
) -> bytes:
    return "".join(delimiter.join(r) + newline for r in [header, *rows]).encode(encoding)


def workbook(rows: list[list], title: str = "Sheet") -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    return wb


def rewrite_member(path: Path, member: str, change) -> None:
    """Rewrite one part of a zip (to plant what openpyxl never writes: cached values, dimensions)."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    "encoding, delimiter, header",
    [
        ("gbk", ",", CHINESE),
        ("gb18030", ";", CHINESE),
        ("utf-8", "\t", CHINESE),
        ("utf-8-sig", ",", SURVEY),
        ("utf-16", "\t", CHINESE),  # Python's utf-16 writes the BOM
    ],
)
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter, header):
    deliver(tmp_path, "land.csv", csv_bytes(ROWS, encoding, delimiter, header))
    result, frame = ingest(tmp_path)
    assert frame[["parcel_id", "region_code", "land_class", "area_m2", "ownership", "_source_row"]].values.tolist() == [
        ["1401050000000001", "140105", "0103", 2000.5, "10", 2],
        ["1401050000000002", "140106", "0701", 1234.25, "20", 3],
    ]
    assert result.files[0].delimiter == delimiter
    assert result.files[0].encoding == {"gbk": "gb18030", "utf-16": "utf-16"}.get(encoding, encoding)


def test_quoted_newlines_keep_the_file_line_numbers(tmp_path, codes):
    # a note column (ignored) whose quoted values span lines; CRLF line ends as Excel writes them
    text = (
        "BSM,XZQDM,DLBM,TBMJ,QSXZ,备注\r\n"
        '1401050000000001,140105,0103,100,10,"first line\r\nsecond line"\r\n'  # lines 2-3
        "1401050000000002,140105,0199,100,10,plain\r\n"  # line 4: code_list
        '1401050000000003,140105,0103,abc,10,"a\r\nb\r\nc"\r\n'  # lines 5-7: type
        "\r\n"  # line 8: empty
        "1401050000000004,140105,0103,100,,\r\n"  # line 9: required
    )
    deliver(tmp_path, "land.csv", text.encode("gb18030"))
    _, valid, lines = validate(tmp_path, codes)
    assert valid["_source_row"].tolist() == [2]
    assert rejects_of(lines) == {
        ("land.csv", 4, "land_class", "code_list"),
        ("land.csv", 5, "area_m2", "type"),
        ("land.csv", 9, "ownership", "required"),
    }


@pytest.mark.parametrize(
    "bad_line, fields", [("1401050000000002,140105,0103,100,10,extra", 6), ("1401050000000002,140105,0103", 3)]
)
def test_ragged_row_refuses_the_file_naming_the_line(tmp_path, bad_line, fields):
    deliver(tmp_path, "land.csv", (",".join(SURVEY) + "\n" + ",".join(ROWS[0]) + "\n" + bad_line + "\n").encode())
    message = refused(tmp_path)
    assert "land.csv" in message and "line 3" in message and f"has {fields} fields where the header has 5" in message


def test_trailing_blank_lines_and_separator_only_lines_are_ignored(tmp_path):
    body = csv_bytes(ROWS).decode() + "\n,,,,\n   \n\n"
    deliver(tmp_path, "land.csv", body.encode())
    result, frame = ingest(tmp_path)
    assert result.rows == 2 and frame["_source_row"].tolist() == [2, 3]


def test_a_line_of_spaces_between_rows_refuses_the_file(tmp_path):
    deliver(
        tmp_path,
        "land.csv",
        (",".join(SURVEY) + "\n" + ",".join(ROWS[0]) + "\n   \n" + ",".join(ROWS[1]) + "\n").encode(),
    )
    message = refused(tmp_path)
    assert "land.csv" in message and "line 3 holds only spaces" in message


def test_workbook_renamed_csv_and_csv_renamed_xlsx_are_read_by_content(tmp_path):
    workbook([SURVEY, ROWS[0]]).save(deliver(tmp_path, "land/140105.csv"))
    deliver(tmp_path, "land/140106.xlsx", csv_bytes([["1401060000000009", "140106", "0103", "50", "10"]], "gbk"))
    result, frame = ingest(tmp_path)
    assert [f.format for f in result.files] == ["xlsx", "csv"]
    assert frame[["parcel_id", "area_m2", "_source_file", "_source_row"]].values.tolist() == [
        ["1401050000000001", 2000.5, "land/140105.csv", 2],
        ["1401060000000009", 50.0, "land/140106.xlsx", 2],
    ]


# ---------------------------------------------------------------- XLSX


def test_title_and_unit_lines_above_the_header(tmp_path):
    wb = workbook(
        [
            ["太原市小店区2023年度国有土地资源资产清查表"],
            ["填报单位：小店区自然资源局", None, None, "单位：平方米"],
            [],
            CHINESE,
            *[[r[0], int(r[1]), r[2], float(r[3]), r[4]] for r in ROWS],
        ]
    )
    wb.save(deliver(tmp_path, "land.xlsx"))
    result, frame = ingest(tmp_path)
    assert result.files[0].header_rows == "4"
    assert frame[["parcel_id", "region_code", "area_m2", "_source_row"]].values.tolist() == [
        ["1401050000000001", "140105", 2000.5, 5],
        ["1401050000000002", "140106", 1234.25, 6],
    ]


def test_two_row_header_merged_area_over_hectares_and_mu(tmp_path):
    wb = workbook(
        [
            ["标识码", "行政区代码", "地类编码", "面积", None, "权属性质"],
            [None, None, None, "公顷", "亩", None],
            ["1401050000000001", 140105, "0103", 0.2, 3, "10"],
        ]
    )
    ws = wb.active
    for column in "ABCF":
        ws.merge_cells(f"{column}1:{column}2")
    ws.merge_cells("D1:E1")
    wb.save(deliver(tmp_path, "land.xlsx"))
    result, frame = ingest(tmp_path)
    assert frame[["parcel_id", "area_m2", "ownership", "_source_row"]].values.tolist() == [
        ["1401050000000001", 2000.0, "10", 3]
    ]
    assert result.files[0].units == {
        "area_m2": "ha",
        "redline_area_m2": "m2",
        "basic_farmland_area_m2": "m2",
        "protected_area_m2": "m2",
        "protected_core_area_m2": "m2",  # the core-zone and urban-boundary areas, area columns of the survey too
        "urban_boundary_area_m2": "m2",
    }
    assert result.files[0].header_rows == "1-2"
    assert result.files[0].ignored_columns == ["面积(亩)"]  # the same area in another unit


def test_merged_group_titles_over_the_header(tmp_path):
    wb = workbook([["基本信息", None, None, "面积信息", "权属"], CHINESE, ROWS[0]])
    wb.active.merge_cells("A1:C1")
    wb.save(deliver(tmp_path, "land.xlsx"))
    _, frame = ingest(tmp_path)
    assert frame[["parcel_id", "land_class", "area_m2", "_source_row"]].values.tolist() == [
        ["1401050000000001", "0103", 2000.5, 3]
    ]


def test_the_first_sheet_with_a_header_is_read_or_the_named_one(tmp_path):
    wb = workbook([["填表说明"], ["面积单位为平方米"]], title="说明")
    data = wb.create_sheet("图斑")
    for row in [CHINESE, *ROWS]:
        data.append(row)
    other = wb.create_sheet("备用")
    for row in [SURVEY, ["1401050000000077", "140105", "0103", "10", "10"]]:
        other.append(row)
    path = deliver(tmp_path, "land.xlsx")
    wb.save(path)
    result, frame = ingest(tmp_path)
    assert result.files[0].sheet == "图斑" and frame["parcel_id"].tolist() == [r[0] for r in ROWS]
    result, frame = ingest(tmp_path, xlsx_sheet="备用")
    assert result.files[0].sheet == "备用" and frame["parcel_id"].tolist() == ["1401050000000077"]


def test_no_sheet_with_a_header_is_refused_listing_the_sheets(tmp_path):
    wb = workbook([["填表说明"]], title="说明")
    wb.create_sheet("汇总").append(["合计", 12])
    wb.save(deliver(tmp_path, "land.xlsx"))
    message = refused(tmp_path)
    assert "land.xlsx" in message and "no sheet has a header row with the land columns" in message
    assert "sheets: 说明, 汇总" in message and "--sheet" in message


def test_formula_cached_values_numbers_as_text_dates_errors_and_hidden_rows(tmp_path, codes):
    wb = workbook(
        [
            SURVEY,
            ["1401050000000001", "140105", "0103", "=1000+500", "10"],  # row 2: cached value 1500
            ["1401050000000002", "140105", "0103", "1,234.5", "10"],  # row 3: number stored as text
            ["1401050000000003", "140105", "0103", "=D2*2", "10"],  # row 4: formula, no cached value
            ["1401050000000004", "140105", "0103", datetime.date(2023, 1, 5), "10"],  # row 5: a date as area
            ["1401050000000005", "140105", "0103", "#DIV/0!", "10"],  # row 6: Excel error
            ["1401050000000006", "#N/A", "0103", 700, "10"],  # row 7: Excel error in a code column
            ["1401050000000007", "140105", "0103", 800, "#VALUE!"],  # row 8: Excel error
            ["1401050000000008", "140105", "0103", 900, "10"],  # row 9: hidden row, read
        ]
    )
    wb.active.row_dimensions[9].hidden = True
    path = deliver(tmp_path, "land.xlsx")
    wb.save(path)
    # Excel saves a formula with its last value; openpyxl never does: plant one cached value
    rewrite_member(
        path, "xl/worksheets/sheet1.xml", lambda x: x.replace(b"<f>1000+500</f><v></v>", b"<f>1000+500</f><v>1500</v>")
    )
    _, valid, lines = validate(tmp_path, codes)
    assert valid[["parcel_id", "area_m2", "_source_row"]].values.tolist() == [
        ["1401050000000001", 1500.0, 2],
        ["1401050000000002", 1234.5, 3],
        ["1401050000000008", 900.0, 9],
    ]
    assert rejects_of(lines) == {
        ("land.xlsx", 4, "area_m2", "type"),
        ("land.xlsx", 5, "area_m2", "type"),
        ("land.xlsx", 6, "area_m2", "type"),
        ("land.xlsx", 7, "region_code", "type"),
        ("land.xlsx", 8, "ownership", "type"),
    }
    shown = dict(zip(lines["source_row"], lines["value"], strict=False))
    assert shown == {4: "=D2*2", 5: "2023-01-05", 6: "#DIV/0!", 7: "#N/A", 8: "#VALUE!"}
    formula = lines[lines["source_row"] == 4].iloc[0]
    assert "formula without a saved value" in formula["message"]
    assert "Excel error value" in lines[lines["source_row"] == 6].iloc[0]["message"]


def test_sheet_declared_over_excels_rows_is_refused_before_reading(tmp_path):
    path = deliver(tmp_path, "land.xlsx")
    workbook([SURVEY, ROWS[0]], title="图斑").save(path)
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:E1048577"/>', x),
    )
    message = refused(tmp_path)
    assert "land.xlsx" in message and "sheet '图斑' declares 1,048,577 rows, over Excel's 1,048,576" in message


def test_zip_bomb_is_refused_from_the_central_directory(tmp_path):
    path = deliver(tmp_path, "land.xlsx")
    workbook([SURVEY, ROWS[0]]).save(path)
    padding = b" " * (64 << 20)  # 64 MiB of spaces deflate to ~64 KiB
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda x: x.replace(b"<sheetData>", padding + b"<sheetData>"))
    assert path.stat().st_size < 1 << 20
    message = refused(tmp_path)
    assert "land.xlsx" in message and "part xl/worksheets/sheet1.xml unzips to 64 MiB" in message
    assert "limit 100:1" in message and "zip bomb" in message


def test_workbook_declaring_a_huge_part_is_refused_without_unzipping(tmp_path):
    """The central directory claims 4 GiB for the sheet: refused on the claim alone."""
    path = deliver(tmp_path, "land.xlsx")
    workbook([SURVEY, ROWS[0]]).save(path)
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02", 0, data.find(b"PK\x05\x06"))
    while data[entry + 46 : entry + 46 + struct.unpack_from("<H", data, entry + 28)[0]] != b"xl/worksheets/sheet1.xml":
        entry = data.rfind(b"PK\x01\x02", 0, entry)
    struct.pack_into("<I", data, entry + 24, 0xFFFF0000)  # uncompressed size in the central directory
    path.write_bytes(bytes(data))
    message = refused(tmp_path)
    assert "land.xlsx" in message and "unzips to 4,096 MiB" in message and "refused before reading" in message


def test_workbook_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    """A real 1 GiB workbook is too slow to write in a test: the limit is lowered instead."""
    path = deliver(tmp_path, "land.xlsx")
    workbook([SURVEY, ROWS[0]]).save(path)
    monkeypatch.setattr(workbook_parts, "XLSX_MAX_BYTES", 1 << 10)
    message = refused(tmp_path)
    size = path.stat().st_size
    assert (
        message
        == f"{path}: workbook is {size / 1024:.1f} KiB, over the 1 KiB limit; deliver it as CSV or Parquet / 文件过大"
    )


# ---------------------------------------------------------------- values


def test_values_as_counties_write_them(tmp_path, codes):
    header = ["BSM", "XZQDM", "DLBM", "TBMJ", "QSXZ", "RJL", "GYNX", "YSYNX"]
    rows = [
        ["P01", "140105001001", "0103", '"1,234.56"', "10", "—", "/", "无"],  # 12-digit 坐落单位代码
        ["P02", "1401050010010000000", "103", "１２３．４", "１０", "-", " ", ""],  # 19 digits, lost zero, full width
        ["P03", "140105.0", "0103k", " 2 000.5 ", "10", "２．５", "70", "-0"],  # float artefact, k, spaces, -0
        ["P04", "140105", "0103K", "NaN", "10", "", "", ""],  # NaN text: type
        ["P05", "140105", "0103", "inf", "10", "", "", ""],  # inf text: type
        ["P06", "140105", "0103", "100", "10", "1.2.3", "", ""],  # not a number: type
        ["P07", "999999", "0103", "100", "10", "", "", ""],  # not a county: region
    ]
    deliver(tmp_path, "land.csv", csv_bytes(rows, "utf-8", ",", header))
    _, valid, lines = validate(tmp_path, codes)
    got = valid[
        [
            "parcel_id",
            "region_code",
            "land_class",
            "area_m2",
            "ownership",
            "plot_ratio",
            "granted_term_years",
            "years_used",
        ]
    ]
    got = got.astype(object).where(got.notna(), None).values.tolist()
    assert got == [
        ["P01", "140105", "0103", 1234.56, "10", None, None, None],
        ["P02", "140105", "0103", 123.4, "10", None, None, None],
        ["P03", "140105", "0103K", 2000.5, "10", 2.5, 70.0, 0.0],
    ]
    assert str(valid["years_used"].iloc[2]) == "0.0"  # negative zero is zero
    assert rejects_of(lines) == {
        ("land.csv", 5, "area_m2", "type"),
        ("land.csv", 6, "area_m2", "type"),
        ("land.csv", 7, "plot_ratio", "type"),
        ("land.csv", 8, "region_code", "region"),
    }
    assert dict(zip(lines["source_row"], lines["value"], strict=False)) == {5: "NaN", 6: "inf", 7: "1.2.3", 8: "999999"}


# ---------------------------------------------------------------- units


@pytest.mark.parametrize("unit, value, m2", [("亩", "3", 2000.0), ("公顷", "0.25", 2500.0), ("m2", "2500", 2500.0)])
def test_declared_area_unit_is_converted(tmp_path, unit, value, m2):
    deliver(tmp_path, "land.csv", csv_bytes([["P1", "140105", "0103", value, "10"]]))
    _, frame = ingest(tmp_path, declared_area_unit=unit)
    assert frame["area_m2"].tolist() == [m2]


def test_area_in_hectares_read_as_m2_is_refused_suggesting_the_unit(tmp_path):
    rows = [[f"P{i}", "140105", "0103", area, "10"] for i, area in enumerate(["0.12", "0.35", "0.08", "1.4", "0.2"])]
    deliver(tmp_path, "land.csv", csv_bytes(rows))
    message = refused(tmp_path)
    assert "land.csv" in message and "median parcel area 0.2 m²" in message
    assert "公顷 (median 2,000.00 m²)" in message and "亩 (median 133.33 m²)" in message


def test_area_in_m2_headed_hectares_is_refused_suggesting_m2(tmp_path):
    rows = [[f"P{i}", "140105", "0103", area, "10"] for i, area in enumerate(["1200", "3500", "800"])]
    deliver(tmp_path, "land.csv", csv_bytes(rows, header=["BSM", "XZQDM", "DLBM", "图斑面积(公顷)", "QSXZ"]))
    message = refused(tmp_path)
    assert "median parcel area 1.2e+07 m² (read as 公顷)" in message and "m² (median 1,200.00 m²)" in message


def test_a_large_file_is_judged_on_every_kth_parcel(tmp_path, monkeypatch):
    """Past MEDIAN_SAMPLE_ROWS a file's median is taken over evenly spaced rows (memory bounded at any size): a
    file of hectares read as m² is still refused, and a plausible one still passes."""
    import assets_pipeline.ingest.canonical as ingest_module

    monkeypatch.setattr(ingest_module, "MEDIAN_SAMPLE_ROWS", 10)  # 200 rows: every 20th row counts
    rows = [[f"P{i}", "140105", "0103", f"{0.1 + (i % 7) * 0.05:.2f}", "10"] for i in range(200)]
    deliver(tmp_path, "land.csv", csv_bytes(rows))
    # rows 0, 20, …, 180: areas 0.10 0.40 0.35 0.30 0.25 0.20 0.15 0.10 0.40 0.35, median 0.275 (all 200: 0.25)
    assert "median parcel area 0.275 m²" in refused(tmp_path)
    rows = [[f"P{i}", "140105", "0103", f"{1000 + (i % 7) * 500}", "10"] for i in range(200)]
    deliver(tmp_path, "land.csv", csv_bytes(rows))
    _, frame = ingest(tmp_path)
    assert len(frame) == 200


# ---------------------------------------------------------------- files


def test_zero_byte_and_blank_files_are_refused(tmp_path):
    path = deliver(tmp_path, "land.csv", b"")
    assert "land.csv" in refused(tmp_path) and "the file is empty (0 bytes)" in refused(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf\r\n\r\n")
    assert "has no header row" in refused(tmp_path)


@pytest.mark.parametrize("kind", ["csv", "xlsx", "parquet"])
def test_header_only_file_is_valid_with_zero_rows(tmp_path, kind, codes):
    path = deliver(tmp_path, f"land.{kind}")
    if kind == "csv":
        path.write_bytes(csv_bytes([], "gbk", header=CHINESE))
    elif kind == "xlsx":
        workbook([CHINESE]).save(path)
    else:
        pq.write_table(pa.table({h: pa.array([], pa.string()) for h in SURVEY}), path)
    result, valid, lines = validate(tmp_path, codes)
    assert result.rows == 0 and len(valid) == 0 and len(lines) == 0
    assert result.files[0].header_map["BSM" if kind == "parquet" else "标识码"] == "parcel_id"


def test_header_only_file_with_wrong_columns_is_refused(tmp_path):
    deliver(tmp_path, "land.csv", b"BSM,XZQDM\n")
    assert "missing required column(s): land_class" in refused(tmp_path)


def test_truncated_parquet_is_refused(tmp_path):
    buffer = io.BytesIO()
    pq.write_table(pa.table({h: [r[i] for r in ROWS] for i, h in enumerate(SURVEY)}), buffer)
    deliver(tmp_path, "land.parquet", buffer.getvalue()[: len(buffer.getvalue()) // 2])
    message = refused(tmp_path)
    assert "land.parquet" in message and "not a readable Parquet file" in message


def test_unreadable_file_is_refused(tmp_path):
    """Tests run as root, which reads a mode-000 file anyway: the ingest runs in a forked child that
    has dropped to the ``nobody`` user, in a folder that user can traverse."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges; as another user chmod 000 is tested by the same code")
    root = Path(tempfile.mkdtemp(prefix="nrledger-perm-"))
    try:
        os.chmod(root, 0o755)
        (root / "in" / str(YEAR)).mkdir(parents=True)
        os.chmod(root / "in", 0o755)
        os.chmod(root / "in" / str(YEAR), 0o755)
        path = root / "in" / str(YEAR) / "land.csv"
        path.write_bytes(csv_bytes(ROWS))
        os.chmod(path, 0)
        (root / "out").mkdir(mode=0o777)
        os.chmod(root / "out", 0o777)
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os.close(read_end)
            message = b"no error"
            try:
                os.setgid(65534)
                os.setuid(65534)
                ingest_category("land", root / "in", YEAR, root / "out" / "land")
            except InputFileError as exc:
                message = str(exc).encode()
            except BaseException as exc:  # anything else is a failure the parent reports
                message = f"unexpected {type(exc).__name__}: {exc}".encode()
            os.write(write_end, message)
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            message = pipe.read().decode()
        os.waitpid(child, 0)
        assert message == f"{path}: cannot be read (permission denied) / 无读取权限"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_same_county_delivered_twice_is_refused_naming_both_files(tmp_path):
    deliver(tmp_path, "land/140105_小店区.csv", csv_bytes([ROWS[0]]))
    deliver(tmp_path, "land/140105_小店区_修订.csv", csv_bytes([["1401050000000009", "140105", "0103", "10", "10"]]))
    # a county's file with one stray row of the other county is still that county's delivery only
    deliver(
        tmp_path, "land/140106.csv", csv_bytes([ROWS[1], ROWS[1], ["1401050000000010", "140105", "0103", "10", "10"]])
    )
    # a file named for its county delivers that county, even when most of its few rows carry another code
    deliver(tmp_path, "land/140107_万柏林区.csv", csv_bytes([["1401050000000011", "140105", "0103", "10", "10"]]))
    message = refused(tmp_path)
    assert (
        "the same county is delivered twice: county 140105 in land/140105_小店区.csv and land/140105_小店区_修订.csv"
        in message
    )
    assert "140106" not in message.split("delivered twice")[1] and "140107" not in message.split("delivered twice")[1]


def test_county_not_in_the_region_table_is_rejected_with_its_code(tmp_path, codes):
    deliver(tmp_path, "land.csv", csv_bytes([ROWS[0], ["1409990000000001", "140999001001", "0103", "10", "10"]]))
    _, valid, lines = validate(tmp_path, codes)
    assert valid["parcel_id"].tolist() == ["1401050000000001"]
    assert rejects_of(lines) == {("land.csv", 3, "region_code", "region")}
    assert lines["value"].tolist() == ["140999"]


def test_workbook_header_missing_a_column_names_the_column(tmp_path):
    wb = workbook([["2023年度土地清查"], ["标识码", "行政区代码", "地类编码", "图斑面积"], ROWS[0][:4]])
    wb.save(deliver(tmp_path, "land.xlsx"))
    message = refused(tmp_path)
    assert "land.xlsx" in message and "missing required column(s): ownership" in message


def test_a_merged_header_cell_does_not_swallow_the_first_data_row(tmp_path):
    wb = workbook([[*CHINESE, "备注", None], [*ROWS[0], "边界调整", "2023"]])
    wb.active.merge_cells("F1:G1")
    wb.save(deliver(tmp_path, "land.xlsx"))
    _, frame = ingest(tmp_path)
    assert frame[["parcel_id", "_source_row"]].values.tolist() == [["1401050000000001", 2]]


def test_excel_error_text_in_a_csv_is_rejected_not_read_as_empty(tmp_path, codes):
    header = ["BSM", "XZQDM", "DLBM", "TBMJ", "QSXZ", "RJL"]
    deliver(
        tmp_path,
        "land.csv",
        csv_bytes(
            [["P1", "140105", "0103", "100", "10", "#N/A"], ["P2", "140105", "0103", "100", "10", "N/A"]], header=header
        ),
    )
    _, valid, lines = validate(tmp_path, codes)
    assert valid["parcel_id"].tolist() == ["P2"]  # N/A (no #) is the county's "nothing here"
    assert rejects_of(lines) == {("land.csv", 2, "plot_ratio", "type")} and lines["value"].tolist() == ["#N/A"]


def test_parquet_written_from_excel_with_float_codes(tmp_path, codes):
    """pandas reads 140105 and 0103 from Excel as 140105.0 and 103.0: the codes come back whole."""
    table = pa.table(
        {
            "BSM": ["P1", "P2"],
            "XZQDM": [140105.0, 140106.0],
            "DLBM": [103.0, 701.0],
            "TBMJ": [2000.5, -0.0],
            "QSXZ": [10, 20],
        }
    )
    pq.write_table(table, deliver(tmp_path, "land.parquet"))
    _, valid, lines = validate(tmp_path, codes)
    assert valid[["parcel_id", "region_code", "land_class", "area_m2", "ownership", "_source_row"]].values.tolist() == [
        ["P1", "140105", "0103", 2000.5, "10", 1]
    ]
    assert rejects_of(lines) == {("land.parquet", 2, "area_m2", "range")}  # -0 is 0, and an area must be > 0


def test_gbk_text_first_seen_after_the_first_megabyte(tmp_path, codes):
    """Codes and numbers only for 1.5 MB, then a basin name in GBK: the encoding is decided where the
    first Chinese text is, not from the ASCII start."""
    header = "parcel_id,base_parcel_id,region_code,land_class,area_m2,ownership,wetland_type,basin"
    rows = [f"W{i:07d},1401050000{i:06d},140105,1106,2500,10,1106,Fen" for i in range(25_000)]
    rows.append("W9999999,1401059999999999,140105,1106,2500,10,1106,黄河流域")
    data = ("\r\n".join([header, *rows]) + "\r\n").encode("gbk")
    assert data[: 1 << 20].isascii()
    deliver(tmp_path, "wetland.csv", data)
    result, frame = ingest(tmp_path, "wetland")
    assert result.files[0].encoding == "gb18030" and result.rows == 25_001
    assert frame["basin"].iloc[-1] == "黄河流域" and frame["_source_row"].iloc[-1] == 25_002


@pytest.mark.slow
def test_the_command_line_shows_one_message_and_no_traceback(mini_province, tmp_path, capsys):
    """The hand-made province with its land folder replaced by a zip bomb: `nrledger validate` exits 1
    with the file and the problem on one line."""
    from assets_pipeline.cli import main

    land = mini_province / str(YEAR) / "land"
    shutil.rmtree(land)
    land.mkdir()
    path = land / "140105.xlsx"
    workbook([SURVEY, ROWS[0]]).save(path)
    rewrite_member(
        path, "xl/worksheets/sheet1.xml", lambda x: x.replace(b"<sheetData>", b" " * (64 << 20) + b"<sheetData>")
    )
    code = main(
        ["validate", "--year", str(YEAR), "--input-dir", str(mini_province), "--output-dir", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"error: land/ingested: {path}: part xl/worksheets/sheet1.xml unzips to 64 MiB" in err


def test_nan_null_and_none_ids_are_empty_and_rejected_as_required(tmp_path, codes):
    """What a spreadsheet or a script writes for a missing id is no id: ``required``, as a blank cell would be."""
    deliver(
        tmp_path,
        "land/140105_小店区.csv",
        csv_bytes(
            [
                ROWS[0],
                ["NaN", "140105", "0103", "10", "10"],  # line 3
                ["null", "140105", "0103", "10", "10"],  # line 4
                [" None ", "140105", "0103", "10", "10"],  # line 5
                ["NULL", "140105", "0103", "10", "10"],  # line 6
            ]
        ),
    )
    # a numeric id column from a dataframe: the missing id is a float NaN
    pq.write_table(
        pa.table(
            {
                "BSM": [1401060000000001.0, float("nan")],
                "XZQDM": ["140106", "140106"],
                "DLBM": ["0103", "0103"],
                "TBMJ": [10.0, 20.0],
                "QSXZ": ["10", "10"],
            }
        ),
        deliver(tmp_path, "land/140106_迎泽区.parquet"),
    )
    _, valid, lines = validate(tmp_path, codes)
    assert sorted(valid["parcel_id"]) == ["1401050000000001", "1401060000000001"]
    assert rejects_of(lines) == {("land/140105_小店区.csv", row, "parcel_id", "required") for row in (3, 4, 5, 6)} | {
        ("land/140106_迎泽区.parquet", 2, "parcel_id", "required")
    }
    # as in every column, the duplicate check does not take four empty ids for one id delivered four times
    assert set(lines["rule"]) == {"required"}


def test_files_no_reader_takes_refuse_the_category_naming_each(tmp_path):
    """A county's survey sent as a bare SQLite database (not a GeoPackage) or zipped must not vanish: every such
    file is named, the category stops (a real GeoPackage is read: tests/integration/test_ingest_layers.py)."""
    import sqlite3

    deliver(tmp_path, "land/140105_小店区.csv", csv_bytes([ROWS[0]]))
    gpkg = deliver(tmp_path, "land/140106_迎泽区.gpkg")
    with sqlite3.connect(gpkg) as con:
        con.execute("CREATE TABLE dltb (BSM TEXT, TBMJ REAL)")
    with zipfile.ZipFile(deliver(tmp_path, "land/140107_杏花岭区.zip"), "w") as zf:
        zf.writestr("140107.csv", csv_bytes([["1401070000000001", "140107", "0103", "10", "10"]]))
    deliver(tmp_path, "land/140108_尖草坪区.dwg", b"AC1032" + bytes(64))
    # documented as not deliveries: names starting with _ or ., and the operating system's own files
    deliver(tmp_path, "land/_说明.docx", b"PK\x03\x04notes")
    deliver(tmp_path, "land/.DS_Store", b"\x00\x00\x00\x01Bud1")
    deliver(tmp_path, "land/Thumbs.db", b"\xd0\xcf\x11\xe0thumbs")
    deliver(tmp_path, "land/_old/140105_小店区.xls", b"\xd0\xcf\x11\xe0old")
    message = refused(tmp_path)
    assert "3 delivered file(s) no reader takes" in message
    assert "land/140106_迎泽区.gpkg: a SQLite database that is not a GeoPackage (no gpkg_contents table)" in message
    assert "land/140107_杏花岭区.zip: a ZIP archive" in message
    assert "land/140108_尖草坪区.dwg: an AutoCAD drawing (.dwg)" in message
    assert "说明" not in message and "Thumbs" not in message and "DS_Store" not in message and "_old" not in message


def test_a_sqlite_database_named_csv_is_refused_by_content(tmp_path):
    import sqlite3

    with sqlite3.connect(deliver(tmp_path, "land/140106_迎泽区.csv")) as con:
        con.execute("CREATE TABLE dltb (BSM TEXT, TBMJ REAL)")
    assert "is a SQLite database but not a GeoPackage (no gpkg_contents table)" in refused(tmp_path)


def test_an_unknown_file_beside_the_category_file_is_named(tmp_path):
    deliver(tmp_path, "minerals.csv", b"deposit_id\n")
    deliver(tmp_path, "minerals.xls", b"\xd0\xcf\x11\xe0" + bytes(32))
    assert "minerals.xls: an old Office file (.xls, .doc): save the table as .xlsx" in refused(tmp_path, "minerals")
