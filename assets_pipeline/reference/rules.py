"""The rules a reference table must keep before anything uses it, each broken one a sentence naming file, line and value.

First Pandera's cell checks (required cells present, numbers parse, booleans are true/false), then the rules the
models rely on (``table_rule_problems``): one row per key, no negative price, units the models can apply,
parameters they read within their range; across tables (``check_cross_references``), codes and region codes exist
and a mineral's price is per unit of its quantity.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pandera.pandas as pa

from assets_pipeline.infra.errors import ReferenceTableError

if TYPE_CHECKING:
    from assets_pipeline.reference.tables import ReferenceTable, TableSpec


class ReferenceRulesError(ReferenceTableError):
    """A reference table breaks rules the models rely on; each problem is one sentence naming file, line and value."""

    def __init__(self, path: Path | str, sentences: list[str]):
        super().__init__(path, " ".join(sentences))
        self.sentences = list(sentences)
        self.args = (" ".join(self.sentences),)

    def __str__(self) -> str:
        return " ".join(self.sentences)

    def __reduce__(self):
        return (type(self), (self.path, self.sentences))


# Units each price table may state: the ones its model converts (valuation_models/*.sql; DOMAIN §4). A price
# in any other unit would leave its rows unpriced, or worse, be applied to the wrong quantity.
AREA_PRICE_UNITS = ("元/平方米", "元/亩", "元/公顷")
PRICE_UNITS: dict[str, tuple[str, ...]] = {
    "land_base_prices": AREA_PRICE_UNITS,
    "forest_land_prices": AREA_PRICE_UNITS,
    "grassland_prices": AREA_PRICE_UNITS,
    "wetland_prices": AREA_PRICE_UNITS,
    "timber_prices": ("元/亩", "元/立方米"),
    "bamboo_prices": ("元/株",),
    "water_prices": ("元/立方米", "元/万立方米"),
    # mineral_benchmark_prices: 元/ + the mineral's unit in minerals.csv, checked across tables
}

# Correction factors and coefficients multiply a price: zero or negative would wipe out or turn a value.
POSITIVE_FACTORS: dict[str, str] = {
    "land_date_corrections": "factor",
    "land_plot_ratio_corrections": "factor",
    "mineral_recovery_coefficients": "coefficient",
}

# Parameters the models read, with what a value must be and its unit: a rate per year in (0, 1), or years > 0.
PARAMETERS: dict[str, dict[str, str]] = {
    "land_parameters": {
        "capitalisation_rate": "rate",
        "legal_term_commercial": "years",
        "legal_term_residential": "years",
        "legal_term_other": "years",
    },
    "mineral_parameters": {"discount_rate_npv": "rate", "npv_max_years": "years"},
}
PARAMETER_UNITS = {"rate": "1/year", "years": "years"}


def _parses_decimal(series: pd.Series) -> pd.Series:
    def ok(v: str) -> bool:
        if v == "":
            return True
        try:
            return Decimal(v).is_finite()
        except InvalidOperation:
            return False

    return series.map(ok).astype(bool)  # reference tables are small: a few thousand rows at most


def pandera_schema(spec: TableSpec) -> pa.DataFrameSchema:
    """The Pandera schema a reference table must satisfy (read as text)."""
    columns = {}
    for name, kind in spec.columns.items():
        checks = []
        if name not in spec.optional_columns:
            checks.append(pa.Check(lambda s: s.str.len() > 0, name="not_blank", error=f"{name} must not be blank"))
        if kind == "int":
            checks.append(
                pa.Check(lambda s: s.str.fullmatch(r"-?\d*"), name="integer", error=f"{name} must be a whole number")
            )
        elif kind == "dec":
            checks.append(pa.Check(_parses_decimal, name="decimal", error=f"{name} must be a decimal number"))
        elif kind == "bool":
            checks.append(pa.Check.isin(["true", "false"], error=f"{name} must be true or false"))
        columns[name] = pa.Column(str, checks=checks, required=name not in spec.optional_columns, nullable=False)
    # one row per key is checked by table_rule_problems, which names both lines
    return pa.DataFrameSchema(columns, strict=False, coerce=True, name=spec.name)


MAX_SENTENCES = 20  # a table wrong throughout says so in a few sentences, then counts the rest


def _line(index) -> int:
    """The file line of a frame row: line 1 is the header."""
    return int(index) + 2


def _shown(value: str) -> str:
    return "(blank)" if value == "" else value


def _capped(sentences: list[str], file: str) -> list[str]:
    if len(sentences) <= MAX_SENTENCES:
        return sentences
    return sentences[:MAX_SENTENCES] + [f"{file}: {len(sentences) - MAX_SENTENCES} more problem(s) of the same kinds."]


def schema_sentences(spec: TableSpec, cases: pd.DataFrame) -> list[str]:
    """Pandera's failure cases as sentences: missing columns, then each cell with its line and value."""
    sentences = []
    for case in cases.itertuples(index=False):  # failure cases: a few per broken table
        if pd.isna(case.index):
            what = "is missing" if case.check == "column_in_dataframe" else f"fails {case.check}"
            sentences.append(f"{spec.file}: column {case.failure_case} {what}.")
        else:
            sentences.append(
                f"{spec.file} line {_line(case.index)}: {case.column} {_shown(str(case.failure_case))!r} "
                f"is refused: {case.check}."
            )
    return _capped(sentences, spec.file)


