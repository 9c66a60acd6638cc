"""The area identity the report's cover checks (DOMAIN §2, §5): the land survey's area as read, accounted for."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files

IDENTITY_TERMS = (
    "identity_base",
    "ledger_land",
    "ledger_forest",
    "ledger_grassland",
    "ledger_wetland",
    "identity_collective",
    "identity_rejected",
    "identity_rejected_consistency",
    "identity_withheld",
    "identity_adjusted",
)


def area_identity(layout: YearLayout, policy: str = "base-map-wins") -> dict[str, Decimal]:
    """The terms of the area identity in m² (DOMAIN §2, §5): the land survey's area as read equals the area
    over the land, forest, grassland and wetland ledgers, plus collective land (excluded), plus the base parcels
    rejected (by validation and by the consistency policy), plus the base area withheld by rejected inventory
    rows, less the inventory-wins adjustments.

    The base map, collective and rejected areas are summed from the stage files themselves (ingested,
    validated and rejected land rows); the ledgers' from ``ledger_physical.parquet`` (unrounded 公顷 × 10,000);
    the withheld and adjusted areas are the consistency step's. Empty when the stages are not there."""
    ingested = part_files(layout.ingested("land"))
    if not ingested or not layout.ledger_physical.exists():
        return {}
    from assets_pipeline.consistency.base_map_checks import county_areas

    def total(files: list[Path], where: str = "true") -> Decimal:
        if not files:
            return Decimal("0.00")
        value = con.execute(
            f"SELECT sum(CAST(area_m2 AS DECIMAL(38, 2))) FROM read_parquet($f) WHERE {where}",
            {"f": [str(f) for f in files]},
        ).fetchone()[0]
        return Decimal("0.00") if value is None else Decimal(value).quantize(Decimal("0.01"))

    with connect() as con:
        terms = {"identity_base": total(ingested)}
        ledgers = dict(
            con.execute(
                "SELECT category, CAST(sum(quantity_unrounded) * 10000 AS DECIMAL(38, 2)) FROM read_parquet($p) "
                "WHERE region_level = 'province' AND indicator = 'area' GROUP BY ALL",
                {"p": str(layout.ledger_physical)},
            ).fetchall()
        )
        for category in ("land", "forest", "grassland", "wetland"):
            terms[f"ledger_{category}"] = Decimal(ledgers.get(category) or 0).quantize(Decimal("0.01"))
        terms["identity_collective"] = total(part_files(layout.validated("land")), "exclusion_reason IS NOT NULL")
        terms["identity_rejected"] = total(part_files(layout.rejected_rows("land")))
        terms["identity_rejected_consistency"] = total(part_files(layout.consistency_rejected_rows("land")))
    try:
        by_county = county_areas(layout, policy)
    except duckdb.Error:  # no consistency step was run (a partial run): nothing withheld or adjusted
        by_county = []
    terms["identity_withheld"] = sum((Decimal(c.withheld_m2 or 0) for c in by_county), Decimal("0.00"))
    terms["identity_adjusted"] = sum((Decimal(c.adjusted_m2 or 0) for c in by_county), Decimal("0.00"))
    return terms


def identity_closes(terms: dict[str, Decimal]) -> tuple[Decimal, Decimal]:
    """(sum of the right-hand terms, difference from the base map read); the identity closes when the
    difference rounds to 0.00 m² (the ledger areas are unrounded 公顷, so a cent of m² of float noise is allowed)."""
    right = sum((v for k, v in terms.items() if k not in ("identity_base", "identity_adjusted")), Decimal("0.00"))
    right -= terms.get("identity_adjusted", Decimal("0.00"))
    return right, terms.get("identity_base", Decimal("0.00")) - right
