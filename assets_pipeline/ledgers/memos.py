"""Protected-area memos: the "of which" columns of the ledgers (其中：生态保护红线 / 永久基本农田 / 自然保护地 /
自然保护地核心区 / 城镇开发边界).

The base map may give, per parcel, the area inside the ecological red line (``redline_area_m2``), permanent basic
farmland (``basic_farmland_area_m2``), protected areas (``protected_area_m2``), their core zones
(``protected_core_area_m2``) and the urban development boundary (``urban_boundary_area_m2``); where the zone's
layer was delivered, the overlay's adjusted area (平差, DOMAIN §6) stands in for the delivered figure
(consistency/overlay_inputs.py). Each valued row carries its parcel's share inside each zone (the memo area over the parcel area, at most 1, kept to 10 decimals; inventory
rows take their base parcel's, DOMAIN §2). The "of which" figure of a ledger cell is the ledger computed over the
rows' quantities and values × share — summed in the same single pass over the valued rows as the ledger's own
county sums — with the same publication rule (county cells rounded half-up, cities and the province sums of
published cells, DOMAIN §5), so it never exceeds its cell by more than rounding. Water and minerals have no memo
(empty).

Columns added: physical ``quantity_<memo>`` and ``quantity_<memo>_unrounded``; value ``value_<memo>_wan_yuan`` and
``value_<memo>_wan_yuan_unrounded``, for memo in redline, farmland, protected, core, urban.
"""

from __future__ import annotations

MEMOS = ("redline", "farmland", "protected", "core", "urban")
MEMO_CATEGORIES = ("land", "forest", "grassland", "wetland")
SHARES = tuple(f"{memo}_share" for memo in MEMOS)
# the measures scaled by a share, and the type of their county sums (quantity × DECIMAL(18,10) share, exact)
SCALED = {
    "area_m2": "DECIMAL(38, 12)",
    "stock_m3": "DECIMAL(38, 14)",
    "bamboo_stems": "DECIMAL(38, 10)",
    "hay_t": "DECIMAL(38, 22)",
    "value_yuan": "DECIMAL(38, 22)",
}


def memo_sums() -> str:
    """Select-list items of the county sums: per memo and measure, the sum of the rows' measure × share.

    A share is DECIMAL(18,10): the product needs no rounding per row (rounding is what makes decimals slow)."""
    items = []
    for memo in MEMOS:
        share = f"CASE WHEN category IN {MEMO_CATEGORIES} THEN CAST(coalesce({memo}_share, 0) AS DECIMAL(18, 10)) END"
        for measure, kind in SCALED.items():
            operand = "CAST(bamboo_stems AS DECIMAL(18, 0))" if measure == "bamboo_stems" else measure
            only_valued = " FILTER (WHERE status = 'valued')" if measure == "value_yuan" else ""
            items.append(f"CAST(sum({operand} * {share}){only_valued} AS {kind}) AS {memo}__{measure}")
    return ",\n           ".join(items)


def memo_view(memo: str) -> str:
    """The county sums as if every row were only its part inside the memo's zone."""
    renamed = ", ".join(f"{memo}__{m} AS {m}" for m in SCALED)
    return (
        f"SELECT category, region_code, item_code, ledger_item, subject, component, {renamed}, "
        "NULL::DECIMAL(38, 2) AS volume_m3, NULL::DECIMAL(38, 6) AS quantity, rows_valued FROM county_sums"
    )


def memo_columns(kind: str) -> tuple[str, str]:
    """The ledger's select list of memo columns and the joins that bring them (tables ``<kind>_<memo>``)."""
    keys = {
        "physical": ("region_code", "category", "item_code", "subject", "indicator", "unit"),
        "value": ("region_code", "category", "item_code", "subject", "component"),
    }[kind]
    published, exact = (
        ("quantity", "quantity_unrounded") if kind == "physical" else ("value_wan_yuan", "value_wan_yuan_unrounded")
    )
    name = (lambda m: f"quantity_{m}") if kind == "physical" else (lambda m: f"value_{m}_wan_yuan")
    select = ", ".join(f"m_{m}.{published} AS {name(m)}, m_{m}.{exact} AS {name(m)}_unrounded" for m in MEMOS)
    joins = " ".join(
        f"LEFT JOIN {kind}_{m} m_{m} ON " + " AND ".join(f"m_{m}.{k} IS NOT DISTINCT FROM l.{k}" for k in keys)
        for m in MEMOS
    )
    return select, joins