def table_rule_problems(spec: TableSpec, frame: pd.DataFrame) -> list[str]:
    """The rules the valuation models rely on, each broken one as a sentence naming file, line and value.

    One row per key (a second row would make the price a row gets depend on the order of the file); no
    negative price (0.00 is an explicit "not valued", DOMAIN §4 wetland); units the model converts;
    factors above 0; the parameters the models read, each year complete and within range.
    """
    problems = _duplicate_keys(spec, frame)
    if spec.price_table and "price" in spec.columns:
        price = frame["price"].map(Decimal)  # parsed by the schema already
        for index in frame.index[(price < 0).to_numpy()]:
            problems.append(
                f"{spec.file} line {_line(index)}: price {frame.at[index, 'price']} is negative; "
                "a price must be 0 or more (0.00 is an explicit 'not valued', DOMAIN §4)."
            )
    if spec.name in PRICE_UNITS:
        allowed = PRICE_UNITS[spec.name]
        for index in frame.index[~frame["unit"].isin(allowed).to_numpy()]:
            problems.append(
                f"{spec.file} line {_line(index)}: unit {_shown(frame.at[index, 'unit'])!r} is not one "
                f"the model converts ({', '.join(allowed)})."
            )
    if spec.name in POSITIVE_FACTORS:
        column = POSITIVE_FACTORS[spec.name]
        factor = frame[column].map(Decimal)
        for index in frame.index[(factor <= 0).to_numpy()]:
            problems.append(
                f"{spec.file} line {_line(index)}: {column} {frame.at[index, column]} is not above 0; "
                "a correction factor or coefficient must be positive."
            )
    if spec.name in PARAMETERS:
        problems += _parameter_problems(spec, frame, PARAMETERS[spec.name])
    return _capped(problems, spec.file)


def _duplicate_keys(spec: TableSpec, frame: pd.DataFrame) -> list[str]:
    keys = [k for k in spec.key if k in frame]
    repeated = frame[frame.duplicated(keys, keep=False)]
    problems = []
    for _, rows in repeated.groupby(keys, sort=False):
        first, *others = list(rows.index)
        described = ", ".join(f"{k} {_shown(rows.at[first, k])}" for k in keys)
        for index in others:
            problems.append(
                f"{spec.file} line {_line(index)} repeats the key of line {_line(first)} ({described}); "
                "a key may have one row only."
            )
    return problems


