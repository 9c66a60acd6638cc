"""The report's map sheet (地图 / Maps, DOMAIN §6): the year's maps of value per hectare and inconsistent area by
county, placed in the workbook when they were drawn (a year delivered as tables has none, and no sheet).

The images are the PNGs in ``<year>/maps/``, embedded as they are (openpyxl keeps the file's bytes), shown at a
size that fits an A4 landscape page, one under the other.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.drawing.image import Image

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.publish.excel import NOTE_FONT, TITLE_FONT, cell, sheet_title
from assets_pipeline.publish.maps import MAPS, map_path

WORDS = {
    "zh": {
        "sheet": "地图",
        "title": "{year}年 各县（市、区）地图",
        "note": "单位面积价值（万元/公顷）与不一致图斑面积（亩），按县（市、区）分级设色；原图见 maps 文件夹。",
    },
    "en": {
        "sheet": "Maps",
        "title": "Maps by county, {year}",
        "note": "Value per hectare (10⁴ yuan/ha) and inconsistent area (mu) by county; the images are in the maps folder.",
    },
}
WIDTH_PX = 900  # shown width of each map; its height follows the image's proportions
ROWS_PER_MAP = 38  # rows of default height one map takes at that width, with a gap


def write_maps_sheet(wb: Workbook, layout: YearLayout, lang: str) -> int:
    """Add the sheet with the maps that exist; returns how many were placed (0: no sheet)."""
    paths = [map_path(layout, name) for name in MAPS if map_path(layout, name).exists()]
    if not paths:
        return 0
    words = WORDS.get(lang, WORDS["en"])
    ws = wb.create_sheet(sheet_title(words["sheet"]))
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.append([cell(ws, words["title"].format(year=layout.year), font=TITLE_FONT)])
    ws.append([cell(ws, words["note"], font=NOTE_FONT)])
    for i, path in enumerate(paths):
        image = Image(str(path))
        image.height = round(image.height * WIDTH_PX / image.width)
        image.width = WIDTH_PX
        ws.add_image(image, f"A{4 + i * ROWS_PER_MAP}")
    return len(paths)
