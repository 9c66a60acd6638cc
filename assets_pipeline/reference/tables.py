"""Reference tables: code lists and price tables, validated with Pandera before anything uses them.

They ship as sample data in ``reference_tables/`` and a province replaces them with its own
(same files, same columns). Each table is read as text and checked: required cells present, numbers
parse, booleans are true/false, then the rules the models rely on (``table_rule_problems``): one row per
key, no negative price, units the models can apply, parameters they read within their range; across
tables, codes and region codes exist. Every problem is one sentence naming the file, its line and the
value, and a table with problems stops the run at the reference step. The checked tables are then
written as typed Parquet snapshots for the year, so every later step (and every auditor) sees
exactly the rows that were in force, with the file's SHA-256 as its data version.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from assets_pipeline.infra.errors import ReferenceTableError
from assets_pipeline.ingest.readers import sha256_of


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


DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference_tables"

# Column types of reference tables: str (codes, names), int, dec (exact decimal), bool.
_T = dict[str, str]


@dataclass(frozen=True)
class TableSpec:
    name: str
    file: str
    columns: _T
    key: tuple[str, ...]
    description: str
    optional_columns: tuple[str, ...] = ()
    price_table: bool = False

    @property
    def required(self) -> list[str]:
        return [c for c in self.columns if c not in self.optional_columns]


def _code_list(name: str, code: str, extra: _T | None = None, description: str = "", optional: tuple[str, ...] = ()) -> TableSpec:
    columns = {code: "str", "name_zh": "str", "name_en": "str", **(extra or {})}
    return TableSpec(name, f"{name}.csv", columns, (code,), description, optional_columns=optional)


def _price(name: str, keys: _T, description: str, value: str = "price", optional: tuple[str, ...] = ()) -> TableSpec:
    columns = {"year": "int", **keys, value: "dec", "unit": "str"}
    return TableSpec(
        name, f"prices/{name}.csv", columns, ("year", *keys), description,
        optional_columns=optional + ("note",), price_table=True,
    )


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        _code_list("land_classes", "land_class", {"level": "int", "parent_class": "str", "land_group": "str", "category": "str"},
                   "三调工作分类 land classes with land group and category (DOMAIN §2)", optional=("parent_class",)),
        _code_list("land_groups", "land_group", description="农用地 / 建设用地 / 未利用地"),
        TableSpec("admin_divisions", "admin_divisions.csv",
                  {"region_code": "str", "name": "str", "level": "str", "parent_code": "str", "longitude": "dec", "latitude": "dec"},
                  ("region_code",), "administrative divisions of the province (GB/T 2260 codes)",
                  optional_columns=("parent_code", "longitude", "latitude")),
        _code_list("ownership_codes", "code", {"is_state": "bool"}, "权属性质 QSXZ land ownership (DOMAIN §2)"),
        _code_list("tree_ownership_codes", "code", {"is_state": "bool"}, "林木所有权 tree ownership (DOMAIN §2)"),
        _code_list("supply_methods", "supply_method", {"owner_equity": "str"}, "land supply methods (DOMAIN §4)"),
        _code_list("forest_types", "forest_type", description="林种 forest types", optional=()),
        _code_list("forest_origins", "origin", description="起源 origin"),
        _code_list("forest_age_groups", "age_group", description="龄组 age groups"),
        _code_list("forest_species_groups", "species_group", description="species groups priced alike"),
        _code_list("forest_species", "species_code", {"species_group": "str"}, "优势树种 dominant species"),
        _code_list("grassland_types", "grassland_type", description="草原类 grassland classes"),
        _code_list("grassland_grades", "grade", {"hay_min_kg_per_ha": "dec", "hay_max_kg_per_ha": "dec"}, "草原等级 grades",
                   optional=("hay_min_kg_per_ha", "hay_max_kg_per_ha")),
        _code_list("wetland_classes", "wetland_class", description="湿地类 wetland classes"),
        _code_list("wetland_types", "wetland_type", {"wetland_class": "str"}, "湿地型 wetland types"),
        _code_list("water_source_types", "source_type", description="water source types"),
        _code_list("minerals", "mineral_code", {"unit": "str", "unit_en": "str", "quantity_kind": "str"}, "minerals with units",
                   optional=("unit_en", "quantity_kind")),
        _code_list("resource_classes", "resource_class", {"kind": "str", "confidence_rank": "int"}, "GB/T 17766-2020 resource classes",
                   optional=("confidence_rank",)),
        _code_list("mining_right_types", "mining_right", description="矿业权 types"),
        _code_list("exercising_subjects", "subject", description="所有权行使主体 exercising subjects (DOMAIN §5)"),
        TableSpec("exercising_subject_rules", "exercising_subject_rules.csv",
                  {"category": "str", "item_code": "str", "subject": "str", "note": "str"},
                  ("category", "item_code"), "category × item → exercising subject (DOMAIN §5)", optional_columns=("note",)),
        _price("land_base_prices", {"region_code": "str", "price_zone": "str", "land_class": "str", "cropland_grade": "str"},
               "基准地价 base land prices (DOMAIN §4)", optional=("price_zone", "cropland_grade")),
        TableSpec("land_date_corrections", "prices/land_date_corrections.csv",
                  {"year": "int", "land_group": "str", "factor": "dec", "base_date": "str", "note": "str"},
                  ("year", "land_group"), "date correction to the accounting date", optional_columns=("base_date", "note"), price_table=True),
        TableSpec("land_plot_ratio_corrections", "prices/land_plot_ratio_corrections.csv",
                  {"year": "int", "land_use": "str", "plot_ratio": "dec", "factor": "dec"},
                  ("year", "land_use", "plot_ratio"), "plot-ratio correction, interpolated", price_table=True),
        TableSpec("land_parameters", "prices/land_parameters.csv",
                  {"year": "int", "parameter": "str", "value": "dec", "unit": "str", "note": "str"},
                  ("year", "parameter"), "capitalisation rate and legal terms", optional_columns=("unit", "note"), price_table=True),
        _price("forest_land_prices", {"region_code": "str", "land_class": "str", "land_grade": "str"},
           "forest-land prices (blank grade = any grade)", optional=("land_grade",)),
        _price("timber_prices", {"region_code": "str", "species_group": "str", "origin": "str", "age_group": "str"}, "timber prices"),
        _price("bamboo_prices", {"region_code": "str"}, "bamboo price per stem"),
        _price("grassland_prices", {"region_code": "str", "grassland_type": "str", "grade": "str"}, "grassland prices"),
        _price("wetland_prices", {"region_code": "str", "wetland_class": "str"}, "wetland prices (0 = not valued)"),
        _price("water_prices", {"region_code": "str", "source_type": "str"}, "water resource prices"),
        _price("mineral_benchmark_prices", {"region_code": "str", "mineral_code": "str"}, "矿业权出让收益市场基准价"),
        TableSpec("mineral_recovery_coefficients", "prices/mineral_recovery_coefficients.csv",
                  {"year": "int", "resource_class": "str", "coefficient": "dec"},
                  ("year", "resource_class"), "recovery coefficient per resource class", price_table=True),
        TableSpec("mineral_parameters", "prices/mineral_parameters.csv",
                  {"year": "int", "parameter": "str", "value": "dec", "unit": "str", "note": "str"},
                  ("year", "parameter"), "NPV discount rate and horizon", optional_columns=("unit", "note"), price_table=True),
    )
}

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
    "land_parameters": {"capitalisation_rate": "rate", "legal_term_commercial": "years",
                        "legal_term_residential": "years", "legal_term_other": "years"},
    "mineral_parameters": {"discount_rate_npv": "rate", "npv_max_years": "years"},
}
PARAMETER_UNITS = {"rate": "1/year", "years": "years"}

_ARROW = {"str": pa_arrow.string(), "int": pa_arrow.int64(), "dec": pa_arrow.decimal128(24, 6), "bool": pa_arrow.bool_()}


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
            checks.append(pa.Check(lambda s: s.str.fullmatch(r"-?\d*"), name="integer", error=f"{name} must be a whole number"))
        elif kind == "dec":
            checks.append(pa.Check(_parses_decimal, name="decimal", error=f"{name} must be a decimal number"))
        elif kind == "bool":
            checks.append(pa.Check.isin(["true", "false"], error=f"{name} must be true or false"))
        columns[name] = pa.Column(str, checks=checks, required=name not in spec.optional_columns, nullable=False)
    # one row per key is checked by table_rule_problems, which names both lines
    return pa.DataFrameSchema(columns, strict=False, coerce=True, name=spec.name)


@dataclass
class ReferenceTable:
    spec: TableSpec
    path: Path
    frame: pd.DataFrame  # text columns as delivered, validated
    sha256: str

    def to_arrow(self, year: int | None = None) -> pa_arrow.Table:
        """Typed snapshot; for price tables only the rows of the latest year on or before ``year``."""
        frame = self.frame
        if year is not None and self.spec.price_table:
            years = frame["year"].astype(int)
            applicable = years[years <= year]
            frame = frame[years == applicable.max()] if len(applicable) else frame.iloc[0:0]
        arrays = {}
        for name, kind in self.spec.columns.items():
            values = frame[name] if name in frame else pd.Series([""] * len(frame), index=frame.index)
            arrays[name] = _typed(values.tolist(), kind)
        return pa_arrow.table(arrays, schema=pa_arrow.schema([(n, _ARROW[k]) for n, k in self.spec.columns.items()]))


def _typed(values: list[str], kind: str) -> pa_arrow.Array:
    if kind == "str":
        return pa_arrow.array([v if v != "" else None for v in values], pa_arrow.string())
    if kind == "int":
        return pa_arrow.array([int(v) if v != "" else None for v in values], pa_arrow.int64())
    if kind == "bool":
        return pa_arrow.array([v == "true" if v != "" else None for v in values], pa_arrow.bool_())
    return pa_arrow.array([Decimal(v) if v != "" else None for v in values], _ARROW["dec"])


def load_table(name: str, reference_dir: Path = DEFAULT_REFERENCE_DIR) -> ReferenceTable:
    """Read a table as text and check it: Pandera's cell checks, then the rules the models rely on."""
    spec = TABLES[name]
    path = Path(reference_dir) / spec.file
    if not path.is_file():
        raise ReferenceTableError(path, "file not found / 参考表不存在")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ReferenceTableError(path, f"cannot be read as UTF-8 CSV ({str(exc).splitlines()[0]})") from None
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip())
    try:
        pandera_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ReferenceRulesError(path, _schema_sentences(spec, exc.failure_cases)) from None
    problems = table_rule_problems(spec, frame)
    if problems:
        raise ReferenceRulesError(path, problems)
    return ReferenceTable(spec=spec, path=path, frame=frame, sha256=sha256_of(path))


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


