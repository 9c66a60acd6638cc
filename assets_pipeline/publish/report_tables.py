"""A category's ledger cells laid out as the printed table: regions down, columns across, totals as printed.

Every total (合计/小计) is the Decimal sum of the cells it adds up as printed; a table whose city rows are not
the sums of their counties (or the province of its cities) is refused (DOMAIN §5).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from assets_pipeline.ledgers.memos import MEMOS
from assets_pipeline.publish.excel import sheet_title
from assets_pipeline.publish.regions import LEVEL_RANK
from assets_pipeline.publish.report_ledger_rows import LedgerError, LedgerRow, Region, ledger_cells, memos_shown
from assets_pipeline.publish.report_words import INDICATORS, Text
from assets_pipeline.schema.labels import COMPONENTS, MEMO_NAMES

SUBJECT_ORDER = ("central", "provincial", "municipal")
# Items in the order of their code lists where the codes do not sort that way.
ITEM_ORDER = {
    "water": ("surface", "groundwater", "overlap"),
    "wetland": ("coastal", "river", "lake", "marsh", "artificial"),
}
# GB/T 17766-2020 classes, most certain first (reference_tables/resource_classes.csv, confidence_rank).
RESOURCE_CLASS_ORDER = ("proved_reserve", "probable_reserve", "measured", "indicated", "inferred")


@dataclass(frozen=True)
class Column:
    """A printed column: a ledger cell (``key``) or the sum of other columns (``parts``)."""

    group: str  # upper header row
    label: str | None  # lower header row; None when the group spans both rows
    key: tuple[str, str, str] | None = None  # measure, item_code, subject
    parts: tuple[int, ...] = ()
    total: bool = False
    memo: str | None = None  # an "of which" column: the memo's figures of the ledger cells of ``parts``, summed

    @property
    def header(self) -> str:
        return self.group if self.label is None else f"{self.group} / {self.label}"


@dataclass
class Table:
    """One category sheet: regions down, columns across, figures as printed."""

    category: str
    kind: str  # physical or value
    sheet: str
    title: str
    notes: list[str]
    columns: list[Column]
    regions: list[Region]
    values: list[list[Decimal | None]]

    @property
    def total_index(self) -> int:
        """A value sheet's 合计 column: its last one but the "of which" columns that follow it."""
        return max(i for i, c in enumerate(self.columns) if c.memo is None)

    def grand_total(self) -> Decimal:
        """The province row's 合计 (a value sheet's 合计 column); 0.00 when nothing was valued."""
        total = self.values[0][self.total_index]
        return Decimal("0.00") if total is None else total

    def province_sum(self, measure: str) -> Decimal | None:
        """Sum of the province row's printed ledger cells of one indicator or component."""
        present = [
            v
            for c, v in zip(self.columns, self.values[0], strict=False)
            if c.key and c.key[0] == measure and v is not None
        ]
        return sum(present, Decimal("0.00")) if present else None


@dataclass(frozen=True)
class Item:
    code: str
    subject: str
    name: str
    subject_name: str


def _items(rows: list[LedgerRow], category: str, text: Text) -> dict[tuple[str, str], Item]:
    items: dict[tuple[str, str], Item] = {}
    for r in rows:
        name = (r.item_name_en if text.en else r.item_name) or r.item_code
        items[(r.item_code, r.subject)] = Item(r.item_code, r.subject, name, text.subject(r.subject, r.subject_name))
    return items


def _item_key(category: str, item: Item) -> tuple:
    order = ITEM_ORDER.get(category, ())
    subject = SUBJECT_ORDER.index(item.subject) if item.subject in SUBJECT_ORDER else len(SUBJECT_ORDER)
    if category == "minerals":
        mineral, _, klass = item.code.partition("|")
        rank = RESOURCE_CLASS_ORDER.index(klass) if klass in RESOURCE_CLASS_ORDER else len(RESOURCE_CLASS_ORDER)
        return (mineral, subject, rank, klass)
    return (order.index(item.code) if item.code in order else len(order), item.code, subject)


def _item_label(category: str, item: Item, text: Text, several_subjects: bool) -> str:
    name = text("overlap", name=item.name) if (category, item.code) == ("water", "overlap") else item.name
    return f"{name}\n{item.subject_name}" if several_subjects else name


