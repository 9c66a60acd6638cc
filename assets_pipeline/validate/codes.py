"""The code lists a year's rows are checked against, taken from its reference tables.

Which column draws on which table is said by the column's description (``schema.categories``); the county
list, the usable land classes, the state ownership codes, the minerals' units and the legal terms of granted
land are read here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.reference.snapshots import snapshot_frame
from assets_pipeline.reference.tables import TABLES, ReferenceTable
from assets_pipeline.schema.categories import SPECS
from assets_pipeline.schema.columns import CodeListBound, code_columns

# Code columns, the reference table (and its code column) they come from: from the categories' descriptions.
CODE_COLUMNS: dict[str, tuple[str, str]] = code_columns(SPECS.values())


# Every reference table CodeLists.from_reference reads.
CODE_LIST_TABLES = sorted(
    {
        "admin_divisions",
        "land_classes",
        "ownership_codes",
        "tree_ownership_codes",
        "minerals",
        "grassland_grades",
        "land_parameters",
    }
    | {table for table, _ in CODE_COLUMNS.values()}
)

# Legal maximum granted term by land use (DOMAIN §4), the land_parameters row that states it.
LEGAL_TERM_PARAMETERS = {"05": "legal_term_commercial", "07": "legal_term_residential"}
LEGAL_TERM_OTHER = "legal_term_other"
CONSTRUCTION_LEVEL1 = ("05", "06", "07", "08", "09", "10")


def legal_terms_of_classes(classes: pd.DataFrame, parameters: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """Land-category construction class → (legal term in years, its parameter), from the year's land_parameters.

    A snapshot holds the year in force; a whole table (tests, tools) gives its latest year.
    """
    if parameters.empty:
        return {}
    latest = parameters[parameters["year"] == max(parameters["year"], key=int)]
    years = dict(zip(latest["parameter"], latest["value"], strict=False))
    level1 = classes["parent_class"].where(classes["parent_class"] != "", classes["land_class"])
    construction = classes[(classes["category"] == "land") & level1.isin(CONSTRUCTION_LEVEL1)]
    terms = {}
    for code, first in zip(construction["land_class"], level1[construction.index], strict=False):
        name = LEGAL_TERM_PARAMETERS.get(first, LEGAL_TERM_OTHER)
        if name in years:
            terms[code] = (float(years[name]), name)
    return terms


@dataclass
class CodeLists:
    """What the models check against, taken from the reference tables."""

    counties: list[str]
    land_classes: list[str]
    codes: dict[str, list[str]]
    names_to_codes: dict[str, dict[str, str]]
    state_ownership: list[str]
    state_trees: list[str]
    mineral_units: dict[str, str]
    grades: list[int] = field(default_factory=lambda: list(range(1, 9)))
    # construction class → (legal term, parameter), and the supply methods whose owner holds the reversion (granted)
    legal_terms: dict[str, tuple[float, str]] = field(default_factory=dict)
    reversion_methods: list[str] = field(default_factory=list)

    @classmethod
    def from_reference(cls, tables: dict[str, ReferenceTable]) -> CodeLists:
        divisions = tables["admin_divisions"].frame
        classes = tables["land_classes"].frame
        parents = set(classes["parent_class"])
        usable = classes[(classes["level"] == "2") | ~classes["land_class"].isin(parents)]
        codes, names = {}, {}
        for column, (table, code_column) in code_columns(SPECS.values()).items():
            frame = tables[table].frame
            codes[column] = sorted(frame[code_column])
            mapping = {}
            for name_column in ("name_zh", "name_en"):
                if name_column in frame:
                    mapping.update(
                        {n: c for n, c in zip(frame[name_column], frame[code_column], strict=False) if n and n != c}
                    )
            names[column] = mapping
        own = tables["ownership_codes"].frame
        trees = tables["tree_ownership_codes"].frame
        minerals = tables["minerals"].frame
        grades = [int(g) for g in tables["grassland_grades"].frame["grade"]]
        methods = tables["supply_methods"].frame
        parameters = tables["land_parameters"].frame if "land_parameters" in tables else pd.DataFrame()
        return cls(
            counties=sorted(divisions.loc[divisions["level"] == "county", "region_code"]),
            land_classes=sorted(usable["land_class"]),
            codes=codes,
            names_to_codes=names,
            state_ownership=sorted(own.loc[own["is_state"] == "true", "code"]),
            state_trees=sorted(trees.loc[trees["is_state"] == "true", "code"]),
            mineral_units=dict(zip(minerals["mineral_code"], minerals["unit"], strict=False)),
            grades=grades,
            legal_terms=legal_terms_of_classes(classes, parameters),
            reversion_methods=sorted(methods.loc[methods["owner_equity"] == "reversion", "supply_method"]),
        )

    def bound(self, bound: CodeListBound) -> int:
        """A range bound the categories take from the code lists (``grades``: the lowest or highest grade)."""
        values = getattr(self, bound.name)
        return min(values) if bound.end == "lowest" else max(values)


def load_code_lists(layout: YearLayout) -> CodeLists:
    """Code lists from the year's reference snapshots, the rows the reference assets recorded.

    Every category's validation asks for them: they are read once per process for as long as the snapshots are the
    same files (a snapshot written afresh has another size or time)."""
    paths = [layout.reference(name) for name in CODE_LIST_TABLES]
    return _code_lists(tuple((str(p), s.st_size, s.st_mtime_ns) for p in paths for s in [p.stat()]))


@functools.lru_cache(maxsize=4)
def _code_lists(snapshots: tuple) -> CodeLists:
    tables = {
        name: ReferenceTable(spec=TABLES[name], path=Path(path), frame=snapshot_frame(Path(path)), sha256="")
        for name, (path, _, _) in zip(CODE_LIST_TABLES, snapshots, strict=True)
    }
    return CodeLists.from_reference(tables)
