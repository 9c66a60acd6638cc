"""The report workbook read back against the ledger it was written from: each value sheet's province total
and "of which" figures, to the cent."""

from __future__ import annotations

from decimal import Decimal

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.memos import MEMOS
from assets_pipeline.ledgers.published_totals import province_memo_totals
from assets_pipeline.publish.report import read_report_named_totals
from assets_pipeline.schema.categories import CATEGORIES


def report_totals_against_ledger(layout: YearLayout) -> tuple[list[tuple[str, str, str, str]], bool]:
    """Rows of (category, memo or "", ledger Parquet 万元, workbook 万元) and whether every pair is equal."""
    printed, printed_memos = read_report_named_totals(layout.report())
    parquet = province_memo_totals(layout)
    zero = Decimal("0.00")
    rows, passed = [], True
    for c in CATEGORIES:
        total, memos = parquet.get(c, (zero, {}))
        rows.append((c, "", str(total), str(printed.get(c, "missing"))))
        passed &= printed.get(c) == total
        for m in MEMOS:  # a memo the sheet leaves out is zero throughout (report._memos_shown)
            if (c, m) in printed_memos or memos.get(m):
                rows.append((c, m, str(memos.get(m, zero)), str(printed_memos.get((c, m), "not printed"))))
                passed &= printed_memos.get((c, m), zero) == memos.get(m, zero)
    return rows, passed
