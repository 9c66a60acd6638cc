"""Reference tables: code lists and price tables, validated with Pandera before anything uses them.

They ship as sample data in ``reference_tables/`` and a province replaces them with its own
(same files, same columns). This module says which tables there are and reads each as text; the rules a
table must keep are in assets_pipeline/reference/rules.py. Every problem is one sentence naming the file,
its line and the value, and a table with problems stops the run at the reference step. The checked tables are then
written as typed Parquet snapshots for the year, so every later step (and every auditor) sees
exactly the rows that were in force, with the file's SHA-256 as its data version.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from assets_pipeline.infra.errors import ReferenceTableError
from assets_pipeline.ingest.delivered import sha256_of
from assets_pipeline.reference.rules import (
    ReferenceRulesError,
    check_cross_references,
    pandera_schema,
    schema_sentences,
    table_rule_problems,
)

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


def _code_list(
    name: str, code: str, extra: _T | None = None, description: str = "", optional: tuple[str, ...] = ()
) -> TableSpec:
    columns = {code: "str", "name_zh": "str", "name_en": "str", **(extra or {})}
    return TableSpec(name, f"{name}.csv", columns, (code,), description, optional_columns=optional)


def _price(name: str, keys: _T, description: str, value: str = "price", optional: tuple[str, ...] = ()) -> TableSpec:
    columns = {"year": "int", **keys, value: "dec", "unit": "str"}
    return TableSpec(
        name,
        f"prices/{name}.csv",
        columns,
        ("year", *keys),
        description,
        optional_columns=optional + ("note",),
        price_table=True,
    )


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        _code_list(
            "land_classes",
            "land_class",
            {"level": "int", "parent_class": "str", "land_group": "str", "category": "str"},
            "三调工作分类 land classes with land group and category (DOMAIN §2)",
            optional=("parent_class",),
        ),
        _code_list("land_groups", "land_group", description="农用地 / 建设用地 / 未利用地"),
        TableSpec(
            "admin_divisions",
            "admin_divisions.csv",
            {
                "region_code": "str",
                "name": "str",
                "level": "str",
                "parent_code": "str",
                "longitude": "dec",
                "latitude": "dec",
            },
            ("region_code",),
            "administrative divisions of the province (GB/T 2260 codes)",
            optional_columns=("parent_code", "longitude", "latitude"),
        ),
        _code_list("ownership_codes", "code", {"is_state": "bool"}, "权属性质 QSXZ land ownership (DOMAIN §2)"),
        _code_list("tree_ownership_codes", "code", {"is_state": "bool"}, "林木所有权 tree ownership (DOMAIN §2)"),
        _code_list("supply_methods", "supply_method", {"owner_equity": "str"}, "land supply methods (DOMAIN §4)"),
        _code_list("forest_types", "forest_type", description="林种 forest types", optional=()),
        _code_list("forest_origins", "origin", description="起源 origin"),
        _code_list("forest_age_groups", "age_group", description="龄组 age groups"),
        _code_list("forest_species_groups", "species_group", description="species groups priced alike"),
        _code_list("forest_species", "species_code", {"species_group": "str"}, "优势树种 dominant species"),
        _code_list("grassland_types", "grassland_type", description="草原类 grassland classes"),
        _code_list(
            "grassland_grades",
            "grade",
            {"hay_min_kg_per_ha": "dec", "hay_max_kg_per_ha": "dec"},
            "草原等级 grades",
            optional=("hay_min_kg_per_ha", "hay_max_kg_per_ha"),
        ),
        _code_list("wetland_classes", "wetland_class", description="湿地类 wetland classes"),
        _code_list("wetland_types", "wetland_type", {"wetland_class": "str"}, "湿地型 wetland types"),
        _code_list("water_source_types", "source_type", description="water source types"),
        _code_list(
            "minerals",
            "mineral_code",
            {"unit": "str", "unit_en": "str", "quantity_kind": "str"},
            "minerals with units",
            optional=("unit_en", "quantity_kind"),
        ),
        _code_list(
            "resource_classes",
            "resource_class",
            {"kind": "str", "confidence_rank": "int"},
            "GB/T 17766-2020 resource classes",
            optional=("confidence_rank",),
        ),
        _code_list("mining_right_types", "mining_right", description="矿业权 types"),
        _code_list("exercising_subjects", "subject", description="所有权行使主体 exercising subjects (DOMAIN §5)"),
        TableSpec(
            "exercising_subject_rules",
            "exercising_subject_rules.csv",
            {"category": "str", "item_code": "str", "subject": "str", "note": "str"},
            ("category", "item_code"),
            "category × item → exercising subject (DOMAIN §5)",
            optional_columns=("note",),
        ),
        _price(
            "land_base_prices",
            {"region_code": "str", "price_zone": "str", "land_class": "str", "cropland_grade": "str"},
            "基准地价 base land prices (DOMAIN §4)",
            optional=("price_zone", "cropland_grade"),
        ),
        TableSpec(
            "land_date_corrections",
            "prices/land_date_corrections.csv",
            {"year": "int", "land_group": "str", "factor": "dec", "base_date": "str", "note": "str"},
            ("year", "land_group"),
            "date correction to the accounting date",
            optional_columns=("base_date", "note"),
            price_table=True,
        ),
        TableSpec(
            "land_plot_ratio_corrections",
            "prices/land_plot_ratio_corrections.csv",
            {"year": "int", "land_use": "str", "plot_ratio": "dec", "factor": "dec"},
            ("year", "land_use", "plot_ratio"),
            "plot-ratio correction, interpolated",
            price_table=True,
        ),
        TableSpec(
            "land_parameters",
            "prices/land_parameters.csv",
            {"year": "int", "parameter": "str", "value": "dec", "unit": "str", "note": "str"},
            ("year", "parameter"),
            "capitalisation rate and legal terms",
            optional_columns=("unit", "note"),
            price_table=True,
        ),
        _price(
            "forest_land_prices",
            {"region_code": "str", "land_class": "str", "land_grade": "str"},
            "forest-land prices (blank grade = any grade)",
            optional=("land_grade",),
        ),
        _price(
            "timber_prices",
            {"region_code": "str", "species_group": "str", "origin": "str", "age_group": "str"},
            "timber prices",
        ),
        _price("bamboo_prices", {"region_code": "str"}, "bamboo price per stem"),
        _price("grassland_prices", {"region_code": "str", "grassland_type": "str", "grade": "str"}, "grassland prices"),
        _price("wetland_prices", {"region_code": "str", "wetland_class": "str"}, "wetland prices (0 = not valued)"),
        _price("water_prices", {"region_code": "str", "source_type": "str"}, "water resource prices"),
        _price("mineral_benchmark_prices", {"region_code": "str", "mineral_code": "str"}, "矿业权出让收益市场基准价"),
        TableSpec(
            "mineral_recovery_coefficients",
            "prices/mineral_recovery_coefficients.csv",
            {"year": "int", "resource_class": "str", "coefficient": "dec"},
            ("year", "resource_class"),
            "recovery coefficient per resource class",
            price_table=True,
        ),
        TableSpec(
            "mineral_parameters",
            "prices/mineral_parameters.csv",
            {"year": "int", "parameter": "str", "value": "dec", "unit": "str", "note": "str"},
            ("year", "parameter"),
            "NPV discount rate and horizon",
            optional_columns=("unit", "note"),
            price_table=True,
        ),
    )
}

_ARROW = {
    "str": pa_arrow.string(),
    "int": pa_arrow.int64(),
    "dec": pa_arrow.decimal128(24, 6),
    "bool": pa_arrow.bool_(),
}


@dataclass
class ReferenceTable:
    spec: TableSpec
    path: Path
    frame: pd.DataFrame  # text columns as delivered, validated
    sha256: str
    file: str = ""  # as the manifest and the report's cover name it: reference_tables/<province>/… for a province's own

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


def table_path(name: str, reference_dir: Path, province: str | None = None) -> Path:
    """A province's own table (``<reference-dir>/<province>/<file>``) where it has one, else the shipped table: a
    province replaces the tables it prices differently, file by file, and keeps the rest (DOMAIN §7)."""
    file = TABLES[name].file
    own = Path(reference_dir) / province / file if province else None
    return own if own is not None and own.is_file() else Path(reference_dir) / file


def load_table(name: str, reference_dir: Path = DEFAULT_REFERENCE_DIR, province: str | None = None) -> ReferenceTable:
    """Read a table as text and check it: Pandera's cell checks, then the rules the models rely on."""
    spec = TABLES[name]
    path = table_path(name, reference_dir, province)
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
        raise ReferenceRulesError(path, schema_sentences(spec, exc.failure_cases)) from None
    problems = table_rule_problems(spec, frame)
    if problems:
        raise ReferenceRulesError(path, problems)
    file = f"{Path(reference_dir).name}/{path.relative_to(reference_dir).as_posix()}"
    return ReferenceTable(spec=spec, path=path, frame=frame, sha256=sha256_of(path), file=file)


def load_reference(
    reference_dir: Path = DEFAULT_REFERENCE_DIR, province: str | None = None
) -> dict[str, ReferenceTable]:
    """Every reference table, each validated on its own, then the cross-table rules."""
    tables = {name: load_table(name, reference_dir, province) for name in TABLES}
    check_cross_references(tables)
    return tables
