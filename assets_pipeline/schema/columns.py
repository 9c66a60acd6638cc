"""What an inventory column is: one description from which every stage takes what it needs.

A column is described once (``categories.py``), and from that one description come the Arrow type it is
ingested as (``ARROW_TYPES`` by kind), the header aliases a delivery may use (``header_aliases``), the Pandera
field that validates it (its kind, ``required``, ``code_list`` and ``bounds``, see ``validate.model``) and
its names in the workbooks (``label_zh``, ``label_en``, see ``column_labels``). Adding a column to a
category is adding one ``Column``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import pyarrow as pa

# Column kinds: how a delivered cell is parsed, and the Arrow type it is stored as.
#   id      free text identifier, trimmed
#   code    a code from a code list: trimmed, full-width folded, a float artefact ``140105.0`` undone
#   region  a 6-digit county code; 12- or 19-digit 坐落单位代码 are cut to their first 6 digits
#   number  a decimal quantity (thousand separators, full-width digits accepted)
#   area    a number in m² (converted from 亩 or 公顷 where the header or declaration says so)
#   integer a whole number
#   bool    yes/no (是/否, true/false, 1/0, Y/N)
#   text    free text, trimmed
ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "code": pa.string(),
    "region": pa.string(),
    "text": pa.string(),
    "number": pa.float64(),
    "area": pa.float64(),
    "integer": pa.int64(),
    "bool": pa.bool_(),
}
KINDS = tuple(ARROW_TYPES)

# Quantities delivered in a unit of their own (named in the header, or declared for the run for areas): the unit
# they are stored in, whatever unit they came in.
STORED_UNITS = {"area": "m2", "volume": "m3"}


@dataclass(frozen=True)
class CodeListBound:
    """A bound taken from the year's code lists rather than written here (the grassland grades of
    ``grassland_grades.csv``): ``lowest`` or ``highest`` of the list the validation's code lists call ``name``."""

    name: str
    end: str  # "lowest" or "highest"


@dataclass(frozen=True)
class Column:
    """One column of an inventory, as delivered and as checked.

    ``required``: the delivery must have the column and every row a value (optional columns may be absent
    or blank). ``code_list``: the reference table and its code column the values must come from.
    ``bounds``: range checks as (Pandera check, bound) pairs, in the order they are checked: ``gt``, ``ge``,
    ``lt``, ``le``; a bound is a number or a ``CodeListBound``. ``measure``: ``area`` or ``volume`` for a
    quantity converted from the unit its header names (areas always, see kind ``area``), stored in
    ``STORED_UNITS``; ``unit`` says what a figure counts in, for readers. ``label_zh`` and ``label_en``: the column's
    name in the workbooks (a column without a Chinese label is shown by its canonical name).
    """

    name: str
    kind: str
    required: bool = True
    aliases: tuple[str, ...] = ()
    description: str = ""
    label_zh: str | None = None
    label_en: str | None = None
    code_list: tuple[str, str] | None = None
    bounds: tuple[tuple[str, float | CodeListBound], ...] = ()
    measure: str | None = None
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ARROW_TYPES:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")
        if self.kind == "area":
            object.__setattr__(self, "measure", "area")
        if self.measure is not None and self.unit is None:
            object.__setattr__(self, "unit", STORED_UNITS[self.measure])

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.kind]

    @property
    def nullable(self) -> bool:
        return not self.required


@dataclass(frozen=True)
class CategorySpec:
    name: str
    columns: tuple[Column, ...]
    id_columns: tuple[str, ...] = field(default=())
    area_column: str | None = "area_m2"
    quantity_columns: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def with_column(self, column: Column) -> CategorySpec:
        """The same category with one more column (last, or in place of the column of its name)."""
        kept = tuple(c for c in self.columns if c.name != column.name)
        return replace(self, columns=kept + (column,))


def header_aliases(spec: CategorySpec) -> dict[str, tuple[str, ...]]:
    """Canonical column → the headers that name it (its own name first)."""
    return {c.name: (c.name, *c.aliases) for c in spec.columns}


def column_labels(specs: Iterable[CategorySpec], language: str) -> dict[str, str]:
    """Canonical column → its name in ``language`` (``zh`` or ``en``), over the categories given.

    A column name means one thing in every category, so it has one label: two labels for one name stop here.
    """
    labels: dict[str, str] = {}
    for spec in specs:
        for column in spec.columns:
            label = getattr(column, f"label_{language}")
            if label is None:
                continue
            if labels.setdefault(column.name, label) != label:
                raise ValueError(f"column {column.name} is labelled both {labels[column.name]!r} and {label!r}")
    return labels


def code_columns(specs: Iterable[CategorySpec]) -> dict[str, tuple[str, str]]:
    """Code column → (reference table, its code column), over the categories given."""
    found: dict[str, tuple[str, str]] = {}
    for spec in specs:
        for column in spec.columns:
            if column.code_list is not None and found.setdefault(column.name, column.code_list) != column.code_list:
                raise ValueError(f"column {column.name} draws on two code lists")
    return found
