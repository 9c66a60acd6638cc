"""Properties of the cell parsers (assets_pipeline/cleaning.py) over generated cells.

Each property holds for every cell a county could type: however a number or a code is dressed, it
reads as the same value; whatever the text, parsing returns a value or marks the cell unparsed
(a ``type`` reject), never raises.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets_pipeline.ingest import cleaning

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FULL_WIDTH = str.maketrans("0123456789.,-+", "０１２３４５６７８９．，－＋")

# up to 12 significant digits: every such decimal survives float64 exactly as printed
decimals = st.decimals(
    min_value=Decimal("-999999999.999"),
    max_value=Decimal("999999999.999"),
    places=3,
    allow_nan=False,
    allow_infinity=False,
)
spaces = st.sampled_from(["", " ", "  ", "\t", "\u3000"])  # ideographic space from Chinese input methods


def parse_one(text: str) -> tuple[float | None, bool]:
    values, bad = cleaning.parse_number(pa.array([text], pa.string()))
    return values[0].as_py(), bad[0].as_py()


@SETTINGS
@given(decimals, st.booleans(), st.booleans(), spaces, spaces)
def test_a_decimal_reads_the_same_however_it_is_written(number, grouped, full_width, before, after):
    plain = format(number, "f")
    text = format(number, ",f") if grouped else plain
    if full_width:
        text = text.translate(FULL_WIDTH)
    value, bad = parse_one(before + text + after)
    assert not bad
    assert Decimal(repr(value)) == number  # the same decimal, not a neighbour of it
    assert value == float(plain)
    if number == 0:
        assert math.copysign(1.0, value) == 1.0  # negative zero reads as zero


region_codes = st.from_regex(r"\A[1-6][0-9]{5}\Z")


@SETTINGS
@given(
    region_codes,
    st.sampled_from(["", ".0", ".00"]),
    st.sampled_from(["", "001001", "0010010000000"]),
    st.booleans(),
    spaces,
)
def test_a_county_code_normalises_to_one_code(county, float_tail, location_tail, full_width, pad):
    written = county + location_tail + (float_tail if not location_tail else "")
    if full_width:
        written = written.translate(FULL_WIDTH)
    assert cleaning.parse_region(pa.array([pad + written + pad])).to_pylist() == [county]


land_classes = st.from_regex(r"\A0[1-9](0[1-9]|1[0-9])\Z")


@SETTINGS
@given(land_classes, st.booleans(), st.sampled_from(["", ".0"]), st.sampled_from(["", "K", "k"]))
def test_a_land_class_normalises_to_one_code(land_class, lost_zero, float_tail, adjustable):
    written = (land_class.lstrip("0") if lost_zero else land_class) + float_tail
    if adjustable and not float_tail:
        written += adjustable
    expected = land_class + ("K" if adjustable and not float_tail else "")
    assert cleaning.parse_land_class(pa.array([written])).to_pylist() == [expected]


texts = st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20), min_size=1, max_size=8)


@SETTINGS
@given(texts)
def test_parsing_any_text_never_raises_and_never_loses_a_cell(cells):
    arr = pa.array(cells, pa.string())
    empty = cleaning.normalise_text(arr).is_null().to_pylist()
    for parse in (cleaning.parse_number, cleaning.parse_integer, cleaning.parse_bool):
        values, bad = parse(arr)
        for cell, value, is_bad, is_empty in zip(cells, values.to_pylist(), bad.to_pylist(), empty, strict=False):
            # each cell is exactly one of: empty, a value, or unparsed (kept for a type reject)
            assert [is_empty, value is not None, is_bad].count(True) == 1, (parse.__name__, cell, value, is_bad)
            if isinstance(value, float):
                assert math.isfinite(value)
    for parse in (cleaning.parse_code, cleaning.parse_region, cleaning.parse_land_class):
        assert len(parse(arr)) == len(cells)


@SETTINGS
@given(st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "1,23", "12a.5", "1.2.3", "0x10"]), spaces)
def test_not_numbers_are_type_rejects_not_floats(text, pad):
    value, bad = parse_one(pad + text + pad)
    assert value is None and bad


@SETTINGS
@given(st.sampled_from(["nan", "none", "null", "<na>"]), st.data(), spaces, spaces)
def test_a_missing_value_marker_in_an_id_is_empty_in_any_case(marker, data, before, after):
    """``NaN``, ``None``, ``NULL`` … however capitalised and padded: no id (``required`` then rejects the row)."""
    cased = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in marker)
    assert cleaning.parse_id(pa.array([before + cased + after], pa.string()))[0].as_py() is None
