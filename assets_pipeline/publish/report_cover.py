"""The cover and the input-files sheet: what the run was, the figures at a glance, the checks, the files' hashes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assets_pipeline.publish.area_identity import IDENTITY_TERMS, identity_closes
from assets_pipeline.publish.excel import BAD_FILL, HEADER_FILL, NOTE_FONT, NUMBER, TITLE_FONT, cell, sheet_title
from assets_pipeline.publish.report_style import (
    BOLD,
    COUNT,
    FONT,
    HASH_FONT,
    HEADER_ALIGN,
    HEADER_FONT,
    MIDDLE,
    MIDDLE_WRAP,
    PROVINCE_FILL,
    SECTION_FONT,
    TOP,
    page_setup,
    styled,
)
from assets_pipeline.publish.report_summary import summary_rows
from assets_pipeline.publish.report_tables import Table
from assets_pipeline.publish.report_words import Text
from assets_pipeline.schema.labels import CATEGORY_NAMES_EN


@dataclass
class CoverInfo:
    """What the cover states about the run, so a printed workbook can be traced to its inputs."""

    year: int
    province_code: str
    province_name: str
    run_time: str
    run_id: str
    inputs: list[tuple[str, str, str, int]] = field(default_factory=list)  # category, file, sha256, rows
    reference_tables: list[tuple[str, str, str, str]] = field(default_factory=list)  # table, file, sha256, price year
    models: list[tuple[str, str, str]] = field(default_factory=list)  # category, model, version
    parameters: dict[str, str] = field(default_factory=dict)
    # category, rows read, valid, excluded, rejected, unpriced
    reconciliation: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    # the area identity's terms in m² (area_identity()); empty: not shown
    area_identity: dict[str, Decimal] = field(default_factory=dict)
    time_zone: str = "Asia/Shanghai"  # the province's; China keeps one zone, UTC+08:00


COVER_WIDTHS = [26, 38, 18, 12, 12, 12, 12, 12]


def write_cover(wb: Workbook, cover: CoverInfo, text: Text, tables: list[Table] | None = None) -> None:
    """Title and the run, then the figures: the province's value and main quantity per category, the row
    reconciliation and the area identity; then the models and parameters. The files' hashes are on their own
    sheet (输入文件), so the cover's first page is the accounts, not a list of hashes."""
    ws = wb.create_sheet(sheet_title(text("cover")))
    for i, width in enumerate(COVER_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 30
    ws.row_dimensions[7].height = 48
    page_setup(ws, COVER_WIDTHS, cover.run_id, text, title_rows=None)
    title = text("cover_title", province=cover.province_name, year=cover.year)
    ws.append([cell(ws, title, font=Font(name=FONT, bold=True, size=16))])
    ws.append([])
    facts = (
        (text("year"), str(cover.year)),
        (text("province"), text.paren(cover.province_name, cover.province_code)),
        (text("run_time"), local_time(cover.run_time, cover.time_zone)),
        (text("run_id"), cover.run_id),
        (text("note"), text("rounding_note")),
    )
    for label, value in facts:
        ws.append([cell(ws, label, font=BOLD, alignment=TOP), cell(ws, value, alignment=TOP)])
    ws.merged_cells.add(f"B7:{get_column_letter(len(COVER_WIDTHS))}7")
    row = 7
    if tables:
        row = _cover_figures(ws, row, tables, text)
    row = _reconciliation(ws, row, cover, text)
    if cover.area_identity:
        row = _area_identity(ws, row, cover.area_identity, text)
    row = _cover_section(
        ws,
        row,
        text("models"),
        [text("category"), text("model"), text("version")],
        [(_category_name(c, text), m, v) for c, m, v in cover.models],
    )
    row = _cover_section(
        ws,
        row,
        text("parameters"),
        [text("parameter"), text("value")],
        [(k, str(v)) for k, v in cover.parameters.items()],
        span_last=True,
    )


def _cover_figures(ws, row: int, tables: list[Table], text: Text) -> int:
    """Per category the province's value (万元) and main physical quantity, as the summary prints them."""
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    ws.append([])
    ws.append([cell(ws, text("figures"), font=SECTION_FONT)])
    ws.append(
        [styled(ws, x, **h) for x in (text("category"), text("value_wan"), text("physical_main"), text("unit"))]
        + [styled(ws, None, fill=HEADER_FILL)]
    )
    ws.merged_cells.add(f"D{row + 3}:E{row + 3}")
    rows = summary_rows(tables, text)
    for i, (name, _, total, quantity, unit) in enumerate(rows, start=row + 4):
        ws.append(
            [
                styled(ws, name),
                styled(ws, float(total), number_format=NUMBER),
                styled(ws, None if quantity is None else float(quantity), number_format=NUMBER),
                styled(ws, unit or None),
                styled(ws, None),
            ]
        )
        ws.merged_cells.add(f"D{i}:E{i}")
    grand = sum((r[2] for r in rows), Decimal("0.00"))
    ws.append(
        [
            styled(ws, text("total"), font=BOLD, fill=PROVINCE_FILL),
            styled(ws, float(grand), number_format=NUMBER, font=BOLD, fill=PROVINCE_FILL),
            styled(ws, None, fill=PROVINCE_FILL),
            styled(ws, None, fill=PROVINCE_FILL),
            styled(ws, None, fill=PROVINCE_FILL),
        ]
    )
    ws.merged_cells.add(f"D{row + 4 + len(rows)}:E{row + 4 + len(rows)}")
    return row + 3 + len(rows) + 1


def write_inputs_sheet(wb: Workbook, cover: CoverInfo, text: Text) -> None:
    """The input files and reference tables with their SHA-256, on a sheet of their own."""
    ws = wb.create_sheet(sheet_title(text("inputs_sheet")))
    for i, width in enumerate(COVER_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 22
    page_setup(ws, COVER_WIDTHS, cover.run_id, text, title_rows=None)
    ws.append([cell(ws, text("inputs_title", province=cover.province_name, year=cover.year), font=TITLE_FONT)])
    ws.append([cell(ws, text("inputs_note"), font=NOTE_FONT)])
    row = 2
    row = _cover_section(
        ws,
        row,
        text("inputs"),
        [text("category"), text("file"), text("rows"), "SHA-256"],
        [(_category_name(c, text), f, int(n), h) for c, f, h, n in cover.inputs],
        span_last=True,
    )
    _cover_section(
        ws,
        row,
        text("reference_tables"),
        [text("table"), text("file"), text("price_year"), "SHA-256"],
        [(t, f, str(y), h) for t, f, h, y in cover.reference_tables],
        span_last=True,
    )
    ws.freeze_panes = "A2"


def local_time(iso: str, zone: str = "Asia/Shanghai") -> str:
    """A run's time in the province's local time with its offset: ``2026-12-06 21:30:00 +08:00``.

    The run records the machine's time (often UTC on a server); the accountant reads the province's clock.
    Text that is not a time is shown as it is."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive time is the machine's
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # a system without the time-zone database: China's offset
        tz = dt.timezone(dt.timedelta(hours=8))
    local = moment.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _area_identity(ws, row: int, terms: dict[str, Decimal], text: Text) -> int:
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    right, difference = identity_closes(terms)
    closes = abs(difference) <= Decimal("0.01")
    ws.row_dimensions[row + 2].height = 34  # two lines of the section's title (set before the row: write-only)
    ws.append([])
    ws.append([cell(ws, text("area_identity"), font=SECTION_FONT, alignment=TOP)])
    ws.merged_cells.add(f"A{row + 2}:{get_column_letter(len(COVER_WIDTHS))}{row + 2}")
    # the terms' names span two columns (A:B), their figures and the check follow
    ws.append(
        [
            styled(ws, text("term"), **h),
            styled(ws, None, fill=HEADER_FILL),
            styled(ws, text("area_m2"), **h),
            styled(ws, text("check"), **h),
        ]
    )
    ws.merged_cells.add(f"A{row + 3}:B{row + 3}")
    lines = []
    for key in IDENTITY_TERMS:
        if key.startswith("ledger_"):
            label = text("identity_ledger", c=text.category(key[len("ledger_") :]))
        else:
            label = text(key)
        lines.append((label, terms.get(key, Decimal("0.00")), False))
    lines += [(text("identity_sum"), right, True), (text("identity_difference"), difference, True)]
    for i, (label, value, bold) in enumerate(lines):
        check = None
        if i == len(lines) - 1:
            check = styled(
                ws,
                text("closes") if closes else text("not_closes"),
                font=None if closes else BOLD,
                fill=None if closes else BAD_FILL,
                alignment=Alignment(horizontal="center"),
            )
        ws.append(
            [
                styled(ws, label, font=BOLD if bold else None, alignment=MIDDLE_WRAP),
                styled(ws, None),
                styled(ws, float(value), number_format=NUMBER, font=BOLD if bold else None),
                check,
            ]
        )
        ws.merged_cells.add(f"A{row + 4 + i}:B{row + 4 + i}")
    return row + 3 + len(lines)


def _category_name(category: str, text: Text) -> str:
    return text.category(category) if category in CATEGORY_NAMES_EN else category


def _cover_section(ws, row: int, title: str, headers: list[str], lines: list[tuple], span_last: bool = False) -> int:
    """A titled table on the cover, starting after ``row``; returns its last row.

    With ``span_last`` the last column spans to the sheet's last column (hashes, long values).
    """
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    ws.append([])
    ws.append([cell(ws, title, font=SECTION_FONT)])
    ws.append(_spanned(ws, [styled(ws, x, **h) for x in headers], span_last, HEADER_FILL))
    row += 3
    _merge_last(ws, row, len(headers), span_last)
    for line in lines:
        cells = []
        for i, value in enumerate(line):
            if isinstance(value, int) and not isinstance(value, bool):
                cells.append(styled(ws, value, number_format=COUNT, alignment=MIDDLE))
            else:
                font = HASH_FONT if headers[i] == "SHA-256" else None
                cells.append(styled(ws, value, font=font, alignment=MIDDLE_WRAP))
        ws.append(_spanned(ws, cells, span_last, None))
        row += 1
        _merge_last(ws, row, len(headers), span_last)
    return row


def _merge_last(ws, row: int, n: int, span_last: bool) -> None:
    last = len(COVER_WIDTHS)
    if span_last and n < last:
        ws.merged_cells.add(f"{get_column_letter(n)}{row}:{get_column_letter(last)}{row}")


def _spanned(ws, cells: list, span_last: bool, fill) -> list:
    """Pad a merged last cell with bordered blanks so the merge prints its frame."""
    if not span_last:
        return cells
    return cells + [styled(ws, None, fill=fill) for _ in range(len(COVER_WIDTHS) - len(cells))]


def _reconciliation(ws, row: int, cover: CoverInfo, text: Text) -> int:
    """Rows per category: read = valid + excluded + rejected (DOMAIN §5, Nothing lost); unpriced shown."""
    headers = [
        text("category"),
        text("check"),
        text("rows_read"),
        text("rows_valid"),
        text("rows_excluded"),
        text("rows_rejected"),
        text("rows_unpriced"),
    ]
    h = dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
    ws.append([])
    ws.append([cell(ws, text("reconciliation"), font=SECTION_FONT)])
    ws.append([styled(ws, x, **h) for x in headers])
    for category, read, valid, excluded, rejected, unpriced in cover.reconciliation:
        balanced = read == valid + excluded + rejected
        ws.append(
            [
                styled(ws, _category_name(category, text)),
                styled(
                    ws,
                    text("balanced") if balanced else text("unbalanced"),
                    font=None if balanced else BOLD,
                    fill=None if balanced else BAD_FILL,
                    alignment=Alignment(horizontal="center"),
                ),
            ]
            + [styled(ws, int(n), number_format=COUNT) for n in (read, valid, excluded, rejected, unpriced)]
        )
    return row + 3 + len(cover.reconciliation)