def _mineral_names(item: Item) -> tuple[str, str]:
    """'煤炭 证实储量' / 'Coal, Proved mineral reserve' → mineral and resource class (ledger ITEM_NAMES)."""
    sep = ", " if ", " in item.name else " "
    mineral, found, klass = item.name.rpartition(sep) if sep == " " else item.name.partition(sep)
    if not found:
        code_mineral, _, code_class = item.code.partition("|")
        return code_mineral, code_class
    return mineral, klass


def _subject_note(items: dict[tuple[str, str], Item], text: Text) -> list[str]:
    names = {i.subject_name for i in items.values()}
    return [text("subject", s=next(iter(names)))] if len(names) == 1 else []


def _physical_columns(category: str, rows: list[LedgerRow], text: Text) -> list[Column]:
    """Per indicator (and unit) its items, then their 合计 and its "of which" columns; minerals per mineral ×
    class, never added."""
    items = _items(rows, category, text)
    several = len({s for _, s in items}) > 1
    units = {(r.measure, r.item_code): (r.unit or "", r.unit_en or "") for r in rows}
    present = {(r.measure, r.item_code, r.subject) for r in rows}
    ordered = sorted(items.values(), key=lambda i: _item_key(category, i))
    if category == "minerals":
        return [
            _mineral_column(item, units[("quantity", item.code)], text, several)
            for item in ordered
            if ("quantity", item.code, item.subject) in present
        ]
    columns: list[Column] = []
    for indicator in INDICATORS:
        for unit in sorted({units[(m, c)] for m, c in units if m == indicator}):
            cells = [
                i for i in ordered if (indicator, i.code, i.subject) in present and units[(indicator, i.code)] == unit
            ]
            if not cells:
                continue
            group = text.paren(INDICATORS[indicator][1 if text.en else 0], text.unit(*unit))
            first = len(columns)
            columns += [
                Column(group, _item_label(category, i, text, several), key=(indicator, i.code, i.subject))
                for i in cells
            ]
            items = tuple(range(first, len(columns)))
            if len(cells) > 1:
                columns.append(Column(group, text("total"), parts=items, total=True))
            columns += [
                Column(group, text("memo_of", m=MEMO_NAMES[text.lang][m]), parts=items, memo=m)
                for m in memos_shown(category, rows)
            ]
    return columns


def _mineral_column(item: Item, unit: tuple[str, str], text: Text, several_subjects: bool) -> Column:
    mineral, klass = _mineral_names(item)
    group = text.paren(mineral, text.unit(*unit))
    if several_subjects:
        group = f"{group}\n{item.subject_name}"
    return Column(group, klass, key=("quantity", item.code, item.subject))


def _value_columns(category: str, rows: list[LedgerRow], text: Text) -> list[Column]:
    """Items per component (小计 each when there are several components), then the 合计 in 万元."""
    items = _items(rows, category, text)
    several = len({s for _, s in items}) > 1
    present = {(r.measure, r.item_code, r.subject) for r in rows}
    ordered = sorted(items.values(), key=lambda i: _item_key(category, i))
    components = [c for c in COMPONENTS if any(m == c for m, _, _ in present)]
    components += sorted({m for m, _, _ in present} - set(COMPONENTS))
    columns: list[Column] = []
    leaves: list[int] = []
    for component in components:
        cells = [i for i in ordered if (component, i.code, i.subject) in present]
        first = len(columns)
        for item in cells:
            columns.append(_value_column(category, component, item, text, several, len(components) > 1))
        leaves += range(first, len(columns))
        if len(components) > 1 and len(cells) > 1:
            group = columns[first].group
            columns.append(Column(group, text("subtotal"), parts=tuple(range(first, len(columns))), total=True))
    columns.append(Column(text("total_wan"), None, parts=tuple(leaves), total=True))
    columns += [
        Column(text("memo_group_value"), text.memo(m), parts=tuple(leaves), memo=m) for m in memos_shown(category, rows)
    ]
    return columns


def _value_column(
    category: str, component: str, item: Item, text: Text, several_subjects: bool, several_components: bool
) -> Column:
    key = (component, item.code, item.subject)
    if several_components:
        group = text.paren(text.component(category, component), "10⁴ yuan" if text.en else "万元")
        return Column(group, _item_label(category, item, text, several_subjects), key=key)
    if category == "minerals":
        mineral, klass = _mineral_names(item)
        group = f"{mineral}\n{item.subject_name}" if several_subjects else mineral
        return Column(group, klass, key=key)
    return Column(text("value_group"), _item_label(category, item, text, several_subjects), key=key)


