"""The consistency step's findings summed up for a reader: per category and finding type the parcels and their
area (亩, 公顷), and the counties with the most findings."""

from __future__ import annotations

from decimal import Decimal

from assets_pipeline.consistency.findings import FINDINGS
from assets_pipeline.consistency.resolve import ConsistencyResult
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout

MU_PER_M2 = Decimal("0.0015")  # 1 亩 = 666.67 m²
HA_PER_M2 = Decimal("0.0001")


def findings_by_type(result: ConsistencyResult) -> list[tuple]:
    """(category, finding, 不一致类型, parcels, area in 亩, area in 公顷) of every finding type that occurred."""
    return [
        (
            category,
            code,
            FINDINGS[code][0],
            n,
            f"{result.area_m2[category][code] * MU_PER_M2:,.2f}",
            f"{result.area_m2[category][code] * HA_PER_M2:,.4f}",
        )
        for category, counts in result.findings.items()
        for code, n in counts.items()
    ]


def counties_most_findings(layout: YearLayout, limit: int = 20) -> list[tuple[str, int, Decimal]]:
    """(county, findings, area in 亩) of the counties with the most findings, from inconsistencies.parquet."""
    with connect() as con:
        return con.execute(
            "SELECT region_code, count(*), CAST(sum(area_m2) * 0.0015 AS DECIMAL(38, 2)) FROM read_parquet($p) "
            "GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT $limit",
            {"p": str(layout.inconsistencies), "limit": limit},
        ).fetchall()
