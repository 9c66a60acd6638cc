"""Each valuation model on hand-worked parcels (DOMAIN §4); prices are the 2023 rows of the sample tables."""

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_parquet
from assets_pipeline.schema.categories import SPECS
from assets_pipeline.validate.rows import validated_schema
from assets_pipeline.valuation.models import value_category
from mini_province import YEAR
from stages import compile_stages, snapshot_reference, valued


@pytest.fixture(scope="module")
def layout(tmp_path_factory, mini_province_shared):
    root = tmp_path_factory.mktemp("valuation")
    return compile_stages(mini_province_shared, root / "out", YEAR, mineral_model="npv", discount_rate=0.05)


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
    assert water.loc["overlap", "value_yuan"] == D("-300000.00") and water.loc["overlap", "volume_m3"] == D(
        "-300000.00"
    )
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
    from assets_pipeline.ledgers.ledger import build_ledgers

    minerals = valued(layout, "minerals")
    # minerals are provincial by the rule table; line 3 names 中央直接行使 (DOMAIN §5: an input column may override)
    assert row(minerals, resource_class="proved_reserve")[["subject", "subject_source"]].tolist() == [
        "provincial",
        "rule",
    ]
    assert row(minerals, resource_class="inferred")[["subject", "subject_source"]].tolist() == ["central", "input"]
    build_ledgers(layout, tmp_path / "physical.parquet", tmp_path / "value.parquet", categories=["minerals"])
    ledger = pd.read_parquet(tmp_path / "value.parquet")
    coal = ledger[(ledger.category == "minerals") & (ledger.region_code == "140105")]
    assert set(zip(coal.item_code, coal.subject, strict=False)) == {
        ("coal|proved_reserve", "provincial"),
        ("coal|inferred", "central"),
    }


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
    write_parquet(
        pa.Table.from_pandas(frame, schema=validated_schema(SPECS["minerals"]), preserve_index=False),
        layout.validated("minerals") / "part-00000.parquet",
    )
    return layout


def test_minerals_npv_second_oracle_and_benchmark_model(tmp_path):
    layout = _minerals_inventory(
        tmp_path,
        [
            {
                "deposit_id": "X1",
                "region_code": "140105",
                "mineral_code": "coal",
                "resource_class": "proved_reserve",
                "quantity": 1000.0,
                "unit": "万吨",
                "mining_right": "mining",
                "annual_extraction": 10.0,
                "unit_rent": 10.0,
            }
        ],
    )
    value_category("minerals", layout, layout.valued("minerals"), mineral_model="npv", discount_rate=0.04)
    # R = 10 × 10 = 100, N = min(1000 / 10, 100) = 100, r = 4% → 2450.4999 (DOMAIN §4)
    assert valued(layout, "minerals").value_yuan[0].quantize(D("0.0001")) == D("2450.4999")
    value_category("minerals", layout, layout.valued("minerals"), mineral_model="benchmark")
    r = valued(layout, "minerals").iloc[0]
    assert r.method == "benchmark" and r.value_yuan == D("1000") * D("1.00") * D("126000.00")


def test_unpriced_rows_are_listed_never_zero(tmp_path):
    layout = _minerals_inventory(
        tmp_path,
        [
            {
                "deposit_id": "X2",
                "region_code": "140105",
                "mineral_code": "coal",
                "resource_class": "proved_reserve",
                "quantity": 10.0,
                "unit": "万吨",
                "mining_right": "none",
            }
        ],
    )
    prices = layout.reference("mineral_benchmark_prices")
    table = pq.read_table(prices)
    write_parquet(table.filter(pc.not_equal(table["mineral_code"], "coal")), prices)
    result = value_category("minerals", layout, layout.valued("minerals"))
    r = valued(layout, "minerals").iloc[0]
    assert r.status == "unpriced" and pd.isna(r.value_yuan) and "coal" in r.status_reason
    assert result.unpriced_share == 1.0


# --- price keys: a blank key falls back along the documented chain, an unknown one never does ---------------------

HOSTILE_ZONE = "+cmd|' /C calc'!A0"


LAND_HEADER = "parcel_id,region_code,land_class,area_m2,ownership,price_zone,cropland_grade"


