"""Each valuation model on hand-worked parcels (DOMAIN §4); prices are the 2023 rows of the sample tables."""

from decimal import ROUND_HALF_UP, Decimal as D

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from assets_pipeline.categories import SPECS
from assets_pipeline.layout import YearLayout
from assets_pipeline.storage import write_parquet
from assets_pipeline.valuation import value_category
from assets_pipeline.validate import validated_schema
from mini_province import YEAR
from stages import compile_stages, snapshot_reference, valued


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    from mini_province import write_mini_province

    root = tmp_path_factory.mktemp("valuation")
    inputs = write_mini_province(root / "inputs")
    return compile_stages(inputs, root / "out", YEAR, mineral_model="npv", discount_rate=0.05)


def row(frame: pd.DataFrame, **where) -> pd.Series:
    match = frame
    for k, v in where.items():
        match = match[match[k] == v]
    assert len(match) == 1, where
    return match.iloc[0]


def equity(m: int, n: int, r: str = "0.06") -> D:
    """1 − (1 − (1+r)^−m)/(1 − (1+r)^−n), kept to 12 decimals as the model does."""
    rf = float(r)
    value = 1 - (1 - (1 + rf) ** -m) / (1 - (1 + rf) ** -n)
    return D(repr(value)).quantize(D("1e-12"), rounding=ROUND_HALF_UP)


def test_cropland_by_grade_and_date(layout):
    land = valued(layout, "land")
    r = row(land, _source_file="land/140105_小店区.csv", _source_row=2)
    # 3 亩 of 0103 旱地, grade 7: province row 0103 grade 7 = 38,522.00 元/亩; agricultural date factor 1.0050
    assert r.price_key == "zone= region=140000 class=0103 grade=7" and r.price_level == "province"
    assert r.value_yuan == D("2000.00") * D("0.0015") * D("38522.00") * D("1.0050")  # 116,143.83


def test_construction_land_plot_ratio_and_owner_equity(layout):
    land = valued(layout, "land")
    r = row(land, _source_file="land/140105_小店区.csv", _source_row=4)
    # 0.9 亩 = 600.00 m² urban residential (0701 → 07), county 140105 base price 2,152.70 元/m², date 1.0080,
    # plot ratio 2.2 between the residential points 2.0 → 1.00 and 2.5 → 1.08: 1.00 + 0.08 × 0.4 = 1.032,
    # granted 70 years, 20 used: m = 50, n = 70 (residential), r = 6%.
    assert r.price_level == "county" and r.unit_price == D("2152.70")
    assert r.factor_plot_ratio == D("1.032")
    assert r.factor_equity == equity(50, 70) == D("0.038004306869")
    expected = D("600.00") * D("2152.70") * D("1.0080") * D("1.032") * equity(50, 70)
    assert r.value_yuan == expected.quantize(D("1e-10"))


def test_price_falls_back_to_the_city(layout):
    land = valued(layout, "land")
    r = row(land, _source_file="land/140106_迎泽区.parquet", _source_row=1)
    assert r.price_level == "city" and r.price_region == "140100"  # no county row for 1003 in 140106


def test_forest_classes_of_the_base_map_are_valued_in_their_own_category(layout):
    land = valued(layout, "land")
    r = row(land, _source_file="land/140105_小店区.csv", _source_row=10)
    assert r.status == "excluded" and "forest" in r.status_reason and pd.isna(r.value_yuan)


def test_forest_land_and_trees_follow_their_own_ownership(layout):
    forest = valued(layout, "forest")
    # F0001: state land and trees — land 30 亩 × 2,448.00; trees stock 150.5 m³ × 663.00 元/m³ (pine, natural, mature)
    assert row(forest, _row_id=0, component="land").value_yuan == D("20000.00") * D("0.0015") * D("2448.00")
    assert row(forest, _row_id=0, component="trees").value_yuan == D("150.5") * D("663.00")
    # F0002: state trees on collective land — trees only: 15 亩 × 1,392.30 元/亩 (pine, planted, middle-aged)
    assert row(forest, _row_id=1, component="trees").value_yuan == D("10000.00") * D("0.0015") * D("1392.30")
    assert forest[(forest._row_id == 1) & (forest.component == "land")].empty
    # F0003: collective land and trees — excluded at validation, absent here
    assert forest[forest._row_id == 2].empty


