"""Ledgers: half-up rounding of county cells, totals that add up as printed, county → city → province (DOMAIN §5)."""

from decimal import Decimal as D

import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet  # noqa: F401  (pa.parquet)

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_parquet
from assets_pipeline.ledgers.ledger import build_ledgers
from stages import snapshot_reference


def _valued_land(layout: YearLayout, cells: list[tuple[str, str, str]]) -> None:
    """(county, value in 元, area in m²) rows of state cropland (item 01)."""
    n = len(cells)
    table = pa.table(
        {
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
        }
    )
    write_parquet(table, layout.valued("land"))


def test_published_totals_are_sums_of_published_cells(tmp_path):
    layout = YearLayout(tmp_path, 2023)
    snapshot_reference(layout)
    # three Taiyuan counties at 50 元 = 0.005 万元 each: each publishes 0.01 (half-up); the naive city
    # figure round(0.015) would be 0.02 — the published city cell is 0.03, the sum of what is printed.
    # One Datong county at 40 元 = 0.004 万元 publishes 0.00.
    _valued_land(
        layout,
        [
            ("140105", "50", "100.00"),
            ("140106", "30", "50.00"),
            ("140106", "20", "50.00"),
            ("140107", "50", "33.33"),
            ("140213", "40", "10.00"),
        ],
    )
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=["land"])
    value = pd.read_parquet(layout.ledger_value).set_index("region_code")
    published = value["value_wan_yuan"].to_dict()
    assert published == {
        "140105": D("0.01"),
        "140106": D("0.01"),
        "140107": D("0.01"),
        "140213": D("0.00"),
        "140100": D("0.03"),
        "140200": D("0.00"),
        "140000": D("0.03"),
    }
    assert value.loc["140000", "value_wan_yuan_unrounded"] == D("0.019")
    assert value.loc["140100", "region_level"] == "city" and value.loc["140100", "region_name"] == "太原市"
    assert value.loc["140105", "parent_code"] == "140100" and value.loc["140100", "parent_code"] == "140000"

    physical = pd.read_parquet(layout.ledger_physical)
    area = physical[physical.indicator == "area"].set_index("region_code")["quantity"].to_dict()
    # 100.00 m² = 0.01 公顷; 33.33 m² = 0.003333 公顷 → 0.00; Taiyuan = 0.01 + 0.01 + 0.00
    assert area["140105"] == D("0.01") and area["140107"] == D("0.00") and area["140100"] == D("0.02")
    mu = physical[physical.indicator == "area_mu"].set_index("region_code")["quantity"].to_dict()
    assert mu["140107"] == D("0.05") and physical[physical.indicator == "area_mu"].unit.iloc[0] == "亩"


def _valued_land_classes(layout: YearLayout, rows: list[tuple[str, str, str, str]]) -> None:
    """(county, land class, value in 元, area in m²) rows of state land, itemised by the class's level-1 code."""
    n = len(rows)
    write_parquet(
        pa.table(
            {
                "_row_id": pa.array(range(n), pa.int64()),
                "_source_file": ["land.csv"] * n,
                "_source_row": pa.array(range(2, n + 2), pa.int64()),
                "category": ["land"] * n,
                "region_code": [r[0] for r in rows],
                "land_class": [r[1] for r in rows],
                "item_code": [r[1][:2] for r in rows],
                "component": ["land"] * n,
                "status": ["valued"] * n,
                "status_reason": pa.nulls(n, pa.string()),
                "area_m2": pa.array([D(r[3]) for r in rows], pa.decimal128(18, 2)),
                "value_yuan": pa.array([D(r[2]) for r in rows], pa.decimal128(38, 10)),
                "subject": ["municipal"] * n,
            }
        ),
        layout.valued("land"),
    )