def physical_table(
    category: str, rows: list[LedgerRow], regions: list[Region], province: str, year: int, text: Text
) -> Table:
    """A category's physical sheet: per indicator its items and their 合计; minerals never added."""
    columns = _physical_columns(category, rows, text)
    notes = _notes(category, rows, columns, text("unit_physical"), text)
    if category == "minerals" and rows:
        notes.append(text("minerals_no_total"))
    return _table(category, "physical", rows, regions, columns, notes, province, year, text)


def value_table(
    category: str, rows: list[LedgerRow], regions: list[Region], province: str, year: int, text: Text
) -> Table:
    """A category's value sheet (万元): per component its items, their 小计 and the 合计."""
    columns = _value_columns(category, rows, text)
    notes = _notes(category, rows, columns, text("unit_wan"), text)
    return _table(category, "value", rows, regions, columns, notes, province, year, text)


def _notes(category: str, rows: list[LedgerRow], columns: list[Column], unit: str, text: Text) -> list[str]:
    """The notes over a sheet: its unit, the subject when there is one, the memos, blanks, the water total."""
    notes = [unit] + _subject_note(_items(rows, category, text), text) + _memo_note(columns, text)
    notes.append(text("blank_note"))
    if category == "water":
        _check_overlap_negative(rows)
        notes.append(text("water_total"))
    return notes


def _memo_note(columns: list[Column], text: Text) -> list[str]:
    memos = [m for m in MEMOS if any(c.memo == m for c in columns)]
    return [text.memo_note(memos)] if memos else []


def _table(
    category: str,
    kind: str,
    rows: list[LedgerRow],
    regions: list[Region],
    columns: list[Column],
    notes: list[str],
    province: str,
    year: int,
    text: Text,
) -> Table:
    if not rows:
        notes = notes[:1] + [text("no_data")]
    cells = ledger_cells(rows)
    _check_roll_up(category, kind, regions, columns, cells)
    sheet = sheet_title(text(f"{kind}_sheet", c=text.category(category)))
    title = text(f"{kind}_title", province=province, year=year, resource=text.resource(category))
    values = [_row_values(region, columns, cells) for region in regions]
    return Table(category, kind, sheet, title, notes, columns, regions, values)


def _row_values(region: Region, columns: list[Column], cells: dict) -> list[Decimal | None]:
    """The printed cells of one region; each total is the Decimal sum of the printed cells it adds up, and each
    "of which" figure the Decimal sum of the published memo figures of those cells."""
    row = [cells.get((region.code, *c.key)) if c.key else None for c in columns]
    for i, column in enumerate(columns):
        if column.memo:
            # blank where the cells it qualifies are all blank (no parcels); else a figure, 0.00 when measured zero
            present = [
                cells.get((region.code, *columns[j].key, column.memo), Decimal("0.00"))
                for j in column.parts
                if (region.code, *columns[j].key) in cells
            ]
            row[i] = sum(present, Decimal("0.00")) if present else None
        elif column.parts:
            present = [row[j] for j in column.parts if row[j] is not None]
            row[i] = sum(present, Decimal("0.00")) if present else None
    return row


def _check_roll_up(category: str, kind: str, regions: list[Region], columns: list[Column], cells: dict) -> None:
    """Each city cell must equal the sum of its counties' and the province the sum of its cities' (DOMAIN §5)."""
    codes = {r.code for r in regions}
    children: dict[str, list[str]] = defaultdict(list)
    for region in regions:
        if region.parent in codes:
            children[region.parent].append(region.code)
    level = {r.code: LEVEL_RANK.get(r.level, 9) for r in regions}
    for parent, kids in sorted(children.items(), key=lambda pk: -level[pk[0]]):  # cities first: name the lowest
        for column in columns:
            if column.key is None:
                continue
            for key in [column.key] + [(*column.key, m) for m in MEMOS]:
                printed = cells.get((parent, *key), Decimal(0))
                below = sum((cells.get((k, *key), Decimal(0)) for k in kids), Decimal(0))
                if printed != below:
                    raise LedgerError(
                        f"{kind} ledger, {category} {key}: region {parent} holds {printed}, "
                        f"its {len(kids)} sub-regions sum to {below}; the table would not add up as printed"
                    )


def _check_overlap_negative(rows: list[LedgerRow]) -> None:
    """The overlap enters the ledgers negative (valuation_models/water.sql), so the total is a plain sum."""
    positive = [r for r in rows if r.item_code == "overlap" and r.amount > 0]
    if positive:
        first = positive[0]
        raise LedgerError(f"water overlap must be negative in the ledger; {first.region_code} holds {first.amount}")
