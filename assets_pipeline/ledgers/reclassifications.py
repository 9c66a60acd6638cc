"""Reclassifications in = out (DOMAIN §2, §5): guards of the physical balance account. Over the province the area
reclassified out of all categories equals the area reclassified in, and both the area that moved recomputed from
the valued rows (``reclassification_check``, blocking); removed and new are the area of the rows whose base parcel
left or joined the state base map (``removed_and_new_check``, a warning)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.both_years import INVENTORIES, open_both_years, previous_layout
from assets_pipeline.schema.categories import CATEGORIES


def reclassification_check(layout: YearLayout, balance_path: Path | None = None) -> dict:
    """Over the province, area reclassified out of all categories = area reclassified in (DOMAIN §2: what leaves a
    category on a base parcel still on the state base map arrives in another; §5). Both are compared with the area
    that moved recomputed from the valued rows of both years (``recomputed_moved.sql``), to 0.01 m².

    Returns ``passed``, the per-category figures (公顷: exact and as published at the province) and the totals."""
    balance_path = balance_path or layout.balance_physical
    previous = previous_layout(layout)
    with connect(layout.stages / "duckdb_tmp") as con:
        per_category = con.execute(sql.query(__file__, "balance_reclassified"), {"p": str(balance_path)}).fetchall()
        if previous is None:
            return {"passed": True, "has_opening": False, "categories": [], "note": "first year: no reclassifications"}
        open_both_years(con, layout, previous, CATEGORIES)
        kept_id, on_base = con.execute(sql.query(__file__, "recomputed_moved")).fetchone()
    total_out = sum((r[1] or 0 for r in per_category), Decimal(0)) * 10000
    total_in = sum((r[2] or 0 for r in per_category), Decimal(0)) * 10000
    recomputed = Decimal(kept_id) + Decimal(on_base)
    tolerance = Decimal("0.01")
    passed = (
        abs(total_out - total_in) < tolerance
        and abs(total_out - recomputed) < tolerance
        and abs(total_in - recomputed) < tolerance
    )
    return {
        "passed": passed,
        "has_opening": True,
        "categories": per_category,
        "out_m2": total_out,
        "in_m2": total_in,
        "recomputed_m2": recomputed,
        "recomputed_same_id_m2": Decimal(kept_id),
        "recomputed_on_base_m2": Decimal(on_base),
        "published_out_ha": sum((r[3] or 0 for r in per_category), Decimal(0)),
        "published_in_ha": sum((r[4] or 0 for r in per_category), Decimal(0)),
    }


# The balance's own area removed and new per category, county cells unrounded, in m².
BALANCE_REMOVED_AND_NEW = """
    SELECT category, sum(reductions_removed_unrounded) * 10000, sum(additions_new_unrounded) * 10000
    FROM read_parquet($p) WHERE indicator = 'area' AND has_opening AND region_level = 'county' GROUP BY ALL ORDER BY ALL
"""


def removed_and_new_check(layout: YearLayout, balance_path: Path | None = None) -> dict:
    """Per land, forest, grassland and wetland: the balance's area removed (new) against the area of last (this)
    year's rows without a partner by id whose base parcel is not on this (last) year's state base map, recomputed
    from the valued rows (``recomputed_removed_and_new.sql``), m², to 0.01 m². ``rows``: category, balance removed,
    recomputed removed, balance new, recomputed new."""
    balance_path = balance_path or layout.balance_physical
    previous = previous_layout(layout)
    if previous is None:
        return {"passed": True, "has_opening": False, "rows": []}
    with connect(layout.stages / "duckdb_tmp") as con:
        booked = {c: (r, n) for c, r, n in con.execute(BALANCE_REMOVED_AND_NEW, {"p": str(balance_path)}).fetchall()}
        open_both_years(con, layout, previous, CATEGORIES)
        found = {
            (flow, c): m2 for flow, c, m2 in con.execute(sql.query(__file__, "recomputed_removed_and_new")).fetchall()
        }
    zero, rows = Decimal(0), []
    for category in sorted({c for c in booked if c in ("land", *INVENTORIES)} | {c for _, c in found}):
        removed, new = booked.get(category, (zero, zero))
        rows.append(
            (
                category,
                removed or zero,
                found.get(("removed", category)) or zero,
                new or zero,
                found.get(("new", category)) or zero,
            )
        )
    passed = all(abs(r[1] - r[2]) < Decimal("0.01") and abs(r[3] - r[4]) < Decimal("0.01") for r in rows)
    return {"passed": passed, "has_opening": True, "rows": rows}