def _land_delivery(tmp_path, lines: list[str], header: str = LAND_HEADER):
    """A land delivery of county 140106 through the real ingest and validation, its reference snapshots written."""
    from assets_pipeline.ingest.canonical import ingest_category
    from assets_pipeline.reference.tables import load_reference
    from assets_pipeline.validate.codes import CodeLists
    from assets_pipeline.validate.rows import validate_category

    inputs = tmp_path / "inputs"
    (inputs / str(YEAR) / "land").mkdir(parents=True)
    (inputs / str(YEAR) / "land" / "140106_迎泽区.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    layout = YearLayout(tmp_path / "out", YEAR)
    snapshot_reference(layout)
    ingest_category("land", inputs, YEAR, layout.ingested("land"))
    validate_category("land", layout, CodeLists.from_reference(load_reference()))
    return layout


def _drop_reference_rows(layout, table: str, column: str, value: str) -> None:
    path = layout.reference(table)
    rows = pq.read_table(path)
    write_parquet(rows.filter(pc.invert(pc.fill_null(pc.equal(rows[column], value), False))), path)


def test_an_unknown_price_zone_is_unpriced_never_the_county_price(tmp_path):
    layout = _land_delivery(
        tmp_path,
        [
            f'P1,140106,0701,100,10,"{HOSTILE_ZONE}",',  # line 2: a zone the table does not know
            "P2,140106,0701,100,10,140106-Z03,",  # line 3: zone Z03 of 140106, 0701: 1,751.00 元/m²
            "P3,140106,0701,100,10,,",  # line 4: no zone: county 140106, class 07: 2,250.55 元/m²
            "P4,140106,0701,100,10,140105-Z03,",  # line 5: a zone of another county
        ],
    )
    result = value_category("land", layout, layout.valued("land"))
    land = valued(layout, "land").set_index("_source_row")
    unknown = land.loc[2]
    assert unknown.status == "unpriced" and pd.isna(unknown.value_yuan) and pd.isna(unknown.unit_price)
    assert unknown.status_reason == f"price_zone '{HOSTILE_ZONE}' not in land_base_prices"
    zoned = land.loc[3]
    assert (zoned.status, zoned.price_level, zoned.unit_price) == ("valued", "zone", D("1751.00"))
    assert zoned.price_key == "zone=140106-Z03 region=140106 class=0701 grade="
    assert zoned.value_yuan == D("100.00") * D("1751.00") * D("1.0080")  # 176,500.80; construction date factor 2023
    blank = land.loc[4]
    assert (blank.status, blank.price_level, blank.unit_price) == ("valued", "county", D("2250.55"))
    assert blank.price_key == "zone= region=140106 class=07 grade="
    assert blank.value_yuan == D("100.00") * D("2250.55") * D("1.0080")  # 226,855.44
    other = land.loc[5]
    assert other.status == "unpriced" and pd.isna(other.value_yuan)
    assert (
        other.status_reason == "price_zone '140105-Z03' is a zone of county 140105, not of 140106, in land_base_prices"
    )
    assert result.unpriced_share == 0.5

    from assets_pipeline.ledgers.ledger import write_unpriced

    write_unpriced(layout, layout.unpriced, categories=["land"])
    listed = pd.read_parquet(layout.unpriced).set_index("source_row")
    assert listed.loc[2, "reason"] == f"price_zone '{HOSTILE_ZONE}' not in land_base_prices"
    assert list(listed.index) == [2, 5]


def test_an_unknown_cropland_grade_is_unpriced_and_a_blank_one_takes_the_row_without_grade(tmp_path):
    layout = _land_delivery(
        tmp_path,
        [
            "C1,140106,0103,2000,10,,12",  # line 2: grade 12, which this province's table does not price
            "C2,140106,0103,2000,10,,",  # line 3: no grade: province 0103 without grade, 36,359.00 元/亩
            "C3,140106,0103,2000,10,,7",  # line 4: grade 7: province 0103 grade 7, 38,522.00 元/亩
        ],
    )
    _drop_reference_rows(layout, "land_base_prices", "cropland_grade", "12")
    value_category("land", layout, layout.valued("land"))
    land = valued(layout, "land").set_index("_source_row")
    assert land.loc[2].status == "unpriced" and pd.isna(land.loc[2].value_yuan)
    assert land.loc[2].status_reason == "cropland_grade '12' not in land_base_prices for class 0103"
    assert land.loc[3].price_key == "zone= region=140000 class=0103 grade=" and land.loc[3].price_level == "province"
    assert land.loc[3].value_yuan == D("2000.00") * D("0.0015") * D("36359.00") * D("1.0050")
    assert land.loc[4].price_key == "zone= region=140000 class=0103 grade=7"
    assert land.loc[4].value_yuan == D("2000.00") * D("0.0015") * D("38522.00") * D("1.0050")


def _inventory(tmp_path, category: str, rows: list[dict]) -> YearLayout:
    """Validated rows of a category written as the validation step writes them, with the year's snapshots."""
    layout = YearLayout(tmp_path, YEAR)
    snapshot_reference(layout)
    frame = pd.DataFrame(rows)
    for c in SPECS[category].column_names:
        if c not in frame:
            frame[c] = None
    frame["_row_id"] = range(len(frame))
    frame["_source_file"] = f"{category}.csv"
    frame["_source_row"] = frame["_row_id"] + 2
    frame["exclusion_reason"] = None
    write_parquet(
        pa.Table.from_pandas(frame, schema=validated_schema(SPECS[category]), preserve_index=False),
        layout.validated(category) / "part-00000.parquet",
    )
    return layout


def test_forest_price_key_is_the_row_matched_and_an_unknown_grade_is_unpriced(tmp_path):
    stand = {
        "base_parcel_id": "B",
        "region_code": "140105",
        "area_m2": 2000.0,
        "land_ownership": "10",
        "tree_ownership": "2",
        "forest_type": "1",
        "origin": "1",
        "species_code": "200",
        "age_group": "4",
        "stock_m3": 10.0,
    }
    layout = _inventory(
        tmp_path,
        "forest",
        [
            {**stand, "parcel_id": "F1", "land_class": "0301K", "land_grade": 3},  # line 2: the stem's row, city 140100
            {**stand, "parcel_id": "F2", "land_class": "0301", "land_grade": 4},  # line 3: grade 4 not in this table
            {**stand, "parcel_id": "F3", "land_class": "0301", "land_grade": None},  # line 4: no grade
        ],
    )
    _drop_reference_rows(layout, "forest_land_prices", "land_grade", "4")
    value_category("forest", layout, layout.valued("forest"))
    forest = valued(layout, "forest").set_index("_source_row")
    adjustable = forest.loc[2]
    assert adjustable.price_key == "region=140100 class=0301 grade=3" and adjustable.price_level == "city"
    assert adjustable.item_code == "0301" and adjustable.value_yuan == D("2000.00") * D("0.0015") * D("2815.20")
    assert forest.loc[3].status == "unpriced" and pd.isna(forest.loc[3].value_yuan)
    assert forest.loc[3].status_reason == "land_grade '4' not in forest_land_prices for class 0301"
    assert forest.loc[4].price_key == "region=140000 class=0301 grade=" and forest.loc[4].price_level == "province"
    assert forest.loc[4].value_yuan == D("2000.00") * D("0.0015") * D("2448.00")


def test_an_unknown_grassland_grade_is_unpriced_with_its_reason(tmp_path):
    polygon = {
        "base_parcel_id": "B",
        "region_code": "140106",
        "land_class": "0404",
        "area_m2": 1000.0,
        "ownership": "10",
        "grassland_type": "02",
        "hay_yield_kg_per_ha": 800.0,
        "vegetation_cover_pct": 50.0,
    }
    layout = _inventory(
        tmp_path, "grassland", [{**polygon, "parcel_id": "G1", "grade": 5}, {**polygon, "parcel_id": "G2", "grade": 6}]
    )
    _drop_reference_rows(layout, "grassland_prices", "grade", "6")
    value_category("grassland", layout, layout.valued("grassland"))
    grassland = valued(layout, "grassland").set_index("_source_row")
    assert grassland.loc[2].status == "valued"
    assert (
        grassland.loc[3].status == "unpriced" and grassland.loc[3].status_reason == "grade '6' not in grassland_prices"
    )


# --- the NPV discount rate: from mineral_parameters.csv for the year, the run's option overriding -----------------


def _rate_table(tmp_path, rate: str):
    """A copy of the reference tables whose 2023 discount_rate_npv is ``rate`` (the sample says 0.08)."""
    import shutil

    from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR

    ref = tmp_path / "reference"
    shutil.copytree(DEFAULT_REFERENCE_DIR, ref)
    path = ref / "prices" / "mineral_parameters.csv"
    old = "2023,discount_rate_npv,0.08,"
    assert old in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace(old, f"2023,discount_rate_npv,{rate},"), encoding="utf-8")
    return ref


