"""Any table the valuation can hand the ledger reconciles exactly as printed (DOMAIN §5).

Hypothesis generates valued rows (exact values in 元 with up to 10 decimals, areas in m² with 2, positive
and zero, many counties in several cities, several items, subjects and two categories), writes them as the
valued Parquet files, and runs the real ``build_ledgers``. For every category × item × subject (× component
or indicator), read back from the ledger Parquet files:

- a county's published cell is the half-up rounding to 2 decimals of its exact sum, worked out here with
  Python's ``Decimal`` from the generated rows;
- a city's published cell is the sum of its counties' published cells, the province's the sum of its cities';
- the unrounded figures are the exact sums at every level.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.ledger import build_ledgers
from assets_pipeline.reference.tables import load_reference
from stages import snapshot_reference

YEAR = 2023
CENT = Decimal("0.01")
CATEGORIES = ("land", "wetland")
ITEMS = {"land": ["0101", "0301", "0701", "1001"], "wetland": ["0303", "1105"]}
SUBJECTS = ["provincial", "municipal", "county"]

VALUED_SCHEMA = pa.schema(
    [
        ("_row_id", pa.int64()),
        ("category", pa.string()),
        ("region_code", pa.string()),
        ("item_code", pa.string()),
        ("component", pa.string()),
        ("status", pa.string()),
        ("area_m2", pa.decimal128(18, 2)),
        ("value_yuan", pa.decimal128(38, 10)),
        ("subject", pa.string()),
    ]
)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The year's reference snapshots, and some counties of several cities with their city."""
    layout = YearLayout(tmp_path_factory.mktemp("properties"), YEAR)
    snapshot_reference(layout)
    divisions = load_reference()["admin_divisions"].to_arrow(YEAR).to_pylist()
    counties = [d for d in divisions if d["level"] == "county"]
    cities = sorted({c["parent_code"] for c in counties})[:4]
    picked = [c for city in cities for c in [c for c in counties if c["parent_code"] == city][:4]]
    parent = {d["region_code"]: d["parent_code"] for d in divisions}
    return layout, [c["region_code"] for c in picked], parent


def _amount(scale: int):
    """A non-negative exact figure with ``scale`` decimals; often a multiple of half a cent of the published unit."""
    exact = st.integers(0, 10**14).map(lambda n: Decimal(n).scaleb(-scale))
    ties = st.integers(0, 10**6).map(lambda n: Decimal(n) * 50)  # 50 元 = 0.005 万元: a half-up tie once summed
    return st.one_of(exact, ties, st.just(Decimal(0)))


def _rows(counties: list[str]):
    row = st.tuples(
        st.sampled_from(CATEGORIES),
        st.sampled_from(counties),
        st.integers(0, 5),
        st.sampled_from(SUBJECTS),
        _amount(10),
        _amount(2).map(lambda d: min(d, Decimal("9999999999999999.99"))),
    )
    return st.lists(row, min_size=1, max_size=120)


def _write_valued(layout: YearLayout, rows) -> None:
    for category in CATEGORIES:
        mine = [r for r in rows if r[0] == category]
        table = pa.Table.from_pylist(
            [
                {
                    "_row_id": i,
                    "category": category,
                    "region_code": county,
                    "item_code": ITEMS[category][k % len(ITEMS[category])],
                    "component": "land",
                    "status": "valued",
                    "area_m2": area.quantize(CENT),
                    "value_yuan": value,
                    "subject": subject,
                }
                for i, (_, county, k, subject, value, area) in enumerate(mine)
            ],
            schema=VALUED_SCHEMA,
        )
        layout.valued(category).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, layout.valued(category))


def _check_levels(
    ledger: list[dict], expected_exact: dict, parent: dict, published: str, exact: str, dims: tuple
) -> None:
    """The three rules of the module docstring, for one ledger."""
    cells = {(r["region_level"], r["region_code"], tuple(r[d] for d in dims)): r for r in ledger}
    assert {k for k in cells if k[0] == "county"} == {("county", c, key) for c, key in expected_exact}
    for (county, key), value in expected_exact.items():
        cell = cells[("county", county, key)]
        assert cell[exact] == value
        assert cell[published] == value.quantize(CENT, rounding=ROUND_HALF_UP)
    for level, child_level in (("city", "county"), ("province", "city")):
        sums: dict = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for (lvl, code, key), cell in cells.items():
            if lvl == child_level:
                sums[(parent[code], key)][0] += cell[published]
                sums[(parent[code], key)][1] += cell[exact]
        assert {(code, key) for (lvl, code, key) in cells if lvl == level} == set(sums)
        for (code, key), (pub, ex) in sums.items():
            assert cells[(level, code, key)][published] == pub, (level, code, key)
            assert cells[(level, code, key)][exact] == ex


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_every_generated_table_reconciles_as_printed(setup, data):
    layout, counties, parent = setup
    rows = data.draw(_rows(counties))
    _write_valued(layout, rows)
    build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=CATEGORIES)

    value_exact: dict = defaultdict(Decimal)
    area_exact: dict = defaultdict(Decimal)
    for category, county, k, subject, value, area in rows:
        item = ITEMS[category][k % len(ITEMS[category])]
        value_exact[(county, (category, item, subject, "land"))] += value * Decimal("0.0001")  # 元 → 万元
        area_exact[(county, (category, item, subject, "area"))] += area.quantize(CENT) * Decimal("0.0001")  # m² → ha
    _check_levels(
        pq.read_table(layout.ledger_value).to_pylist(),
        value_exact,
        parent,
        "value_wan_yuan",
        "value_wan_yuan_unrounded",
        ("category", "item_code", "subject", "component"),
    )
    physical = [r for r in pq.read_table(layout.ledger_physical).to_pylist() if r["indicator"] == "area"]
    _check_levels(
        physical,
        area_exact,
        parent,
        "quantity",
        "quantity_unrounded",
        ("category", "item_code", "subject", "indicator"),
    )
