"""Ledgers: half-up rounding of county cells, totals that add up as printed, county → city → province (DOMAIN §5)."""

from decimal import Decimal as D

import pandas as pd
import pyarrow as pa

from assets_pipeline.layout import YearLayout
from assets_pipeline.ledger import build_ledgers
from assets_pipeline.storage import write_parquet
from stages import snapshot_reference


def _valued_land(layout: YearLayout, cells: list[tuple[str, str, str]]) -> None:
    """(county, value in 元, area in m²) rows of state cropland (item 01)."""
    n = len(cells)
    table = pa.table({
        "_row_id": pa.array(range(n), pa.int64()),
        "_source_file": ["land.csv"] * n,
        "_source_row": pa.array(range(2, n + 2), pa.int64()),
        "category": ["land"] * n,
        "region_code": [c for c, _, _ in cells],
        "item_code": ["01"] * n,
        "component": ["land"] * n,
        "status": ["valued"] * n,
        "status_reason": pa.nulls(n, pa.string()),
        "area_m2": pa.array([D(a) for _, _, a in cells], pa.decimal128(18, 2)),
        "value_yuan": pa.array([D(v) for _, v, _ in cells], pa.decimal128(38, 10)),
        "subject": ["municipal"] * n,
    })
    write_parquet(table, layout.valued("land"))


def test_published_totals_are_sums_of_published_cells(tmp_path):
    layout = YearLayout(tmp_path, 2023)
    snapshot_reference(layout)
    # three Taiyuan counties at 50 元 = 0.005 万元 each: each publishes 0.01 (half-up); the naive city
    # figure round(0.015) would be 0.02 — the published city cell is 0.03, the sum of what is printed.
    # One Datong county at 40 元 = 0.004 万元 publishes 0.00.
    _valued_land(layout, [("140105", "50", "100.00"), ("140106", "30", "50.00"), ("140106", "20", "50.00"),
                          ("140107", "50", "33.33"), ("140213", "40", "10.00")])
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=["land"])
    value = pd.read_parquet(layout.ledger_value).set_index("region_code")
    published = value["value_wan_yuan"].to_dict()
    assert published == {"140105": D("0.01"), "140106": D("0.01"), "140107": D("0.01"), "140213": D("0.00"),
                         "140100": D("0.03"), "140200": D("0.00"), "140000": D("0.03")}
    assert value.loc["140000", "value_wan_yuan_unrounded"] == D("0.019")
    assert value.loc["140100", "region_level"] == "city" and value.loc["140100", "region_name"] == "太原市"
    assert value.loc["140105", "parent_code"] == "140100" and value.loc["140100", "parent_code"] == "140000"

    physical = pd.read_parquet(layout.ledger_physical)
    area = physical[physical.indicator == "area"].set_index("region_code")["quantity"].to_dict()
    # 100.00 m² = 0.01 公顷; 33.33 m² = 0.003333 公顷 → 0.00; Taiyuan = 0.01 + 0.01 + 0.00
    assert area["140105"] == D("0.01") and area["140107"] == D("0.00") and area["140100"] == D("0.02")
    mu = physical[physical.indicator == "area_mu"].set_index("region_code")["quantity"].to_dict()
    assert mu["140107"] == D("0.05") and physical[physical.indicator == "area_mu"].unit.iloc[0] == "亩"
