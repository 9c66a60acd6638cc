"""The streamed workbook read back with openpyxl: text stays text, codes keep their zeros, numbers are numbers."""

import numpy as np
import pyarrow as pa
from openpyxl import load_workbook

from assets_pipeline.publish.xlsx_stream import Sheet, write_workbook


def test_round_trip(tmp_path):
    path = tmp_path / "book.xlsx"
    sheet = Sheet(
        name="土地 land",
        header=["parcel_id", "land_class", "area_m2", "note", "text_numbers"],
        columns=[
            pa.array(["=1+1", "@SUM(A1)", "1401050000000001"]),
            pa.array(["0101", "0103K", None]),
            pa.array([1234.5, None, -2.0]),
            pa.array(["a < b & c", "tab\tinside", "ctrl\x01char"]),
            pa.array(["12a.5", "7", None]),
        ],
        highlight=[None, np.array([False, True, False]), None, None, None],
        numeric_text=[False, False, False, False, True],
        widths=[20, 10, 10, 20, 10],
    )
    write_workbook(path, [sheet])
    ws = load_workbook(path)["土地 land"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["parcel_id", "land_class", "area_m2", "note", "text_numbers"]
    assert rows[1] == ["=1+1", "0101", 1234.5, "a < b & c", "12a.5"]
    assert rows[2] == ["@SUM(A1)", "0103K", None, "tab\tinside", 7]
    assert rows[3] == ["1401050000000001", None, -2, "ctrlchar", None]
    assert ws["A2"].data_type == "s" and ws["A3"].data_type == "s"  # never a formula
    assert ws["B3"].fill.fgColor.rgb == "FFFFC7CE" and ws["B2"].fill.fgColor.rgb != "FFFFC7CE"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E4"
