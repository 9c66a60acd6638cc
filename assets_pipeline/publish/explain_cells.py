"""What ``nrledger explain`` is asked and what it answers: a cell's address, the explanation with its two checks,
and the columns each valued row is shown with (DOMAIN §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

TOP = 20
CENT = Decimal("0.01")
# the columns of a contributing row, in the order an auditor reads them, where its category's file has them
ROW_COLUMNS = (
    "_source_file",
    "_source_row",
    "parcel_id",
    "base_parcel_id",
    "base_link",  # where the base parcel came from: the delivery or the overlay (DOMAIN §6)
    "deposit_id",
    "basin",
    "region_code",
    "item_code",
    "land_class",
    "resource_class",
    "subject",
    "subject_source",
    "component",
    "status",
    "area_m2",
    "stock_m3",
    "bamboo_stems",
    "hay_t",
    "volume_m3",
    "quantity",
    "quantity_unit",
    "annual_extraction",
    "priced_on",
    "price_table",
    "price_key",
    "price_level",
    "price_region",
    "price_year",
    "unit_price",
    "price_unit",
)
TRAILING_COLUMNS = ("method", "model", "model_version", "value_yuan")
HEADERS = {"_source_file": "source_file", "_source_row": "source_row"}


class ExplainError(Exception):
    """A cell that cannot be explained as asked (unknown region, item, category; outputs missing)."""


@dataclass(frozen=True)
class CellQuery:
    year: int
    category: str
    region: str
    item: str
    subject: str | None = None
    component: str | None = None
    indicator: str | None = None  # a physical indicator: the physical ledger is explained instead of the value one
    mineral_model: str | None = None  # benchmark | npv: the model the minerals must have been valued with

    @property
    def physical(self) -> bool:
        return self.indicator is not None


@dataclass
class Explanation:
    query: CellQuery
    region_name: str
    region_level: str
    unit: str
    cells: list[dict]  # the ledger cells matched (one per subject × component / indicator)
    published: Decimal  # the cell as printed (sum of the matched cells)
    unrounded: Decimal
    rows: int
    rows_unpriced: int  # physical ledgers count the quantity of unpriced rows too
    rows_sum: Decimal  # the rows' exact contributions, summed
    county_cells: int
    county_published_sum: Decimal  # the sum of the published county cells under the region
    county_rounding_ok: bool  # every county cell = its unrounded figure rounded half-up
    top: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    workbook: Path | None = None

    @property
    def sum_ok(self) -> bool:
        return self.rows_sum == self.unrounded

    @property
    def published_ok(self) -> bool:
        return self.county_rounding_ok and self.county_published_sum == self.published

    @property
    def ok(self) -> bool:
        return self.sum_ok and self.published_ok


def half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