def test_water_overlap_is_deducted(layout):
    water = valued(layout, "water").set_index("item_code")
    # county 140105 uses the city 140100 prices: surface 1.00, groundwater 2.20 元/m³
    assert water.loc["surface", "value_yuan"] == D("1200000.00")
    assert water.loc["groundwater", "value_yuan"] == D("1760000.00")
    assert water.loc["overlap", "value_yuan"] == D("-300000.00") and water.loc["overlap", "volume_m3"] == D("-300000.00")
    assert water["value_yuan"].sum() == D("2660000.00")


def test_minerals_npv_oracle_and_benchmark_fallback(layout):
    minerals = valued(layout, "minerals")
    producing = row(minerals, resource_class="proved_reserve")
    # quantity 100, extraction 10, unit rent 5, r 5% → 386.0867 (DOMAIN §4)
    assert producing.method == "npv"
    assert producing.value_yuan.quantize(D("0.0001")) == D("386.0867")
    inferred = row(minerals, resource_class="inferred")
    # no extraction: benchmark = 50 万吨 × 0.40 × 126,000 元/万吨
    assert inferred.method == "benchmark" and inferred.value_yuan == D("50") * D("0.40") * D("126000.00")


def test_a_delivered_subject_overrides_the_rule_table(layout, tmp_path):
    from assets_pipeline.ledger import build_ledgers

    minerals = valued(layout, "minerals")
    # minerals are provincial by the rule table; line 3 names 中央直接行使 (DOMAIN §5: an input column may override)
    assert row(minerals, resource_class="proved_reserve")[["subject", "subject_source"]].tolist() == ["provincial", "rule"]
    assert row(minerals, resource_class="inferred")[["subject", "subject_source"]].tolist() == ["central", "input"]
    build_ledgers(layout, tmp_path / "physical.parquet", tmp_path / "value.parquet", categories=["minerals"])
    ledger = pd.read_parquet(tmp_path / "value.parquet")
    coal = ledger[(ledger.category == "minerals") & (ledger.region_code == "140105")]
    assert set(zip(coal.item_code, coal.subject)) == {("coal|proved_reserve", "provincial"), ("coal|inferred", "central")}


def _minerals_inventory(tmp_path, rows):
    layout = YearLayout(tmp_path, YEAR)
    snapshot_reference(layout)
    frame = pd.DataFrame(rows)
    for c in SPECS["minerals"].column_names:
        if c not in frame:
            frame[c] = None
    frame["_row_id"] = range(len(frame))
    frame["_source_file"] = "minerals.csv"
    frame["_source_row"] = frame["_row_id"] + 2
    frame["exclusion_reason"] = None
    write_parquet(pa.Table.from_pandas(frame, schema=validated_schema(SPECS["minerals"]), preserve_index=False),
                  layout.validated("minerals") / "part-00000.parquet")
    return layout


def test_minerals_npv_second_oracle_and_benchmark_model(tmp_path):
    layout = _minerals_inventory(tmp_path, [
        {"deposit_id": "X1", "region_code": "140105", "mineral_code": "coal", "resource_class": "proved_reserve",
         "quantity": 1000.0, "unit": "万吨", "mining_right": "mining", "annual_extraction": 10.0, "unit_rent": 10.0},
    ])
    value_category("minerals", layout, layout.valued("minerals"), mineral_model="npv", discount_rate=0.04)
    # R = 10 × 10 = 100, N = min(1000 / 10, 100) = 100, r = 4% → 2450.4999 (DOMAIN §4)
    assert valued(layout, "minerals").value_yuan[0].quantize(D("0.0001")) == D("2450.4999")
    value_category("minerals", layout, layout.valued("minerals"), mineral_model="benchmark")
    r = valued(layout, "minerals").iloc[0]
    assert r.method == "benchmark" and r.value_yuan == D("1000") * D("1.00") * D("126000.00")


def test_unpriced_rows_are_listed_never_zero(tmp_path):
    layout = _minerals_inventory(tmp_path, [
        {"deposit_id": "X2", "region_code": "140105", "mineral_code": "coal", "resource_class": "proved_reserve",
         "quantity": 10.0, "unit": "万吨", "mining_right": "none"},
    ])
    prices = layout.reference("mineral_benchmark_prices")
    table = pq.read_table(prices)
    write_parquet(table.filter(pc.not_equal(table["mineral_code"], "coal")), prices)
    result = value_category("minerals", layout, layout.valued("minerals"))
    r = valued(layout, "minerals").iloc[0]
    assert r.status == "unpriced" and pd.isna(r.value_yuan) and "coal" in r.status_reason
    assert result.unpriced_share == 1.0