def test_land_groups_break_down_each_item_and_add_up_as_printed(tmp_path):
    from assets_pipeline.ledgers.breakdowns import breakdown_mismatches, build_breakdowns

    layout = YearLayout(tmp_path, 2023)
    snapshot_reference(layout)
    # 140105, item 10 交通运输用地: 1006 农村道路 (agricultural) 40 元 = 0.004 万元, 1003 公路用地 (construction) 20 元
    # = 0.002; the cell is 0.006 → 0.01. Rounded alone each part would print 0.00: the cell's cent goes to the larger
    # remainder, agricultural. 140106, item 12 其他土地: 1202 (agricultural), 1201 (construction), 1204 (unused) at
    # 70 元 = 0.007 each; the cell 0.021 → 0.02: equal remainders, the two cents go to the first two groups by code.
    _valued_land_classes(
        layout,
        [
            ("140105", "1006", "40", "100.00"),
            ("140105", "1003", "20", "300.00"),
            ("140106", "1202", "70", "50.00"),
            ("140106", "1201", "70", "50.00"),
            ("140106", "1204", "70", "50.00"),
        ],
    )
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=["land"])
    build_breakdowns(layout, layout.breakdown_physical, layout.breakdown_value, categories=["land"])
    value = pd.read_parquet(layout.breakdown_value)
    parts = {
        (r.region_code, r.item_code, r.member): (r.value_wan_yuan, r.value_wan_yuan_unrounded)
        for r in value[value.breakdown == "land_group"].itertuples()
    }
    assert parts == {
        ("140105", "10", "agricultural"): (D("0.01"), D("0.004")),
        ("140105", "10", "construction"): (D("0.00"), D("0.002")),
        ("140106", "12", "agricultural"): (D("0.01"), D("0.007")),
        ("140106", "12", "construction"): (D("0.01"), D("0.007")),
        ("140106", "12", "unused"): (D("0.00"), D("0.007")),
        ("140100", "10", "agricultural"): (D("0.01"), D("0.004")),
        ("140100", "10", "construction"): (D("0.00"), D("0.002")),
        ("140100", "12", "agricultural"): (D("0.01"), D("0.007")),
        ("140100", "12", "construction"): (D("0.01"), D("0.007")),
        ("140100", "12", "unused"): (D("0.00"), D("0.007")),
        ("140000", "10", "agricultural"): (D("0.01"), D("0.004")),
        ("140000", "10", "construction"): (D("0.00"), D("0.002")),
        ("140000", "12", "agricultural"): (D("0.01"), D("0.007")),
        ("140000", "12", "construction"): (D("0.01"), D("0.007")),
        ("140000", "12", "unused"): (D("0.00"), D("0.007")),
    }
    # the groups' subtotals over the land items: Taiyuan's land ledger prints 0.01 + 0.02 = 0.03 = 0.02 + 0.01 + 0.00
    totals = value[(value.breakdown == "land_group_total") & (value.region_code == "140100")]
    assert totals.item_code.isna().all()
    assert dict(zip(totals.member, totals.value_wan_yuan, strict=False)) == {
        "agricultural": D("0.02"),
        "construction": D("0.01"),
        "unused": D("0.00"),
    }
    assert dict(zip(totals.member, totals.member_name, strict=False)) == {
        "agricultural": "农用地",
        "construction": "建设用地",
        "unused": "未利用地",
    }
    ledger = pd.read_parquet(layout.ledger_value)
    assert ledger[ledger.region_code == "140100"].value_wan_yuan.sum() == D("0.03")
    # area: 140105 item 10 is 400 m² = 0.04 公顷, its parts 0.01 and 0.03 exactly
    physical = pd.read_parquet(layout.breakdown_physical)
    area = physical[(physical.indicator == "area") & (physical.region_code == "140105")]
    assert dict(zip(area.member, area.quantity, strict=False)) == {"agricultural": D("0.01"), "construction": D("0.03")}
    assert breakdown_mismatches(layout, layout.breakdown_physical, layout.breakdown_value) == ([], 2 * 2 * 3 + 2 * 3)


def test_breakdown_check_fails_when_a_part_is_lost(tmp_path):
    from assets_pipeline.ledgers.breakdowns import breakdown_mismatches, build_breakdowns

    layout = YearLayout(tmp_path, 2023)
    snapshot_reference(layout)
    _valued_land_classes(layout, [("140105", "1006", "40", "100.00"), ("140105", "1003", "20", "300.00")])
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=["land"])
    build_breakdowns(layout, layout.breakdown_physical, layout.breakdown_value, categories=["land"])
    value = pa.parquet.read_table(layout.breakdown_value)
    # the construction part of item 10 goes missing (its group's subtotal stays)
    kept = value.filter(
        pa.compute.or_(
            pa.compute.not_equal(value["member"], "construction"),
            pa.compute.equal(value["breakdown"], "land_group_total"),
        )
    )
    write_parquet(kept, layout.breakdown_value)
    mismatches, _ = breakdown_mismatches(layout, layout.breakdown_physical, layout.breakdown_value)
    # item 10 in the county, city and province (its cell 0.01 = the agricultural part: published agrees, unrounded
    # 0.006 ≠ 0.004), and the construction subtotals, which no part makes any more
    assert {(m[1], m[3]) for m in mismatches} == {
        ("140105", "10"),
        ("140100", "10"),
        ("140000", "10"),
        ("140105", "subtotal construction"),
        ("140100", "subtotal construction"),
        ("140000", "subtotal construction"),
    }
    assert (
        "value",
        "140105",
        "land",
        "10",
        "municipal",
        "land",
        "land_group",
        D("0.01"),
        D("0.01"),
        D("0.006"),
        D("0.004"),
    ) in mismatches
