"""An inventory column is described once (schema.categories): adding one to a category's description adds it to
the ingested files' Arrow schema, the header aliases a delivery may use, the Pandera model and its reject lines,
and the column's Chinese and English names."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from assets_pipeline.ingest.canonical import canonicalise, ingested_schema
from assets_pipeline.ingest.headers import map_headers
from assets_pipeline.schema import categories
from assets_pipeline.schema.columns import Column, code_columns, column_labels, header_aliases
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.model import build_model
from assets_pipeline.validate.rejects import failing_cells, failures, rows_of

SLOPE = Column(
    "slope_deg",
    "number",
    required=False,
    aliases=("PD", "坡度"),
    description="mean slope of the parcel",
    label_zh="坡度",
    label_en="slope",
    unit="degrees",
    bounds=(("ge", 0), ("le", 90)),
)


def _codes() -> CodeLists:
    lists = {column: ["10", "20", "30", "central", "granted"] for column in code_columns(categories.SPECS.values())}
    return CodeLists(
        counties=["140105"],
        land_classes=["0101", "0301"],
        codes=lists,
        names_to_codes={},
        state_ownership=["10", "20"],
        state_trees=["1"],
        mineral_units={},
    )


def _reject_lines(spec, given: dict):
    """The reject lines of two delivered land rows (row ids 7 and 8), the columns not given left blank."""
    provenance = {"_row_id": [7, 8], "_source_file": ["land.parquet"] * 2, "_source_row": [2, 3]}
    schema = ingested_schema(spec)
    table = pa.table(
        {name: given.get(name, provenance.get(name, [None, None])) for name in schema.names}, schema=schema
    )
    cells = failing_cells(build_model("land", _codes()), table)
    return failures(cells, rows_of(table, cells["_row_id"]), _codes())


@pytest.fixture
def land_with_slope(monkeypatch):
    land = categories.SPECS["land"].with_column(SLOPE)
    monkeypatch.setitem(categories.SPECS, "land", land)
    return land


def test_the_added_column_is_ingested_with_the_arrow_type_of_its_kind(land_with_slope):
    schema = ingested_schema(land_with_slope)
    assert schema.field("slope_deg").type == pa.float64()
    assert schema.names.index("slope_deg") == len(land_with_slope.columns) - 1  # before the provenance columns


def test_the_added_columns_aliases_name_it_in_a_delivery(land_with_slope):
    assert header_aliases(land_with_slope)["slope_deg"] == ("slope_deg", "PD", "坡度")
    headers = ["BSM", "XZQDM", "DLBM", "TBMJ", "QSXZ", "坡度"]
    mapping, _, ignored = map_headers(Path("land.csv"), headers, land_with_slope)
    assert mapping["坡度"] == "slope_deg" and not ignored
    batch = pa.RecordBatch.from_arrays(
        [
            pa.array(["1"]),
            pa.array(["140105"]),
            pa.array(["0101"]),
            pa.array(["100"]),
            pa.array(["10"]),
            pa.array(["12.5"]),
            pa.array([2], pa.int64()),
        ],
        names=headers + ["_source_row"],
    )
    table, unparsed = canonicalise(batch, land_with_slope, mapping, {"area_m2": "m2"}, 0, "land.csv")
    assert table["slope_deg"].to_pylist() == [12.5] and unparsed is None


def test_the_added_column_is_checked_by_the_model_from_its_bounds(land_with_slope):
    model = build_model("land", _codes())
    column = model.to_schema().columns["slope_deg"]
    assert column.nullable and str(column.dtype) == "Float64"
    given = {
        "parcel_id": ["1", "2"],
        "region_code": ["140105", "140105"],
        "land_class": ["0101", "0101"],
        "area_m2": [100.0, 100.0],
        "ownership": ["10", "10"],
        "slope_deg": [12.5, 95.0],
    }
    lines = _reject_lines(land_with_slope, given)
    assert lines[["_row_id", "column", "value", "rule", "check"]].to_dict("records") == [
        {"_row_id": 8, "column": "slope_deg", "value": 95.0, "rule": "range", "check": "less_than_or_equal_to(90)"}
    ]


def test_the_added_column_has_its_names_in_both_languages(land_with_slope):
    specs = categories.SPECS.values()
    assert column_labels(specs, "zh")["slope_deg"] == "坡度"
    assert column_labels(specs, "en")["slope_deg"] == "slope"


def test_the_published_column_names_are_the_descriptions_labels():
    assert column_labels(categories.SPECS.values(), "zh") == categories.COLUMN_NAMES_ZH
    assert categories.COLUMN_NAMES_ZH["area_m2"] == "面积"
    assert "subject" not in categories.COLUMN_NAMES_ZH  # shown by its canonical name


def test_one_column_name_cannot_carry_two_labels():
    land = categories.SPECS["land"].with_column(Column("area_m2", "area", label_zh="图斑面积"))
    with pytest.raises(ValueError, match="area_m2"):
        column_labels([land, categories.SPECS["forest"]], "zh")


def test_a_nan_is_a_blank_to_the_model_as_pandas_would_read_it():
    """A float NaN (a delivered Parquet column can hold one) fails ``required`` and passes a range, as a null does."""
    given = {
        "parcel_id": ["1", "2"],
        "region_code": ["140105", "140105"],
        "land_class": ["0101", "0101"],
        "area_m2": [float("nan"), 100.0],
        "ownership": ["10", "10"],
        "plot_ratio": [None, float("nan")],  # bounded 0 < plot_ratio <= 50: polars alone orders NaN above 50
    }
    lines = _reject_lines(categories.SPECS["land"], given)
    assert lines[["_row_id", "column", "rule", "check"]].to_dict("records") == [
        {"_row_id": 7, "column": "area_m2", "rule": "required", "check": "not_nullable"}
    ]
