"""What a category's valuation left unpriced or negative, and where its prices came from: the figures its
checks judge (DOMAIN §4)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout


@dataclass(frozen=True)
class ValuedRowsSummary:
    """Rows of a valued file by price level and status; negative values (other than the water overlap
    deduction, negative by design); the most frequent reasons rows went unpriced."""

    by_price_level: list[tuple[str, str, int]]
    negative_rows: int
    unpriced_reasons: list[tuple[str, int]]


def summarize_valued_rows(path: Path) -> ValuedRowsSummary:
    with connect() as con:
        con.register("v", con.read_parquet(str(path)))
        by_level = con.execute(
            "SELECT coalesce(price_level, '-'), status, count(*) FROM v GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        negative = con.execute(
            "SELECT count(*) FROM v WHERE value_yuan < 0 AND NOT (category = 'water' AND item_code = 'overlap')"
        ).fetchone()[0]
        reasons = con.execute(
            "SELECT status_reason, count(*) FROM v WHERE status = 'unpriced' GROUP BY ALL ORDER BY 2 DESC LIMIT 10"
        ).fetchall()
    return ValuedRowsSummary(by_level, negative, reasons)


def worst_unpriced_counties(layout: YearLayout, category: str, limit: int = 5) -> list[dict]:
    """The counties with the largest unpriced share of their in-scope rows (the check's figure, per county)."""
    with connect() as con:
        rows = con.execute(
            sql.load(__file__, "worst_unpriced_counties"),
            {
                "valued": str(layout.valued(category)),
                "regions": str(layout.reference("admin_divisions")),
                "limit": limit,
            },
        ).fetchall()
    return [
        {"county": code, "name": name, "unpriced": n, "rows": total, "share": round(n / total, 6)}
        for code, name, n, total in rows
    ]