def _schema_sentences(spec: TableSpec, cases: pd.DataFrame) -> list[str]:
    """Pandera's failure cases as sentences: missing columns, then each cell with its line and value."""
    sentences = []
    for case in cases.itertuples(index=False):  # failure cases: a few per broken table
        if pd.isna(case.index):
            what = "is missing" if case.check == "column_in_dataframe" else f"fails {case.check}"
            sentences.append(f"{spec.file}: column {case.failure_case} {what}.")
        else:
            sentences.append(f"{spec.file} line {_line(case.index)}: {case.column} {_shown(str(case.failure_case))!r} "
                             f"is refused: {case.check}.")
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
            problems.append(f"{spec.file} line {_line(index)}: price {frame.at[index, 'price']} is negative; "
                            "a price must be 0 or more (0.00 is an explicit 'not valued', DOMAIN §4).")
    if spec.name in PRICE_UNITS:
        allowed = PRICE_UNITS[spec.name]
        for index in frame.index[~frame["unit"].isin(allowed).to_numpy()]:
            problems.append(f"{spec.file} line {_line(index)}: unit {_shown(frame.at[index, 'unit'])!r} is not one "
                            f"the model converts ({', '.join(allowed)}).")
    if spec.name in POSITIVE_FACTORS:
        column = POSITIVE_FACTORS[spec.name]
        factor = frame[column].map(Decimal)
        for index in frame.index[(factor <= 0).to_numpy()]:
            problems.append(f"{spec.file} line {_line(index)}: {column} {frame.at[index, column]} is not above 0; "
                            "a correction factor or coefficient must be positive.")
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
            problems.append(f"{spec.file} line {_line(index)} repeats the key of line {_line(first)} ({described}); "
                            "a key may have one row only.")
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
                problems.append(f"{spec.file}: year {year} has no {name} row; each year of the table needs every "
                                f"parameter ({', '.join(known)}).")
    return problems