def _deposit(tmp_path, ref, quantity: float, extraction: float, rent: float) -> YearLayout:
    from assets_pipeline.reference.tables import load_reference

    layout = _minerals_inventory(
        tmp_path / "out",
        [
            {
                "deposit_id": "X1",
                "region_code": "140105",
                "mineral_code": "coal",
                "resource_class": "proved_reserve",
                "quantity": quantity,
                "unit": "万吨",
                "mining_right": "mining",
                "annual_extraction": extraction,
                "unit_rent": rent,
            }
        ],
    )
    for name, table in load_reference(ref).items():  # the year's snapshots from the edited tables
        write_parquet(table.to_arrow(YEAR), layout.reference(name))
    return layout


@pytest.mark.parametrize(
    "rate, quantity, extraction, rent, oracle",
    [
        ("0.05", 100.0, 10.0, 5.0, D("386.0867")),  # stock 100, extraction 10, unit rent 5, r 5 % (DOMAIN §4)
        ("0.04", 1000.0, 10.0, 10.0, D("2450.4999")),  # R 100, N 100, r 4 % (DOMAIN §4)
    ],
)
def test_the_npv_discount_rate_comes_from_the_table_of_the_year(tmp_path, rate, quantity, extraction, rent, oracle):
    layout = _deposit(tmp_path, _rate_table(tmp_path, rate), quantity, extraction, rent)
    result = value_category("minerals", layout, layout.valued("minerals"), mineral_model="npv")
    r = valued(layout, "minerals").iloc[0]
    assert r.method == "npv" and r.value_yuan.quantize(D("0.0001")) == oracle
    assert D(r.price_key.split(" r=")[1]) == D(rate)  # the audit trail's key: R=… N=… r=…
    source = "reference_tables/prices/mineral_parameters.csv, year 2023"
    assert r.discount_rate_source == source
    assert result.parameters == {"discount_rate": rate, "discount_rate_source": source}


