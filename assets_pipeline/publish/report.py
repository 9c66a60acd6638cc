"""The year's report workbook: a cover, a summary, and a physical and a value sheet per category.

What the finance and asset staff open and print (DOMAIN §1, §5). Each category sheet lays the
published ledger cells out region by region — the province first, then each city followed by its
counties — with the items across and the unit in every header.

Rounding (DOMAIN §5): the figures are the published cells of the ledgers, written as they are in the
Parquet. Every total printed (a 合计/小计 column, the summary's rows) is the Decimal sum of the cells it
totals *as printed*, so each table adds up on paper. City rows are the sums of their counties and the
province row the sum of its cities by construction of the ledgers; the writer checks this and refuses
a ledger that does not add up rather than print a table that does not.

The sheets are written in the order this module gives them: the cover and the input files (report_cover), the
summary (report_summary), the category sheets (report_ledger_sheets over report_tables), the balance accounts
(report_balance), the land-use transitions (report_transitions), the counties' data quality (quality) and, when
the year's maps were drawn, the maps (report_maps).

Cells hold values, never formulas, so what openpyxl reads back is what Excel and LibreOffice show;
text always goes through ``excel.cell`` so a name like ``=1+1`` stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.publish.area_identity import area_identity
from assets_pipeline.publish.quality import write_scorecard_sheet
from assets_pipeline.publish.report_balance import write_balance_sheets
from assets_pipeline.publish.report_cover import CoverInfo, write_cover, write_inputs_sheet
from assets_pipeline.publish.report_ledger_rows import ledger_regions, ordered_regions, read_ledger
from assets_pipeline.publish.report_ledger_sheets import MEMO_NAME_SEPARATOR, TOTAL_NAME_PREFIX, write_ledger_sheet
from assets_pipeline.publish.report_maps import write_maps_sheet
from assets_pipeline.publish.report_summary import write_summary
from assets_pipeline.publish.report_tables import physical_table, value_table
from assets_pipeline.publish.report_transitions import write_transition_sheet
from assets_pipeline.publish.report_words import TEXT, Text
from assets_pipeline.schema.categories import CATEGORIES


@dataclass
class ReportTotals:
    """The grand totals printed, for comparing the workbook with the ledgers.

    ``totals`` maps (sheet name, column header) to the figure printed on the column's total line: the
    province row of a category sheet, the 合计 row of the summary. A two-row header reads
    "upper / lower". ``values`` is the province total value of each category in 万元.
    """

    path: Path
    totals: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    values: dict[str, Decimal] = field(default_factory=dict)


def write_report(layout: YearLayout, cover: CoverInfo, lang: str = "zh") -> ReportTotals:
    """Write ``report_<year>.xlsx`` from the year's ledgers (atomically) and return the totals printed."""
    if lang not in TEXT:
        raise ValueError(f"report language must be one of {sorted(TEXT)}, not {lang!r}")
    if int(cover.year) != layout.year:
        raise ValueError(f"cover year {cover.year} is not the layout's year {layout.year}")
    text = Text(lang)
    if not cover.area_identity:
        cover.area_identity = area_identity(layout, str(cover.parameters.get("consistency_policy") or "base-map-wins"))
    physical = read_ledger(layout.ledger_physical, "indicator", "quantity")
    value = read_ledger(layout.ledger_value, "component", "value_wan_yuan")
    tables = []
    for category in CATEGORIES:
        rows_p, rows_v = physical.get(category, []), value.get(category, [])
        regions = ordered_regions(ledger_regions(rows_p + rows_v, cover.province_code, cover.province_name))
        tables.append(physical_table(category, rows_p, regions, cover.province_name, cover.year, text))
        tables.append(value_table(category, rows_v, regions, cover.province_name, cover.year, text))

    wb = Workbook(write_only=True)
    result = ReportTotals(path=layout.report())
    write_cover(wb, cover, text, tables)
    result.totals.update(write_summary(wb, tables, cover.province_name, cover.year, cover.run_id, text))
    for table in tables:
        result.totals.update(write_ledger_sheet(wb, table, cover.run_id, text))
        if table.kind == "value":
            result.values[table.category] = table.grand_total()
    write_balance_sheets(wb, layout, cover.province_name, lang)
    write_transition_sheet(wb, layout, cover.province_name, lang)
    write_scorecard_sheet(wb, layout, lang)
    write_maps_sheet(wb, layout, lang)
    write_inputs_sheet(wb, cover, text)
    with atomic_path(layout.report()) as tmp:
        wb.save(tmp)
    return result


def read_report_totals(path: Path) -> dict[str, Decimal]:
    """The province total value (万元) of each category, read back from the saved workbook's cells.

    Each value sheet's province 合计 cell carries a workbook name ``total_value_<category>``, so the
    lookup does not depend on the language or the column layout. A blank total (nothing valued)
    reads as 0.00, as an empty ledger sums to 0.
    """
    return read_report_named_totals(path)[0]


def read_report_memo_totals(path: Path) -> dict[tuple[str, str], Decimal]:
    """(category, memo) → the province "of which" value (万元) printed on the category's value sheet, read back
    through its workbook name ``total_value_<category>__<memo>``; memos not printed are absent."""
    return read_report_named_totals(path)[1]


def read_report_named_totals(path: Path) -> tuple[dict[str, Decimal], dict[tuple[str, str], Decimal]]:
    """Both of the above from one opening of the workbook (``read_report_totals``, ``read_report_memo_totals``).

    One opening, because opening is most of the cost: openpyxl's read-only mode reads every sheet through once to
    learn its size (a sheet written in write-only mode does not state it), then each named cell is found by reading
    its sheet down to its row (the province rows, near the top)."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        totals: dict[str, Decimal] = {}
        memos: dict[tuple[str, str], Decimal] = {}
        for name, defined in wb.defined_names.items():
            if not name.startswith(TOTAL_NAME_PREFIX):
                continue
            ((sheet, coordinate),) = list(defined.destinations)
            figure = _cents(wb[sheet][coordinate.replace("$", "")].value)
            named = name[len(TOTAL_NAME_PREFIX) :]
            if MEMO_NAME_SEPARATOR in named:
                category, memo = named.split(MEMO_NAME_SEPARATOR)
                memos[(category, memo)] = figure
            else:
                totals[named] = figure
        return totals, memos
    finally:
        wb.close()


def _cents(raw) -> Decimal:
    """A figure read back from a cell, as the 2-decimal Decimal it was written from."""
    if raw is None or raw == "":
        return Decimal("0.00")
    return Decimal(str(raw)).quantize(Decimal("0.01"))