def load_reference(reference_dir: Path = DEFAULT_REFERENCE_DIR) -> dict[str, ReferenceTable]:
    """Every reference table, each validated on its own, then the cross-table rules."""
    tables = {name: load_table(name, reference_dir) for name in TABLES}
    check_cross_references(tables)
    return tables


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
            raise ReferenceTableError(tables[table].path, f"column {column}: codes not in {code_table}: {', '.join(unknown[:10])}")
    for name, table in tables.items():
        if "region_code" in table.spec.columns and name != "admin_divisions":
            unknown = sorted(set(table.frame["region_code"]) - regions)
            if unknown:
                raise ReferenceTableError(table.path, f"region codes not in admin_divisions: {', '.join(unknown[:10])}")
    _check_mineral_price_units(tables)


def _check_mineral_price_units(tables: dict[str, ReferenceTable]) -> None:
    """A benchmark price is per unit of the mineral's quantity (元/万吨 for coal counted in 万吨): never another."""
    prices = tables["mineral_benchmark_prices"]
    units = dict(zip(tables["minerals"].frame["mineral_code"], tables["minerals"].frame["unit"]))
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


def snapshot_frame(path: Path) -> pd.DataFrame:
    """A typed snapshot read back as the text frame the code lists are built from."""
    frame = pd.read_parquet(path)
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        col = frame[name]
        if col.dtype == bool or str(col.dtype) == "boolean":
            out[name] = col.map({True: "true", False: "false"}).fillna("")
        else:
            out[name] = col.map(lambda v: "" if v is None or v != v else str(v)).astype(str)
    return out