def test_the_run_option_overrides_the_table_rate(tmp_path):
    layout = _deposit(tmp_path, _rate_table(tmp_path, "0.05"), 1000.0, 10.0, 10.0)
    result = value_category("minerals", layout, layout.valued("minerals"), mineral_model="npv", discount_rate=0.04)
    r = valued(layout, "minerals").iloc[0]
    assert r.value_yuan.quantize(D("0.0001")) == D("2450.4999")  # 4 %, not the table's 5 % (2,059.8 at 5 %)
    assert r.discount_rate_source == "run option discount_rate (--discount-rate)"
    assert result.parameters == {
        "discount_rate": "0.04",
        "discount_rate_source": "run option discount_rate (--discount-rate)",
    }


@pytest.mark.slow
def test_the_sample_rate_is_used_by_default_and_the_manifest_says_where_from(mini_province, tmp_path):
    import json

    from assets_pipeline.cli import main

    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--year",
            str(YEAR),
            "--input-dir",
            str(mini_province),
            "--output-dir",
            str(out),
            "--mineral-model",
            "npv",
            "--unpriced-threshold",
            "1",
        ]
    )
    assert code == 0
    producing = valued(YearLayout(out, YEAR), "minerals").query("method == 'npv'").iloc[0]
    # quantity 100, extraction 10, unit rent 5 at the sample's 8 %: 50 × (1 − 1.08^−10) / 0.08 = 335.50407 …
    assert producing.value_yuan.quantize(D("0.0001")) == D("335.5041")
    manifest = json.loads((out / str(YEAR) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["discount_rate"] == "0.08"
    assert manifest["parameters"]["discount_rate_source"] == "reference_tables/prices/mineral_parameters.csv, year 2023"


# --- granted land: a term beyond the legal one is rejected at validation, never a negative coefficient ---------------


def test_a_granted_term_longer_than_the_legal_term_is_rejected_with_both_figures(tmp_path):
    header = "parcel_id,region_code,land_class,area_m2,ownership,supply_method,granted_term_years,years_used"
    layout = _land_delivery(
        tmp_path,
        [
            "G1,140106,05H1,100,10,出让,50,2",  # line 2: commercial, legal term 40 (land_parameters)
            "G2,140106,0701,100,10,出让,70,20",  # line 3: residential, 70 of 70: valid, m = 50
            "G3,140106,0701,100,10,出让,40,45",  # line 4: used longer than granted
            "G4,140106,05H1,100,10,划拨,50,2",  # line 5: allocated: the term is not the owner's concern
        ],
        header,
    )
    rejects = pd.read_parquet(layout.reject_lines("land")).set_index("source_row")
    assert sorted(rejects.index) == [2, 4]
    legal = rejects.loc[2]
    assert (legal.column, legal.value, legal.rule) == ("granted_term_years", "50.0", "legal_term")
    assert legal.message_en == (
        "granted_term_years: granted term longer than the legal term (granted_term_years 50 > "
        "legal term 40 years of class 05H1, from land_parameters legal_term_commercial)"
    )
    assert rejects.loc[4].message_en == (
        "years_used: fields contradict each other (years_used 45 > granted_term_years 40)"
    )
    value_category("land", layout, layout.valued("land"))
    land = valued(layout, "land").set_index("_source_row")
    assert sorted(land.index) == [3, 5]
    assert land.loc[3].factor_equity == equity(50, 70) and land.loc[5].factor_equity == 1
    assert (land["factor_equity"].dropna() >= 0).all()
