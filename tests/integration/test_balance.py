"""Balance accounts and land-use transitions (DOMAIN §5): hand-worked figures on a two-year province, and a
three-year sample through Dagster whose every cell adds up, in the Parquet and in the workbook."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from assets_pipeline.cli import main
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.balance import build_balance, identity_failures, opening_mismatches
from assets_pipeline.ledgers.both_years import link_sources
from assets_pipeline.ledgers.last_year_files import LastYearFileError, verify_last_year
from assets_pipeline.ledgers.ledger import build_ledgers
from assets_pipeline.ledgers.reclassifications import reclassification_check, removed_and_new_check
from assets_pipeline.ledgers.transitions import build_land_transitions, transition_mismatches
from assets_pipeline.publish.report_balance import read_balance_sheet
from assets_pipeline.publish.report_transitions import read_transition_sheet
from assets_pipeline.sample.generate import generate_sample
from assets_pipeline.schema.categories import CATEGORIES
from stages import compile_stages
from two_year_province import write_two_year_province

D = Decimal


def compile_years(inputs, out, years, consistency_policy=None):
    layouts = []
    for year in years:
        layout = compile_stages(inputs, out, year, consistency_policy=consistency_policy)
        build_ledgers(layout, layout.ledger_physical, layout.ledger_value)
        build_balance(layout, layout.balance_physical, layout.balance_value)
        build_land_transitions(layout, layout.land_transitions)
        layouts.append(layout)
    return layouts


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    root = tmp_path_factory.mktemp("two_years")
    write_two_year_province(root / "inputs")
    return compile_years(root / "inputs", root / "out", [2022, 2023])


def q(sql: str, **params):
    with duckdb.connect() as con:
        return con.execute(sql, {k: str(v) for k, v in params.items()}).fetchall()


def _cell(path, region, category, item, last_dim, last):
    """The one row of a balance file for a cell, as a dict."""
    rows = q(
        "SELECT * EXCLUDE (year) FROM read_parquet($p) WHERE region_code = $r AND category = $c AND item_code = $i "
        f"AND {last_dim} = $n",
        p=path,
        r=region,
        c=category,
        i=item,
        n=last,
    )
    cols = [c[0] for c in duckdb.sql(f"DESCRIBE SELECT * EXCLUDE (year) FROM read_parquet('{path}')").fetchall()]
    assert len(rows) == 1, rows
    return dict(zip(cols, rows[0], strict=False))


def physical(layout, region, category, item, indicator):
    return _cell(layout.balance_physical, region, category, item, "indicator", indicator)


def value(layout, region, category, item, component):
    return _cell(layout.balance_value, region, category, item, "component", component)


def flows(cell: dict) -> dict:
    return {
        k: v
        for k, v in cell.items()
        if k.startswith(("additions_", "reductions_")) and not k.endswith("_unrounded") and v
    }


def valued_yuan(layout, category, parcel_id):
    return q(
        "SELECT sum(value_yuan) FROM read_parquet($p) WHERE parcel_id = $i AND status = 'valued'",
        p=layout.valued(category),
        i=parcel_id,
    )[0][0]


def test_first_year_has_no_opening(two_years):
    first = two_years[0]
    rows = q(
        "SELECT DISTINCT has_opening, opening IS NULL, additions IS NULL, reductions IS NULL FROM read_parquet($p)",
        p=first.balance_physical,
    )
    assert rows == [(False, True, True, True)]
    rows = q(
        "SELECT DISTINCT has_opening, opening IS NULL, volume_change IS NULL, revaluation IS NULL "
        "FROM read_parquet($p)",
        p=first.balance_value,
    )
    assert rows == [(False, True, True, True)]
    # the closing is the year's ledger, cell for cell
    assert (
        q(
            "SELECT region_code, category, item_code, subject, component, closing FROM read_parquet($b) EXCEPT "
            "SELECT region_code, category, item_code, subject, component, value_wan_yuan FROM read_parquet($l)",
            b=first.balance_value,
            l=first.ledger_value,
        )
        == []
    )
    assert q("SELECT count(*) FROM read_parquet($p)", p=first.land_transitions) == [(0,)]


def test_parcel_changing_class_is_reclassified(two_years):
    last, this = two_years
    out = physical(this, "140106", "land", "01", "area")
    assert (out["opening"], out["closing"]) == (D("0.20"), D("0.00"))
    assert flows(out) == {"reductions_reclassified_out": D("0.20")}
    into = physical(this, "140106", "land", "02", "area")
    assert (into["opening"], into["closing"], flows(into)) == (
        D("0.00"),
        D("0.20"),
        {"additions_reclassified_in": D("0.20")},
    )
    # its value leaves the old cell at last year's price and enters the new one at this year's: no revaluation
    v0 = valued_yuan(last, "land", "1401060000000001")
    v1 = valued_yuan(this, "land", "1401060000000001")
    old, new = value(this, "140106", "land", "01", "land"), value(this, "140106", "land", "02", "land")
    assert old["volume_change_unrounded"] == -v0 * D("0.0001") and old["revaluation_unrounded"] == 0
    assert new["volume_change_unrounded"] == v1 * D("0.0001") and new["closing_unrounded"] == v1 * D("0.0001")
    assert q(
        "SELECT from_class, to_class, area_m2 FROM read_parquet($p) WHERE region_code = '140106' "
        "AND classification = 'class'",
        p=this.land_transitions,
    ) == [("0103", "0201", D("2000.00"))]


def test_split_parcel_is_removed_and_its_children_new(two_years):
    this = two_years[1]
    cell = physical(this, "140105", "land", "01", "area")
    # 3,000 m² gone, 1,000 + 2,000 m² new
    assert (cell["opening"], cell["closing"]) == (D("0.30"), D("0.30"))
    assert flows(cell) == {"additions_new": D("0.30"), "reductions_removed": D("0.30")}
    rows = q(
        "SELECT from_class, to_class, area_m2 FROM read_parquet($p) WHERE region_code = '140105' "
        "AND classification = 'class' AND '0103' IN (from_class, to_class) ORDER BY ALL",
        p=this.land_transitions,
    )
    assert rows == [("(new)", "0103", D("3000.00")), ("0103", "(removed)", D("3000.00"))]


def test_parcel_becoming_collective_is_removed_from_the_state_ledger(two_years):
    this = two_years[1]
    cell = physical(this, "140107", "land", "01", "area")
    assert (cell["opening"], cell["closing"], flows(cell)) == (D("0.10"), D("0.00"), {"reductions_removed": D("0.10")})
    assert q(
        "SELECT from_class, to_class, area_m2 FROM read_parquet($p) WHERE region_code = '140107' "
        "AND classification = 'class'",
        p=this.land_transitions,
    ) == [("0101", "(removed)", D("1000.00"))]


def test_balance_sheets_in_english(two_years):
    from assets_pipeline.publish.report import write_report
    from assets_pipeline.publish.report_cover import CoverInfo

    this = two_years[1]
    write_report(
        this, CoverInfo(year=2023, province_code="140000", province_name="山西省", run_time="-", run_id="-"), lang="en"
    )
    sheet = read_balance_sheet(this.report(), "minerals", lang="en")
    assert sheet["value"]["Total"] == {
        "opening": D("1920.00"),
        "volume_change": D("-179.40"),
        "revaluation": D("36.00"),
        "closing": D("1776.60"),
    }
    proved = next(v for k, v in sheet["physical"].items() if k.startswith("Coal, Proved"))
    assert (proved["reductions_extracted"], proved["reductions_reclassified_out"]) == (D("10.00"), D("90.00"))
    groups = read_transition_sheet(this.report(), lang="en")["group"]
    assert groups[0][0] == "from \\ to" and groups[-1][0] == "Total"


def test_price_rise_without_volume_change_is_pure_revaluation(two_years):
    this = two_years[1]
    # D003 coal, measured: 50 万吨 × recovery 0.8 × 120,000 → 126,000 元/万吨
    cell = value(this, "140106", "minerals", "coal|measured", "mineral")
    assert (cell["opening"], cell["volume_change"], cell["revaluation"], cell["closing"]) == (
        D("480.00"),
        D("0.00"),
        D("24.00"),
        D("504.00"),
    )
    assert cell["revaluation_unrounded"] == D("24") and cell["volume_change_unrounded"] == 0
    assert flows(physical(this, "140106", "minerals", "coal|measured", "quantity")) == {}


def test_deposit_extracted_and_reclassed(two_years):
    this = two_years[1]
    proved = physical(this, "140105", "minerals", "coal|proved_reserve", "quantity")
    assert (proved["opening"], proved["closing"]) == (D("100.00"), D("0.00"))
    assert flows(proved) == {"reductions_extracted": D("10.00"), "reductions_reclassified_out": D("90.00")}
    probable = physical(this, "140105", "minerals", "coal|probable_reserve", "quantity")
    assert (probable["opening"], probable["closing"], flows(probable)) == (
        D("0.00"),
        D("90.00"),
        {"additions_reclassified_in": D("90.00")},
    )
    # 100 × 1.0 × 120,000 元 leaves; 90 × 0.9 × 126,000 元 arrives
    v = value(this, "140105", "minerals", "coal|proved_reserve", "mineral")
    assert (v["opening"], v["volume_change"], v["revaluation"], v["closing"]) == (D("1200.00"), D("-1200.00"), 0, 0)
    v = value(this, "140105", "minerals", "coal|probable_reserve", "mineral")
    assert (v["opening"], v["volume_change"], v["revaluation"], v["closing"]) == (0, D("1020.60"), 0, D("1020.60"))
    # the inferred rest of the deposit is only revalued: 50 × 0.4 × 6,000 元
    v = value(this, "140105", "minerals", "coal|inferred", "mineral")
    assert (v["volume_change"], v["revaluation"]) == (0, D("12.00"))


def test_forest_stock_grows_and_is_partly_harvested(two_years):
    this = two_years[1]
    stock = physical(this, "140105", "forest", "0301", "stock")
    # F1 100 → 110 m³, F2 200 → 50 m³
    assert (stock["opening"], stock["closing"]) == (D("300.00"), D("160.00"))
    assert flows(stock) == {"additions_increase": D("10.00"), "reductions_decrease": D("150.00")}
    assert stock["additions"] == D("10.00") and stock["reductions"] == D("150.00")
    trees = value(this, "140105", "forest", "0301", "trees")
    # revaluation q0·(p1 − p0) = 300 × 14 元; volume change (q1 − q0)·p1 = −140 × 714 元
    assert trees["revaluation_unrounded"] == D("0.42") and trees["volume_change_unrounded"] == D("-9.996")
    assert (trees["opening"], trees["volume_change"], trees["revaluation"], trees["closing"]) == (
        D("21.00"),
        D("-10.00"),
        D("0.42"),
        D("11.42"),
    )
    # the land under them: 30,000 m² × 0.0015 × (2,448 − 2,400) 元 = 0.216 万元, published as the residual
    land = value(this, "140105", "forest", "0301", "land")
    assert land["revaluation_unrounded"] == D("0.216")
    assert (land["opening"], land["volume_change"], land["revaluation"], land["closing"]) == (
        D("10.80"),
        D("0.00"),
        D("0.22"),
        D("11.02"),
    )


def test_every_cell_adds_up_and_opens_at_last_closing(two_years):
    last, this = two_years
    for kind, ledger in (("physical", last.ledger_physical), ("value", last.ledger_value)):
        broken, cells = identity_failures(getattr(this, f"balance_{kind}"), kind)
        assert broken == 0 and cells > 20
        assert opening_mismatches(getattr(this, f"balance_{kind}"), ledger, kind) == []
    assert transition_mismatches(this) == []
    # the province is the sum of the counties here (one city)
    rows = q(
        "SELECT region_level, sum(revaluation), sum(volume_change) FROM read_parquet($p) GROUP BY ALL ORDER BY 1",
        p=this.balance_value,
    )
    assert len({(r[1], r[2]) for r in rows}) == 1


def test_a_broken_account_is_caught(two_years, tmp_path):
    this = two_years[1]
    broken = tmp_path / "broken.parquet"
    q(
        f"COPY (SELECT * REPLACE (CASE WHEN region_level = 'city' THEN revaluation + 0.01 ELSE revaluation END "
        f"AS revaluation) FROM read_parquet('{this.balance_value}')) TO '{broken}' (FORMAT parquet)"
    )
    assert identity_failures(broken, "value")[0] > 0
    # and an opening that is not last year's closing
    last = two_years[0]
    changed = tmp_path / "ledger_value.parquet"
    q(
        f"COPY (SELECT * REPLACE (CASE WHEN region_code = '140106' AND category = 'minerals' THEN value_wan_yuan + 0.01 "
        f"ELSE value_wan_yuan END AS value_wan_yuan) FROM read_parquet('{last.ledger_value}')) TO '{changed}' (FORMAT parquet)"
    )
    assert opening_mismatches(this.balance_value, last.ledger_value, "value") == []
    assert [m[:2] for m in opening_mismatches(this.balance_value, changed, "value")] == [("140106", "minerals")]
    assert opening_mismatches(this.balance_value, tmp_path / "missing.parquet", "value") != []


# ------------------------------------------------------------------------ matched through the base parcel


def test_row_reidentified_on_its_base_parcel_is_the_same_asset(two_years):
    this = two_years[1]
    # F3 (8,000 m², 80 m³) became F3B on the same base parcel (8,000 m², 88 m³): no removal, no new parcel
    area = physical(this, "140108", "forest", "0301", "area")
    assert (area["opening"], area["closing"], flows(area)) == (D("0.80"), D("0.80"), {})
    stock = physical(this, "140108", "forest", "0301", "stock")
    assert (stock["opening"], stock["closing"], flows(stock)) == (
        D("80.00"),
        D("88.00"),
        {"additions_increase": D("8.00")},
    )
    # and it is revalued as one asset: trees q0·(p1 − p0) = 80 m³ × 14 元, volume change 8 m³ × 714 元
    trees = value(this, "140108", "forest", "0301", "trees")
    assert (trees["revaluation_unrounded"], trees["volume_change_unrounded"]) == (D("0.112"), D("0.5712"))
    # its land: 8,000 m² × 0.0015 × (2,448 − 2,400) 元, no volume change
    land = value(this, "140108", "forest", "0301", "land")
    assert (land["revaluation_unrounded"], land["volume_change_unrounded"]) == (D("0.0576"), 0)
    assert (land["opening"], land["volume_change"], land["revaluation"], land["closing"]) == (
        D("2.88"),
        D("0.00"),
        D("0.06"),
        D("2.94"),
    )


def test_without_last_years_base_parcels_a_row_without_partner_is_removed(two_years, tmp_path):
    """The link to the base parcel is read from the year's published valued rows; a valued file without the
    column (written before it was published) has none, and says so: its rows without a partner by id can only be
    removed. (F3B, on a base parcel already on last year's state base map, is then an increase.)"""
    import shutil

    files = "forest valued/forest.parquet, grassland valued/grassland.parquet, wetland valued/wetland.parquet"
    assert link_sources(two_years[1]) == f"2022: {files}; 2023: {files}"
    out = tmp_path / "out"
    shutil.copytree(two_years[0].output_dir, out)
    this, forest = YearLayout(out, 2023), YearLayout(out, 2022).valued("forest")
    q(
        f"COPY (SELECT * EXCLUDE (base_parcel_id) FROM read_parquet('{forest}')) TO '{tmp_path / 'f.parquet'}' "
        "(FORMAT parquet)"
    )
    shutil.copy(tmp_path / "f.parquet", forest)
    assert link_sources(this).startswith("2022: forest none, grassland valued/grassland.parquet")
    build_balance(this, this.balance_physical, this.balance_value)
    area = physical(this, "140108", "forest", "0301", "area")
    assert flows(area) == {"additions_increase": D("0.80"), "reductions_removed": D("0.80")}
    assert identity_failures(this.balance_physical, "physical")[0] == 0
    # the in = out check sees the same: forest to land (140109) no longer moves, the land side has nothing to meet
    found = reclassification_check(this)
    assert found["passed"] and found["recomputed_on_base_m2"] == D("3000")
    # last year's stage rows are not read: without them the accounts are those of the published files
    shutil.copy(two_years[0].valued("forest"), forest)
    shutil.rmtree(YearLayout(out, 2022).stages)
    build_balance(this, this.balance_physical, this.balance_value)
    assert this.balance_physical.read_bytes() == two_years[1].balance_physical.read_bytes()


def test_forest_turned_mining_land_is_reclassified_out_of_forest_and_in_to_land(two_years):
    last, this = two_years
    out = physical(this, "140109", "forest", "0301", "area")
    into = physical(this, "140109", "land", "06", "area")
    # 6,000 m² = 0.6 公顷 on both sides, exactly
    assert (out["opening"], out["closing"], flows(out)) == (
        D("0.60"),
        D("0.00"),
        {"reductions_reclassified_out": D("0.60")},
    )
    assert (into["opening"], into["closing"], flows(into)) == (
        D("0.00"),
        D("0.60"),
        {"additions_reclassified_in": D("0.60")},
    )
    assert out["reductions_reclassified_out_unrounded"] == into["additions_reclassified_in_unrounded"] == D("0.6")
    # the trees have no counterpart in the land ledger: their 60 m³ go as a decrease (felled on a parcel that is
    # still on the state base map), not removed
    stock = physical(this, "140109", "forest", "0301", "stock")
    assert flows(stock) == {"reductions_decrease": D("60.00")}
    # the land transition matrix moves the same area from 0301 to 0602
    assert q(
        "SELECT from_class, to_class, area_m2 FROM read_parquet($p) WHERE region_code = '140109' "
        "AND classification = 'class'",
        p=this.land_transitions,
    ) == [("0301", "0602", D("6000.00"))]
    # value: the forest land leaves at last year's price (6,000 m² × 0.0015 × 2,400 元 = 2.16 万元), the mining land
    # arrives at this year's; no revaluation on either side
    forest_land = value(this, "140109", "forest", "0301", "land")
    assert (
        forest_land["opening"],
        forest_land["volume_change"],
        forest_land["revaluation"],
        forest_land["closing"],
    ) == (D("2.16"), D("-2.16"), 0, 0)
    mining = value(this, "140109", "land", "06", "land")
    assert mining["volume_change_unrounded"] == valued_yuan(this, "land", "1401090000000001") * D("0.0001")
    assert mining["revaluation_unrounded"] == 0


def test_dry_land_turned_forest_land_is_reclassified_out_of_land_and_in_to_forest(two_years):
    this = two_years[1]
    out = physical(this, "140122", "land", "01", "area")
    into = physical(this, "140122", "forest", "0301", "area")
    assert flows(out) == {"reductions_reclassified_out": D("0.30")} and out["closing"] == 0
    assert flows(into) == {"additions_reclassified_in": D("0.30")} and into["opening"] == 0
    # the stand's 30 m³ were not counted last year, on a parcel already on the state base map: an increase
    assert flows(physical(this, "140122", "forest", "0301", "stock")) == {"additions_increase": D("30.00")}


def test_base_parcel_becoming_collective_leaves_the_state_ledger(two_years):
    this = two_years[1]
    area = physical(this, "140110", "grassland", "02", "area")
    assert (area["opening"], area["closing"], flows(area)) == (D("0.40"), D("0.00"), {"reductions_removed": D("0.40")})
    # hay: 4,000 m² × 1,200 kg/公顷 = 0.48 t
    assert flows(physical(this, "140110", "grassland", "02", "hay_yield")) == {"reductions_removed": D("0.48")}
    assert q(
        "SELECT from_class, to_class, area_m2 FROM read_parquet($p) WHERE region_code = '140110' "
        "AND classification = 'class'",
        p=this.land_transitions,
    ) == [("0404", "(removed)", D("4000.00"))]


def test_parcel_new_on_the_base_map_is_new(two_years):
    this = two_years[1]
    area = physical(this, "140121", "forest", "0301", "area")
    assert (area["opening"], area["closing"], flows(area)) == (D("0.00"), D("0.50"), {"additions_new": D("0.50")})
    assert flows(physical(this, "140121", "forest", "0301", "stock")) == {"additions_new": D("50.00")}


def test_row_withheld_on_a_base_parcel_still_on_the_state_base_map_is_a_decrease(two_years):
    this = two_years[1]
    # F7 rejected in 2023: its base parcel is still state forest land, so its 4,000 m² and 40 m³ are counted
    # smaller this year (decrease), not removed from the state base map
    area = physical(this, "140181", "forest", "0301", "area")
    assert (area["opening"], area["closing"], flows(area)) == (D("0.40"), D("0.00"), {"reductions_decrease": D("0.40")})
    assert flows(physical(this, "140181", "forest", "0301", "stock")) == {"reductions_decrease": D("40.00")}


def test_province_reclassified_in_equals_out(two_years):
    this = two_years[1]
    found = reclassification_check(this)
    assert found["passed"]
    # 140106 0103 → 0201 (2,000 m², same id), 140109 forest → land (6,000 m²), 140122 land → forest (3,000 m²)
    assert found["out_m2"] == found["in_m2"] == found["recomputed_m2"] == D("11000")
    assert (found["recomputed_same_id_m2"], found["recomputed_on_base_m2"]) == (D("2000"), D("9000"))
    per_category = {c: (o, i) for c, o, i, *_ in found["categories"]}
    assert per_category["forest"] == (D("0.6"), D("0.3")) and per_category["land"] == (D("0.5"), D("0.8"))
    assert per_category["grassland"] == per_category["wetland"] == (0, 0)
    assert (found["published_out_ha"], found["published_in_ha"]) == (D("1.10"), D("1.10"))


def test_removed_and_new_are_the_area_leaving_and_joining_the_state_base_map(two_years, tmp_path):
    this = two_years[1]
    found = removed_and_new_check(this)
    assert found["passed"]
    # removed: 140105's split parcel (3,000 m²), 140107's and 140110's collective parcels (1,000 + 4,000 m²);
    # new: the split's products (3,000 m²) and 140121's new forest parcel (5,000 m²)
    assert [r for r in found["rows"] if any(r[1:])] == [
        ("forest", 0, 0, D("5000"), D("5000")),
        ("grassland", D("4000"), D("4000"), 0, 0),
        ("land", D("4000"), D("4000"), D("3000"), D("3000")),
    ]
    # a removal booked where the base parcel stayed (the rejected F7 of 140181 booked as removed) is caught
    crafted = tmp_path / "removed.parquet"
    q(
        f"COPY (SELECT * REPLACE ("
        f"CASE WHEN region_code = '140181' AND indicator = 'area' THEN reductions_decrease_unrounded ELSE "
        f"reductions_removed_unrounded END AS reductions_removed_unrounded) FROM read_parquet('{this.balance_physical}')) "
        f"TO '{crafted}' (FORMAT parquet)"
    )
    found = removed_and_new_check(this, crafted)
    assert not found["passed"] and found["rows"][0][1] - found["rows"][0][2] == D("4000")


def test_reclassified_in_not_equal_out_is_caught(two_years, tmp_path):
    this = two_years[1]
    # the land of 140109 booked 0.01 公顷 more in than forest let out (as published and unrounded)
    crafted = tmp_path / "in_more.parquet"
    q(
        f"COPY (SELECT * REPLACE ("
        f"CASE WHEN region_code = '140109' AND category = 'land' AND indicator = 'area' THEN additions_reclassified_in + 0.01 "
        f"ELSE additions_reclassified_in END AS additions_reclassified_in, "
        f"CASE WHEN region_code = '140109' AND category = 'land' AND indicator = 'area' "
        f"THEN additions_reclassified_in_unrounded + 0.01 ELSE additions_reclassified_in_unrounded END "
        f"AS additions_reclassified_in_unrounded) FROM read_parquet('{this.balance_physical}')) TO '{crafted}' (FORMAT parquet)"
    )
    found = reclassification_check(this, crafted)
    assert not found["passed"] and found["in_m2"] - found["out_m2"] == D("100")
    # out and in agreeing with each other but not with the area that moved (the mining land booked as new on
    # both sides of the account): caught by the recomputation from the valued rows
    both = tmp_path / "both.parquet"
    q(
        f"COPY (SELECT * REPLACE ("
        f"CASE WHEN region_code = '140109' AND indicator = 'area' THEN 0 ELSE additions_reclassified_in_unrounded END "
        f"AS additions_reclassified_in_unrounded, "
        f"CASE WHEN region_code = '140109' AND indicator = 'area' THEN 0 ELSE reductions_reclassified_out_unrounded END "
        f"AS reductions_reclassified_out_unrounded) FROM read_parquet('{this.balance_physical}')) TO '{both}' (FORMAT parquet)"
    )
    found = reclassification_check(this, both)
    assert (
        not found["passed"] and found["out_m2"] == found["in_m2"] == D("5000") and found["recomputed_m2"] == D("11000")
    )


def test_last_year_files_are_checked_against_its_manifest(two_years, tmp_path):
    import json
    import shutil

    from assets_pipeline.publish.manifest import published_files

    last, this = two_years
    out = tmp_path / "out"
    shutil.copytree(last.output_dir, out)
    last, this = YearLayout(out, 2022), YearLayout(out, 2023)
    # no manifest of 2022 (compiled step by step): used, and said so
    assert "manifest.json is missing" in verify_last_year(this)
    last.manifest.write_text(json.dumps({"outputs": published_files(last)}), encoding="utf-8")
    note = verify_last_year(this)
    assert note.startswith("8 files of 2022 match manifest.json") and "valued/forest.parquet" in note
    # a valued file of 2022 rewritten after its run: refused, naming the file
    q(
        f"COPY (SELECT * REPLACE (stock_m3 + 1 AS stock_m3) FROM read_parquet('{last.valued('forest')}')) "
        f"TO '{tmp_path / 'forest.parquet'}' (FORMAT parquet)"
    )
    shutil.copy(tmp_path / "forest.parquet", last.valued("forest"))
    with pytest.raises(LastYearFileError, match=r"2022/valued/forest\.parquet: differs from .*manifest\.json"):
        verify_last_year(this)
    # a ledger the manifest does not list
    last.manifest.write_text(
        json.dumps({"outputs": {k: v for k, v in published_files(last).items() if k != "ledger_value.parquet"}}),
        encoding="utf-8",
    )
    with pytest.raises(LastYearFileError, match=r"2022/ledger_value\.parquet: is not listed"):
        verify_last_year(this)
    # the first year has nothing to verify
    assert "first year" in verify_last_year(last)


# ------------------------------------------------------------------------------------ three years, Dagster

YEARS = [2021, 2022, 2023]


@pytest.fixture(scope="module")
def three_years(tmp_path_factory):
    root = tmp_path_factory.mktemp("three_years")
    generate_sample(root / "inputs", YEARS, parcels=2500, seed=11, formats="parquet", layers="none")
    # a sample of any size compiles with the run's defaults (the sample keeps its unpriced rows within the threshold)
    code = main(["run", "--years", "2021-2023", "--input-dir", str(root / "inputs"), "--output-dir", str(root / "out")])
    assert code == 0
    return root


@pytest.mark.slow
def test_sample_accounts_add_up_in_every_cell_and_year(three_years):
    # the first year's balance looked for 2020 under its lock, and left no folder behind
    assert not (three_years / "out" / "2020").exists()
    for year in YEARS:
        layout = YearLayout(three_years / "out", year)
        last = YearLayout(three_years / "out", year - 1)
        for kind in ("physical", "value"):
            path = getattr(layout, f"balance_{kind}")
            broken, cells = identity_failures(path, kind)
            assert broken == 0 and cells > 100
            assert opening_mismatches(path, getattr(last, f"ledger_{kind}"), kind) == []
        has_opening = q("SELECT DISTINCT has_opening FROM read_parquet($p)", p=layout.balance_value)
        assert has_opening == [(year != YEARS[0],)]
        if year != YEARS[0]:
            # opening of year N = closing of year N−1, cell for cell (the balance's own closing too)
            assert (
                q(
                    "SELECT region_code, category, item_code, subject, component, opening FROM read_parquet($b) "
                    "WHERE opening <> 0 EXCEPT SELECT region_code, category, item_code, subject, component, closing "
                    "FROM read_parquet($l)",
                    b=layout.balance_value,
                    l=last.balance_value,
                )
                == []
            )
            assert transition_mismatches(layout) == []
    # the sample changes prices, volumes, forest stock and minerals between years
    totals = q(
        "SELECT sum(revaluation), sum(volume_change) FROM read_parquet($p) WHERE region_level = 'province'",
        p=YearLayout(three_years / "out", 2022).balance_value,
    )[0]
    assert totals[0] != 0 and totals[1] != 0
    kinds = q(
        "SELECT sum(additions_increase), sum(reductions_decrease), sum(reductions_extracted), "
        "sum(additions_discovered), sum(additions_reclassified_in), sum(additions_new), sum(reductions_removed) "
        "FROM read_parquet($p) WHERE region_level = 'province'",
        p=YearLayout(three_years / "out", 2023).balance_physical,
    )[0]
    assert all(k > 0 for k in kinds)


@pytest.mark.slow
def test_workbook_balance_sheets_add_up_as_printed(three_years):
    layout = YearLayout(three_years / "out", 2023)
    for category in CATEGORIES:
        sheet = read_balance_sheet(layout.report(), category)
        assert sheet["physical"] and sheet["value"]
        for column in sheet["physical"].values():
            assert column["opening"] + column["additions"] - column["reductions"] == column["closing"]
            assert (
                column["additions"]
                == sum(v for k, v in column.items() if k.startswith("additions_")) + column["other_changes_in_volume"]
            )
        for column in sheet["value"].values():
            assert column["opening"] + column["volume_change"] + column["revaluation"] == column["closing"]
        # the printed 合计 is the province's Parquet total
        printed = sheet["value"]["合计"]
        parquet = q(
            "SELECT sum(opening), sum(volume_change), sum(revaluation), sum(closing) FROM read_parquet($p) "
            "WHERE region_level = 'province' AND category = $c",
            p=layout.balance_value,
            c=category,
        )[0]
        assert (printed["opening"], printed["volume_change"], printed["revaluation"], printed["closing"]) == parquet
    matrices = read_transition_sheet(layout.report())
    for rows in matrices.values():
        header, body, total = rows[0], rows[1:-1], rows[-1]
        assert header[-1] == "合计" and total[0] == "合计"
        for row in body:
            assert sum(v for v in row[1:-1] if v is not None) == row[-1]
        for i in range(1, len(header)):
            assert sum(row[i] for row in body if row[i] is not None) == total[i]
    # the group matrix's row totals are last year's survey area, in the province's published 公顷
    last_area = q(
        "SELECT sum(area_ha) FROM read_parquet($p) WHERE region_level = 'province' AND classification = 'group' "
        "AND from_class <> '(new)'",
        p=layout.land_transitions,
    )[0][0]
    assert matrices["group"][-1][-1] - next(r[-1] for r in matrices["group"] if r[0] == "（新增图斑）") == last_area


@pytest.mark.slow
def test_sample_reclassifications_in_equal_out(three_years):
    for year in YEARS[1:]:
        found = reclassification_check(YearLayout(three_years / "out", year))
        assert found["passed"] and found["out_m2"] == found["in_m2"] == found["recomputed_m2"] > 0
        # inventory rows moved with their base parcels (not only land parcels within the land category)
        assert found["recomputed_on_base_m2"] > 0


@pytest.mark.slow
def test_a_changed_file_of_last_year_stops_the_balance(three_years, tmp_path, capsys):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(three_years / "out", out)
    valued = YearLayout(out, 2022).valued("grassland")
    q(f"COPY (SELECT * FROM read_parquet('{valued}') LIMIT 1) TO '{tmp_path / 'g.parquet'}' (FORMAT parquet)")
    shutil.copy(tmp_path / "g.parquet", valued)
    code = main(
        [
            "run",
            "--year",
            "2023",
            "--input-dir",
            str(three_years / "inputs"),
            "--output-dir",
            str(out),
            "--unpriced-threshold",
            "0.05",
        ]
    )
    assert code != 0
    assert f"{valued}: differs from {YearLayout(out, 2022).manifest}" in capsys.readouterr().err


@pytest.mark.slow
def test_years_run_together_give_the_figures_of_years_compiled_one_by_one(three_years, tmp_path):
    one_by_one = compile_years(three_years / "inputs", tmp_path / "out", YEARS, consistency_policy="base-map-wins")
    for layout in one_by_one:
        together = YearLayout(three_years / "out", layout.year)
        for name in ("balance_physical", "balance_value", "land_transitions"):
            a, b = getattr(together, name), getattr(layout, name)
            assert q("SELECT count(*) FROM read_parquet($a)", a=a) == q("SELECT count(*) FROM read_parquet($b)", b=b)
            assert q("SELECT * FROM read_parquet($a) EXCEPT SELECT * FROM read_parquet($b)", a=a, b=b) == []
    # and running the last year again on its own changes nothing
    before = q("SELECT * FROM read_parquet($p) ORDER BY ALL", p=YearLayout(three_years / "out", 2023).balance_value)
    assert (
        main(
            [
                "run",
                "--year",
                "2023",
                "--input-dir",
                str(three_years / "inputs"),
                "--output-dir",
                str(three_years / "out"),
            ]
        )
        == 0
    )
    assert (
        q("SELECT * FROM read_parquet($p) ORDER BY ALL", p=YearLayout(three_years / "out", 2023).balance_value)
        == before
    )


@pytest.mark.slow
def test_the_year_after_a_backfill_is_left_out_not_failed(tmp_path, monkeypatch):
    """A Dagster backfill of 2021-2023 also asks for the balance of 2024 (it depends on 2023's valued rows through
    the partition mapping). With no ledgers of 2024 the step leaves its accounts out: the run succeeds, nothing of
    2024 is materialized, and the report and manifest of 2024 are skipped."""
    import dagster as dg

    from assets_pipeline.defs.definitions import defs

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    out = tmp_path / "out"
    keys = [
        dg.AssetKey(["balance", "physical"]),
        dg.AssetKey(["balance", "value"]),
        dg.AssetKey(["balance", "land_transitions"]),
        dg.AssetKey(["report"]),
        dg.AssetKey(["manifest"]),
    ]
    result = defs.resolve_job_def("annual_accounts").execute_in_process(
        run_config={"resources": {"settings": {"config": {"input_dir": str(tmp_path), "output_dir": str(out)}}}},
        instance=dg.DagsterInstance.get(),
        partition_key=dg.MultiPartitionKey({"province": "140000", "year": "2024"}),
        asset_selection=keys,
        raise_on_error=False,
    )
    assert result.success
    assert result.get_asset_materialization_events() == []
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"report", "manifest"}
    assert not YearLayout(out, 2024).balance_physical.exists()
