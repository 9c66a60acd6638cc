"""Reference tables are checked on load with the rules the models rely on; a broken one stops the run at the
reference step, each problem one sentence naming the file, its line and the value."""

import shutil
from pathlib import Path

import pytest

from assets_pipeline.cli import main
from assets_pipeline.reference.rules import ReferenceRulesError
from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR, load_reference, load_table
from mini_province import YEAR


def _copy(tmp_path: Path) -> Path:
    ref = tmp_path / "reference"
    shutil.copytree(DEFAULT_REFERENCE_DIR, ref)
    return ref


def _replace_line(path: Path, line: int, old: str, new: str) -> None:
    """Change one line of a table (line 1 is the header), checking it held what the test expects."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_the_sample_tables_pass():
    assert len(load_reference()) == 34


def test_a_negative_price_is_refused_with_one_sentence(tmp_path):
    ref = _copy(tmp_path)
    # line 696: the 2023 county price of 07 in 140106 (2,250.55 元/m²)
    _replace_line(ref / "prices/land_base_prices.csv", 696, ",2250.55,", ",-2348.40,")
    with pytest.raises(ReferenceRulesError) as refused:
        load_table("land_base_prices", ref)
    assert str(refused.value) == (
        "prices/land_base_prices.csv line 696: price -2348.40 is negative; a price must be 0 or more "
        "(0.00 is an explicit 'not valued', DOMAIN §4)."
    )


def test_a_zero_price_is_a_decision_and_passes():
    wetland = load_table("wetland_prices").frame
    assert (wetland.loc[wetland["wetland_class"] == "coastal", "price"] == "0.00").all()


def test_a_duplicate_key_is_refused_naming_both_lines(tmp_path):
    ref = _copy(tmp_path)
    # line 754: zone 140106-Z03, 0701, 1,751.00; line 755 repeats its key with another price
    path = ref / "prices/land_base_prices.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[753] == "2023,140106,140106-Z03,0701,,1751.00,元/平方米"
    lines.insert(754, "2023,140106,140106-Z03,0701,,1900.00,元/平方米")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ReferenceRulesError) as refused:
        load_table("land_base_prices", ref)
    assert refused.value.sentences == [
        "prices/land_base_prices.csv line 755 repeats the key of line 754 (year 2023, region_code 140106, "
        "price_zone 140106-Z03, land_class 0701, cropland_grade (blank)); a key may have one row only."
    ]


def test_a_unit_the_model_cannot_convert_is_refused(tmp_path):
    ref = _copy(tmp_path)
    _replace_line(ref / "prices/water_prices.csv", 2, "元/立方米", "元/吨")
    with pytest.raises(ReferenceRulesError) as refused:
        load_table("water_prices", ref)
    assert refused.value.sentences == [
        "prices/water_prices.csv line 2: unit '元/吨' is not one the model converts (元/立方米, 元/万立方米)."
    ]


def test_a_mineral_price_in_another_unit_than_its_quantity_is_refused(tmp_path):
    ref = _copy(tmp_path)
    _replace_line(ref / "prices/mineral_benchmark_prices.csv", 2, "coal,120000.00,元/万吨", "coal,120000.00,元/吨")
    with pytest.raises(ReferenceRulesError) as refused:
        load_reference(ref)
    assert refused.value.sentences == [
        "prices/mineral_benchmark_prices.csv line 2: unit '元/吨' does not fit coal, counted in 万吨 in minerals.csv "
        "(expected '元/万吨')."
    ]


@pytest.mark.parametrize(
    "line, old, new, sentence",
    [
        (
            2,
            "0.08,1/year",
            "1.08,1/year",
            "prices/mineral_parameters.csv line 2: discount_rate_npv 1.08 must be a rate per year between 0 and 1 (e.g. 0.08).",
        ),
        (
            3,
            "npv_max_years,100",
            "npv_max_years,-5",
            "prices/mineral_parameters.csv line 3: npv_max_years -5 must be a number of years above 0.",
        ),
        (
            2,
            "discount_rate_npv",
            "discount_rate",
            "prices/mineral_parameters.csv line 2: parameter 'discount_rate' is not one the models read "
            "(discount_rate_npv, npv_max_years).",
        ),
    ],
)
def test_parameters_the_models_read_are_checked(tmp_path, line, old, new, sentence):
    ref = _copy(tmp_path)
    _replace_line(ref / "prices/mineral_parameters.csv", line, old, new)
    with pytest.raises(ReferenceRulesError) as refused:
        load_table("mineral_parameters", ref)
    assert sentence in refused.value.sentences


@pytest.mark.slow
def test_a_negative_price_stops_the_run_at_the_reference_step(mini_province, tmp_path, capsys):
    ref = _copy(tmp_path)
    # a price no parcel of the mini province uses: the run must still stop, before anything is valued
    _replace_line(ref / "prices/grassland_prices.csv", 2, ",1925.00,", ",-1925.00,")
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
            "--reference-dir",
            str(ref),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    line = [text for text in err.splitlines() if text.startswith("error:")][0]
    assert line == (
        "error: reference_tables: prices/grassland_prices.csv line 2: price -1925.00 is negative; "
        "a price must be 0 or more (0.00 is an explicit 'not valued', DOMAIN §4)."
    )
    assert "Traceback" not in err
    assert not (out / str(YEAR) / "_stages" / "land").exists()
