"""A delivered file's headers matched to the category's columns, by the aliases the columns' descriptions list.

Headers are compared NFKC-folded, in lower case, without spaces or punctuation; a unit may follow a name in
brackets (``图斑面积(亩)``) or as a suffix (``area_ha``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.schema.categories import AREA_UNITS, VOLUME_UNITS, CategorySpec
from assets_pipeline.schema.columns import header_aliases


@lru_cache(maxsize=65_536, typed=True)
def header_key(name: str) -> str:
    """Header as compared: NFKC-folded, lower case, without spaces, underscores, dashes or dots (remembered: a
    workbook's header search compares each cell of its first rows with every unit name)."""
    folded = unicodedata.normalize("NFKC", str(name)).lower()
    return re.sub(r"[\s_\-.·]+", "", folded)


_UNIT_IN_HEADER = re.compile(r"^(?P<base>.*?)[(\[](?P<unit>[^)\]]+)[)\]]$")


def split_unit(header: str) -> tuple[str, str | None]:
    """``图斑面积(亩)`` → (``图斑面积``, ``亩``); full-width brackets are folded first."""
    folded = unicodedata.normalize("NFKC", str(header)).strip()
    match = _UNIT_IN_HEADER.match(folded)
    if match:
        return match.group("base").strip(), match.group("unit").strip()
    return folded, None


def header_lookup(spec: CategorySpec) -> dict[str, str]:
    """Compared header (see ``header_key``) → canonical column, over every alias of the category."""
    lookup: dict[str, str] = {}
    for name, aliases in header_aliases(spec).items():
        for alias in aliases:
            lookup.setdefault(header_key(alias), name)
    return lookup


def canonical_of(header: str, lookup: dict[str, str]) -> tuple[str | None, str | None]:
    """(canonical column, unit named in the header) of one header, or (None, None)."""
    base, unit = split_unit(header)
    canonical = lookup.get(header_key(header)) or lookup.get(header_key(base))
    if canonical is None:
        return _canonical_with_unit_suffix(header, lookup)
    return canonical, unit


def map_headers(path: Path, headers: list[str], spec: CategorySpec) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Match a file's headers to the category's canonical columns.

    Returns (file header → canonical name, canonical name → unit named in the header, ignored headers).
    A missing required column or two headers claiming one column stop the file with a clear message,
    except one quantity given in two units (``面积(公顷)`` and ``面积(亩)`` under a merged ``面积``): the
    first is read, the others are listed as ignored.
    """
    lookup = header_lookup(spec)
    mapping: dict[str, str] = {}
    units: dict[str, str] = {}
    ignored: list[str] = []
    claimed: dict[str, str] = {}
    for header in headers:
        canonical, unit = canonical_of(header, lookup)
        if canonical is None:
            ignored.append(str(header))
            continue
        if canonical in claimed:
            if unit and canonical in units and unit != units[canonical]:
                ignored.append(str(header))  # the same quantity in another unit
                continue
            raise InputFileError(
                path, f"columns '{claimed[canonical]}' and '{header}' both map to '{canonical}' / 两列对应同一字段"
            )
        claimed[canonical] = str(header)
        mapping[str(header)] = canonical
        if unit:
            units[canonical] = unit
    missing = [c for c in spec.columns if c.required and c.name not in claimed]
    if missing:
        names = ", ".join(f"{c.name} ({' / '.join(c.aliases[:3])})" if c.aliases else c.name for c in missing)
        raise InputFileError(path, f"missing required column(s): {names} / 缺少必填字段")
    return mapping, units, ignored


def _canonical_with_unit_suffix(header: str, lookup: dict[str, str]) -> tuple[str | None, str | None]:
    """``area_ha``, ``TBMJ_MU``, ``volume_wan_m3``: a known column name followed by a unit."""
    key = header_key(header)
    for unit_name in sorted({*AREA_UNITS, *VOLUME_UNITS}, key=len, reverse=True):
        unit_key = header_key(unit_name)
        if key.endswith(unit_key) and len(key) > len(unit_key):
            stem = key[: -len(unit_key)]
            for candidate in (stem, stem + "m2", stem + "m3"):
                if candidate in lookup:
                    return lookup[candidate], unit_name
    return None, None
