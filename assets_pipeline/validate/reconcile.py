"""Nothing lost (DOMAIN §5): every row a category read is valid, excluded or rejected, once, and so is its area;
recounted from the stage files themselves, not from the counts validation reported."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, parts
from assets_pipeline.schema.categories import SPECS

# the area of a category without an area column: no area, so every area sum is zero
NO_AREA = sql.Literal("CAST(NULL AS DECIMAL(38, 2))")


@dataclass(frozen=True)
class Reconciliation:
    rows_read: int
    distinct_row_ids: int
    rows_valid: int
    rows_excluded: int
    rows_rejected: int
    rows_in_two_places: int
    area_read_m2: Decimal
    area_valid_m2: Decimal
    area_excluded_m2: Decimal
    area_rejected_m2: Decimal

    @property
    def rows_add_up(self) -> bool:
        """read = valid + excluded + rejected, each row read once, none both kept and rejected."""
        return (
            self.rows_read == self.rows_valid + self.rows_excluded + self.rows_rejected
            and self.distinct_row_ids == self.rows_read
            and self.rows_in_two_places == 0
        )

    @property
    def area_adds_up(self) -> bool:
        return self.area_read_m2 == self.area_valid_m2 + self.area_excluded_m2 + self.area_rejected_m2


def reconcile_category(category: str, layout: YearLayout) -> Reconciliation:
    """Recount the category's ingested, validated and rejected rows (and area) of the year."""
    area = SPECS[category].area_column
    query = sql.load(__file__, "reconcile", area=sql.identifier(area) if area else NO_AREA)
    with connect() as con:
        row = con.execute(
            query,
            {
                "ingested": parts(layout.ingested(category)),
                "validated": parts(layout.validated(category)),
                "rejected": parts(layout.rejected_rows(category)),
            },
        ).fetchone()
    n, a, ids, valid, excluded, a_valid, a_excluded, rejected, a_rejected, overlap = row
    return Reconciliation(n, ids, valid, excluded, rejected, overlap, a, a_valid, a_excluded, a_rejected)
