"""The summary sheet: per category the province's value by component and its main physical quantity, a chart."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.utils import get_column_letter

from assets_pipeline.publish.excel import HEADER_FILL, NOTE_FONT, NUMBER, TITLE_FONT, cell, display_width, sheet_title
from assets_pipeline.publish.report_style import (
    BOLD,
    FIRST_DATA_ROW,
    HEADER_ALIGN,
    HEADER_FONT,
    LINE_HEIGHT,
    PROVINCE_FILL,
    RIGHT,
    page_setup,
    styled,
)
from assets_pipeline.publish.report_tables import Table
from assets_pipeline.publish.report_words import Text
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.schema.labels import COMPONENT_NAMES, COMPONENTS

# The indicator the summary shows as a category's main physical quantity (none for minerals: units differ).
MAIN_INDICATOR = {"land": "area", "forest": "area", "grassland": "area", "wetland": "area", "water": "volume"}


def summary_rows(tables: list[Table], text: Text) -> list[tuple[str, list[Decimal | None], Decimal | None, str]]:
    """Per category: value by component and total (sums of the printed province cells), main quantity and unit."""
    by_key = {(t.category, t.kind): t for t in tables}
    rows = []
    for category in CATEGORIES:
        value, physical = by_key[(category, "value")], by_key[(category, "physical")]
        components = [value.province_sum(c) for c in COMPONENTS]
        present = [v for v in components if v is not None]
        total = sum(present, Decimal("0.00"))
        quantity, unit = _main_quantity(category, physical, text)
        rows.append((text.category(category), components, total, quantity, unit))
    return rows


def _main_quantity(category: str, physical: Table, text: Text) -> tuple[Decimal | str | None, str]:
    indicator = MAIN_INDICATOR.get(category)
    if indicator is None:  # minerals: no figure (units differ); the unit column says where to look
        return None, text("see_detail_unit")
    quantity = physical.province_sum(indicator)
    unit = next((c.group for c in physical.columns if c.key and c.key[0] == indicator), "")
    unit = re.search(r"[（(]([^）)]*)[）)]\s*$", unit)
    return quantity, unit.group(1) if unit else ""


def write_summary(
    wb: Workbook, tables: list[Table], province: str, year: int, run_id: str, text: Text
) -> dict[tuple[str, str], Decimal]:
    """One row per category (province level) and their 合计, which adds up the rows as printed; a chart."""
    ws = wb.create_sheet(sheet_title(text("summary")))
    rows = summary_rows(tables, text)
    grand = [_sum_present(r[1][i] for r in rows) for i in range(len(COMPONENTS))]
    grand_total = sum((r[2] for r in rows), Decimal("0.00"))
    widths = _summary_widths(rows, grand + [grand_total], text)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = "B5"
    page_setup(ws, widths, run_id, text, title_rows="3:4")
    ws.append([cell(ws, text("summary_title", province=province, year=year), font=TITLE_FONT)])
    ws.append([cell(ws, text("summary_note"), font=NOTE_FONT)])
    component_labels = [COMPONENT_NAMES[text.lang][c] for c in COMPONENTS]
    _summary_header(ws, component_labels, text)
    for name, components, total, quantity, unit in rows:
        ws.append(_summary_line(ws, name, components, total, quantity, unit))
    ws.append(_summary_line(ws, text("total"), grand, grand_total, None, "", bold=True))
    _summary_chart(ws, len(rows), text)
    headers = [f"{text('value_group')} / {label}" for label in component_labels + [text("total")]]
    return {(ws.title, h): v for h, v in zip(headers, grand + [grand_total], strict=False) if v is not None}


def _summary_widths(rows, grand: list[Decimal | None], text: Text) -> list[float]:
    figures = [[*r[1], r[2]] for r in rows] + [grand]
    value_widths = [
        max([len(f"{line[i]:,.2f}") + 4 for line in figures if line[i] is not None] + [12])
        for i in range(len(COMPONENTS) + 1)
    ]
    quantities = [len(f"{r[3]:,.2f}") + 3 for r in rows if isinstance(r[3], Decimal)]
    name = max(display_width(r[0]) for r in rows) + 4
    return [float(max(name, 14)), *map(float, value_widths), float(max(quantities + [14])), 20.0]


def _summary_header(ws, component_labels: list[str], text: Text) -> None:
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    blank = dict(fill=HEADER_FILL)
    ws.row_dimensions[3].height = ws.row_dimensions[4].height = LINE_HEIGHT + 6
    ws.append(
        [styled(ws, text("category"), **h), styled(ws, text("value_group"), **h)]
        + [styled(ws, None, **blank) for _ in COMPONENTS]
        + [styled(ws, text("physical_main"), **h), styled(ws, None, **blank)]
    )
    ws.append(
        [styled(ws, None, **blank)]
        + [styled(ws, label, **h) for label in component_labels]
        + [styled(ws, text("total"), **h), styled(ws, text("quantity"), **h), styled(ws, text("unit"), **h)]
    )
    n = len(COMPONENTS)
    ws.merged_cells.add("A3:A4")
    ws.merged_cells.add(f"B3:{get_column_letter(n + 2)}3")
    ws.merged_cells.add(f"{get_column_letter(n + 3)}3:{get_column_letter(n + 4)}3")


def _sum_present(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal("0.00")) if present else None


def _summary_line(ws, name, components, total, quantity, unit, bold=False) -> list:
    font = BOLD if bold else None
    fill = PROVINCE_FILL if bold else None
    out = [styled(ws, name, font=font, fill=fill)]
    for value in [*components, total]:
        out.append(styled(ws, None if value is None else float(value), number_format=NUMBER, font=font, fill=fill))
    if isinstance(quantity, str):
        out.append(styled(ws, quantity, fill=fill, alignment=RIGHT))
    else:
        out.append(styled(ws, None if quantity is None else float(quantity), number_format=NUMBER, fill=fill))
    out.append(styled(ws, unit or None, fill=fill, alignment=HEADER_ALIGN))
    return out


def _summary_chart(ws, n: int, text: Text) -> None:
    """Value by category, a column per category (the total column of the rows above)."""
    chart = BarChart()
    chart.type = "col"
    chart.title = text("chart_title")
    chart.legend = None
    total_col = len(COMPONENTS) + 2
    data = Reference(ws, min_col=total_col, min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + n - 1)
    labels = Reference(ws, min_col=1, min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + n - 1)
    chart.add_data(data, titles_from_data=False)
    chart.set_categories(labels)
    chart.y_axis.title = "10⁴ yuan" if text.en else "万元"
    chart.y_axis.number_format = "#,##0"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.dataLabels = DataLabelList(
        showVal=True, showSerName=False, showCatName=False, showLegendKey=False, showPercent=False, numFmt=NUMBER
    )
    chart.width, chart.height = 24, 10
    ws.add_chart(chart, f"A{FIRST_DATA_ROW + n + 3}")
