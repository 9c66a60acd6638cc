"""The published ledger cells as the report reads them, and the regions they name in print order."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from assets_pipeline.ledgers.memos import MEMO_CATEGORIES, MEMOS
from assets_pipeline.publish.regions import print_order


@dataclass(frozen=True)
class LedgerRow:
    region_code: str
    region_name: str
    region_level: str
    parent_code: str | None
    measure: str  # indicator (physical) or component (value)
    item_code: str
    subject: str
    item_name: str | None
    item_name_en: str | None
    subject_name: str | None
    unit: str | None
    unit_en: str | None
    amount: Decimal
    memos: dict[str, Decimal] = field(default_factory=dict)  # the cell's "of which" figures (memos.py), as published


def read_ledger(path: Path, measure: str, amount: str) -> dict[str, list[LedgerRow]]:
    """A ledger's published cells per category; the ledgers are regions × items, small enough to read whole."""
    table = pq.read_table(path)
    has_unit = "unit" in table.column_names
    memo_columns = {m: c for m in MEMOS if (c := _memo_column(amount, m)) in table.column_names}
    out: dict[str, list[LedgerRow]] = defaultdict(list)
    for r in table.to_pylist():
        if r[amount] is None:
            continue
        out[r["category"]].append(
            LedgerRow(
                region_code=r["region_code"],
                region_name=r["region_name"],
                region_level=r["region_level"],
                parent_code=r["parent_code"],
                measure=r[measure],
                item_code=r["item_code"] or "",
                subject=r["subject"],
                item_name=r["item_name"],
                item_name_en=r["item_name_en"],
                subject_name=r["subject_name"],
                unit=r["unit"] if has_unit else None,
                unit_en=r["unit_en"] if has_unit else None,
                amount=Decimal(r[amount]),
                memos={m: Decimal(r[c]) for m, c in memo_columns.items() if r[c] is not None},
            )
        )
    return out


def _memo_column(amount: str, memo: str) -> str:
    """The ledger column of a memo's published figure: quantity_redline, value_redline_wan_yuan (memos.py)."""
    return f"quantity_{memo}" if amount == "quantity" else f"value_{memo}_wan_yuan"


def memos_shown(category: str, rows: list[LedgerRow]) -> list[str]:
    """The memos a category's sheets print: those of the memo categories with a figure other than zero.

    A base map without a memo's column gives every row a share of 0; a column of zeros would read as "none of it
    lies in the zone", which nobody measured."""
    if category not in MEMO_CATEGORIES:
        return []
    return [m for m in MEMOS if any(r.memos.get(m) for r in rows)]


def ledger_cells(rows: list[LedgerRow]) -> dict[tuple, Decimal]:
    """(region, measure, item, subject) → published cell, and (region, measure, item, subject, memo) → its
    published "of which" figure; the ledgers hold one row per key."""
    cells: dict[tuple, Decimal] = {}
    for r in rows:
        key = (r.region_code, r.measure, r.item_code, r.subject)
        if key in cells:
            raise LedgerError(f"ledger holds two rows for {key}")
        cells[key] = r.amount
        for memo, figure in r.memos.items():
            cells[(*key, memo)] = figure
    return cells


class LedgerError(ValueError):
    """The ledgers cannot be printed as tables that add up (DOMAIN §5)."""


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent: str | None

    def label(self) -> str:
        return f"{self.code} {self.name}"


def ledger_regions(rows: list[LedgerRow], province_code: str, province_name: str) -> dict[str, Region]:
    """The regions a category's ledgers name, and the province (the cover's) even when the category is empty."""
    regions = {province_code: Region(province_code, province_name, "province", None)}
    for r in rows:
        if r.region_level == "province" and r.region_code != province_code:
            raise LedgerError(f"the ledger's province is {r.region_code}, the cover's {province_code}")
        regions[r.region_code] = Region(r.region_code, r.region_name, r.region_level, r.parent_code)
    return regions


def ordered_regions(regions: dict[str, Region]) -> list[Region]:
    """Province first, then each city followed by its counties: a city row is the subtotal beneath it."""
    return [regions[code] for code in print_order({c: (r.level, r.parent) for c, r in regions.items()})]