def _parameter_problems(spec: TableSpec, frame: pd.DataFrame, known: dict[str, str]) -> list[str]:
    problems = []
    for index, row in frame.iterrows():  # a parameter table has a few rows per year
        name, text, unit = row["parameter"], row["value"], row.get("unit", "")
        kind = known.get(name)
        where = f"{spec.file} line {_line(index)}"
        if kind is None:
            problems.append(f"{where}: parameter {name!r} is not one the models read ({', '.join(known)}).")
            continue
        value = Decimal(text)
        if kind == "rate" and not 0 < value < 1:
            problems.append(f"{where}: {name} {text} must be a rate per year between 0 and 1 (e.g. 0.08).")
        if kind == "years" and not value > 0:
            problems.append(f"{where}: {name} {text} must be a number of years above 0.")
        if unit and unit != PARAMETER_UNITS[kind]:
            problems.append(f"{where}: {name} has unit {unit!r}; the models read it in {PARAMETER_UNITS[kind]!r}.")
    for year, rows in frame.groupby("year", sort=True):
        for name in known:
            if name not in set(rows["parameter"]):
                problems.append(
                    f"{spec.file}: year {year} has no {name} row; each year of the table needs every "
                    f"parameter ({', '.join(known)})."
                )
    return problems


def check_cross_references(tables: dict[str, ReferenceTable]) -> None:
    """Codes a table uses must exist in the code list they come from; a mineral's price is per unit of its quantity."""
    regions = set(tables["admin_divisions"].frame["region_code"])
    rules = [
        ("land_classes", "land_group", "land_groups", "land_group"),
        ("forest_species", "species_group", "forest_species_groups", "species_group"),
        ("wetland_types", "wetland_class", "wetland_classes", "wetland_class"),
        ("exercising_subject_rules", "subject", "exercising_subjects", "subject"),
        ("timber_prices", "species_group", "forest_species_groups", "species_group"),
        ("wetland_prices", "wetland_class", "wetland_classes", "wetland_class"),
        ("water_prices", "source_type", "water_source_types", "source_type"),
        ("mineral_benchmark_prices", "mineral_code", "minerals", "mineral_code"),
        ("mineral_recovery_coefficients", "resource_class", "resource_classes", "resource_class"),
        ("grassland_prices", "grassland_type", "grassland_types", "grassland_type"),
    ]
    for table, column, code_table, code_column in rules:
        frame = tables[table].frame
        known = set(tables[code_table].frame[code_column])
        if table == "land_classes":
            frame = frame[frame["level"] == "2"]  # a first-level class may span groups ("mixed")
        unknown = sorted(set(frame[column]) - known - {""})
        if unknown:
            raise ReferenceTableError(
                tables[table].path, f"column {column}: codes not in {code_table}: {', '.join(unknown[:10])}"
            )
    for name, table in tables.items():
        if "region_code" in table.spec.columns and name != "admin_divisions":
            unknown = sorted(set(table.frame["region_code"]) - regions)
            if unknown:
                raise ReferenceTableError(table.path, f"region codes not in admin_divisions: {', '.join(unknown[:10])}")
    _check_mineral_price_units(tables)


def _check_mineral_price_units(tables: dict[str, ReferenceTable]) -> None:
    """A benchmark price is per unit of the mineral's quantity (元/万吨 for coal counted in 万吨): never another."""
    prices = tables["mineral_benchmark_prices"]
    units = dict(zip(tables["minerals"].frame["mineral_code"], tables["minerals"].frame["unit"], strict=False))
    expected = prices.frame["mineral_code"].map(lambda code: "元/" + units[code])  # codes checked above
    wrong = prices.frame.index[(prices.frame["unit"] != expected).to_numpy()]
    sentences = [
        f"{prices.spec.file} line {_line(i)}: unit {_shown(prices.frame.at[i, 'unit'])!r} does not fit "
        f"{prices.frame.at[i, 'mineral_code']}, counted in {units[prices.frame.at[i, 'mineral_code']]} in minerals.csv "
        f"(expected {expected[i]!r})."
        for i in wrong
    ]
    if sentences:
        raise ReferenceRulesError(prices.path, _capped(sentences, prices.spec.file))
