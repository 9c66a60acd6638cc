"""The nation's workbook of a year (DOMAIN §7): a cover that says which provinces are in, which are missing and
each one's manifest hash, then per ledger and category a sheet with the provinces as rows and the nation's row
below them, every figure as published. The nation's row is the sum of the printed province rows, so the sheets
add up as printed; the check reads the saved workbook back and adds them up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook

from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.ledgers.national import LEDGER_FILES, NATIONAL_CODE, NationalResult
from assets_pipeline.publish.excel import BOLD, HEADER_FONT, NUMBER, TITLE_FONT, sheet_title

LEDGER_WORDS = {"physical": ("实物量", "quantity"), "value": ("价值量（万元）", "value_wan_yuan")}


@dataclass
class NationalWorkbook:
    path: Path
    sheets: int


def workbook_path(result: NationalResult) -> Path:
    return result.folder / f"national_{result.year}.xlsx"


def write_national_workbook(result: NationalResult) -> NationalWorkbook:
    book = Workbook()
    cover = book.active
    cover.title = "封面 Cover"
    _cover(cover, result)
    sheets = 0
    for ledger, (words, measure) in LEDGER_WORDS.items():
        for category, columns, rows in _category_tables(result, ledger, measure):
            sheet = book.create_sheet(sheet_title(f"{words[:3]} {category}"))
            sheet.append([f"{result.year} {words} {category}"])
            sheet["A1"].font = TITLE_FONT
            sheet.append(["省级行政区 province", "代码 code", *columns])
            for cell in sheet[2]:
                cell.font = HEADER_FONT
            for code, name, values in rows:
                sheet.append([name, code, *[float(v) for v in values]])
                for cell in sheet[sheet.max_row][2:]:
                    cell.number_format = NUMBER
                if code == NATIONAL_CODE:
                    for cell in sheet[sheet.max_row]:
                        cell.font = BOLD
            sheet.column_dimensions["A"].width = 22
            sheets += 1
    path = workbook_path(result)
    with atomic_path(path) as tmp:
        book.save(tmp)
    return NationalWorkbook(path, sheets)


def _cover(sheet, result: NationalResult) -> None:
    sheet.append([f"全国自然资源资产账户 National accounts {result.year}"])
    sheet["A1"].font = TITLE_FONT
    status = (
        f"部分 PARTIAL: {len(result.included)} of {len(result.expected)} provinces"
        if result.partial
        else f"完整 complete: {len(result.included)} of {len(result.expected)} provinces"
    )
    sheet.append(["状态 status", status])
    sheet.append([])
    sheet.append(["已纳入 included", "名称 name", "manifest.json SHA-256"])
    for p in result.included:
        sheet.append([p.code, p.name, p.manifest_sha256])
    sheet.append([])
    sheet.append(["缺失 missing", "原因 why"])
    for p in result.missing:
        sheet.append([p.code, p.why_missing])
    if not result.missing:
        sheet.append(["（无 none）"])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["C"].width = 70


def _category_tables(result: NationalResult, ledger: str, measure: str):
    """Per category: the column names (item, subject, indicator/component) and one row per province then the
    nation, each figure the published cell (Decimal)."""
    source = result.folder / LEDGER_FILES[ledger]
    detail = "indicator" if ledger == "physical" else "component"
    with connect(memory_limit="500MB") as con:
        cells = con.execute(
            # every dimension of the cell names its column (the unit too: a mineral may be counted in several)
            f"SELECT category, concat_ws(' ', item_code, item_name, subject, {detail}"
            + (", unit" if ledger == "physical" else "")
            + ") AS column_name, "
            f"region_code, region_name, {measure} FROM read_parquet($p) ORDER BY category, item_code, subject, {detail}",
            {"p": str(source)},
        ).fetchall()
    by_category: dict[str, dict] = {}
    for category, column, code, name, value in cells:
        table = by_category.setdefault(category, {"columns": [], "rows": {}})
        if column not in table["columns"]:
            table["columns"].append(column)
        table["rows"].setdefault((code, name), {})[column] = value
    for category, table in by_category.items():
        columns = table["columns"]
        keys = sorted(table["rows"], key=lambda k: (k[0] == NATIONAL_CODE, k[0]))
        rows = [(code, name, [table["rows"][(code, name)].get(c, Decimal(0)) for c in columns]) for code, name in keys]
        yield category, columns, rows


def workbook_adds_up(path: Path) -> list[str]:
    """Read the saved workbook back: on every ledger sheet the nation's row equals the sum of the province rows
    above it, column by column, to the cent."""
    problems = []
    book = load_workbook(path, read_only=True)
    for sheet in book.worksheets[1:]:
        rows = list(sheet.iter_rows(min_row=3, values_only=True))
        provinces = [r for r in rows if r[1] != NATIONAL_CODE]
        nation = [r for r in rows if r[1] == NATIONAL_CODE]
        if len(nation) != 1:
            problems.append(f"{sheet.title}: {len(nation)} national rows")
            continue
        for i, printed in enumerate(nation[0][2:], start=2):
            total = sum((Decimal(str(r[i] or 0)) for r in provinces), Decimal(0))
            if Decimal(str(printed or 0)).quantize(Decimal("0.01")) != total.quantize(Decimal("0.01")):
                problems.append(f"{sheet.title} column {i + 1}: nation {printed} ≠ provinces {total}")
    book.close()
    return problems
