"""Regions in the order the workbooks print them: the province, then each city followed by its counties."""

from __future__ import annotations

from collections import defaultdict

LEVEL_RANK = {"province": 0, "city": 1, "county": 2}


def print_order(regions: dict[str, tuple[str, str | None]]) -> list[str]:
    """The codes of ``regions`` (code → level, parent code) province first, each city followed by its counties,
    so a city row is the subtotal beneath it; a region whose parent is not among them starts a tree of its own."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, (_, parent) in regions.items():
        children[parent if parent in regions else None].append(code)
    out: list[str] = []

    def walk(code: str) -> None:
        out.append(code)
        for child in sorted(children[code], key=lambda c: (LEVEL_RANK.get(regions[c][0], 9), c)):
            walk(child)

    for root in sorted(children[None], key=lambda c: (LEVEL_RANK.get(regions[c][0], 9), c)):
        walk(root)
    return out
