"""Value: run a category's SQL model (``valuation_models/<model>.sql``) in an in-process DuckDB.

The engine only prepares what the model reads — the validated inventory as ``inventory``, each
reference snapshot as ``ref_<table>``, the region hierarchy as ``regions``, run parameters as
DuckDB variables — then adds the exercising subject (DOMAIN §5: the row's own ``subject`` column where
the delivery gives one, else the rule table by category × item, ``subject_source`` says which) and the
model's name and version to every row and streams the result to Parquet. The formulas themselves live in the SQL files,
where an auditor can read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from assets_pipeline.consistency.base_map import has_resolved_base_map, register_resolved_base_map
from assets_pipeline.consistency.overlay_inputs import register_price_weights, register_zone_areas
from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files, parts
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.reference.snapshots import register_reference_views
from assets_pipeline.schema.land import MEMO_AREA_COLUMNS

MODELS_DIR = Path(__file__).resolve().parents[2] / "valuation_models"
MODEL_OF_CATEGORY = {
    "land": "land",
    "forest": "forest",
    "grassland": "grassland",
    "wetland": "wetland",
    "water": "water",
    "minerals": "minerals_{mineral_model}",
}


@dataclass(frozen=True)
class Model:
    name: str
    version: str
    path: Path
    sql: str
    uses: tuple[str, ...] = ()

    @classmethod
    def load(cls, name: str) -> Model:
        path = MODELS_DIR / f"{name}.sql"
        sql = path.read_text(encoding="utf-8")
        match = re.search(r"^--\s*version:\s*(\S+)", sql, re.MULTILINE)
        if not match:
            raise ValueError(f"{path}: the header must state '-- version: X.Y.Z'")
        uses = re.search(r"^--\s*uses:\s*(.+)$", sql, re.MULTILINE)
        names = tuple(u.strip() for u in uses.group(1).split(",")) if uses else ()
        return cls(name=name, version=match.group(1), path=path, sql=sql, uses=names)


def model_for(category: str, mineral_model: str = "benchmark") -> Model:
    if mineral_model not in ("benchmark", "npv"):
        raise ValueError(f"mineral model must be 'benchmark' or 'npv', not {mineral_model!r}")
    return Model.load(MODEL_OF_CATEGORY[category].format(mineral_model=mineral_model))


@dataclass
class ValuationResult:
    category: str
    model: Model
    rows_by_status: dict[str, int] = field(default_factory=dict)
    value_yuan: Decimal = Decimal(0)
    unpriced_share: float = 0.0
    parameters: dict[str, str] = field(default_factory=dict)  # parameters the model used, and where from


class ValuationParameterError(ValueError):
    """A parameter the chosen model needs is in neither the reference tables nor the run's options."""


DISCOUNT_RATE_TABLE = "mineral_parameters"


def npv_discount_rate(layout: YearLayout, override: float | None = None) -> tuple[Decimal, str]:
    """The NPV model's discount rate r and where it comes from (DOMAIN §4).

    The run's ``discount_rate`` option when given; else ``discount_rate_npv`` of
    reference_tables/prices/mineral_parameters.csv in force for the accounting year (the year's snapshot holds
    the rows of the latest table year on or before it).
    """
    if override is not None:
        return Decimal(str(override)), "run option discount_rate (--discount-rate)"
    with connect() as con:
        found = con.execute(
            "SELECT value, year FROM read_parquet($p) WHERE parameter = 'discount_rate_npv'",
            {"p": str(layout.reference(DISCOUNT_RATE_TABLE))},
        ).fetchall()
    if not found:
        raise ValuationParameterError(
            f"prices/{DISCOUNT_RATE_TABLE}.csv has no discount_rate_npv row for {layout.year} or a year before it: "
            "add one, or give the run's discount rate (--discount-rate)"
        )
    value, year = found[0]
    return Decimal(value).normalize(), f"reference_tables/prices/{DISCOUNT_RATE_TABLE}.csv, year {year}"


def prepare(con: duckdb.DuckDBPyConnection, layout: YearLayout, variables: dict[str, object]) -> None:
    """Views over the year's reference snapshots and the region hierarchy; run parameters as variables."""
    register_reference_views(con, layout)
    province = con.execute("SELECT region_code FROM ref_admin_divisions WHERE level = 'province'").fetchone()[0]
    values = {"province_code": province, "year": layout.year, **variables}
    for key, value in values.items():
        if not re.fullmatch(r"[a-z_]+", key):
            raise ValueError(f"bad variable name {key!r}")
        con.execute(f"SET VARIABLE {key} = $value", {"value": value})


def register_inventory(con: duckdb.DuckDBPyConnection, layout: YearLayout, category: str) -> None:
    """The rows the model values, as ``inventory``: the consistency step's resolved rows where it ran (DOMAIN §2,
    assets_pipeline/consistency/), else the validated rows, with the consistency columns left empty."""
    resolved = layout.resolved(category)
    if category == "land" and has_resolved_base_map(layout):
        register_resolved_base_map(con, layout, "inventory_rows")
    elif category == "land":  # the survey as validated, with the overlay's zone areas (DOMAIN §6)
        con.register("survey_rows", con.read_parquet(parts(layout.validated(category))))
        register_zone_areas(con, layout, "survey_rows", "inventory_rows")
    else:
        folder = resolved if part_files(resolved) else layout.validated(category)
        con.register("inventory_rows", con.read_parquet(parts(folder)))
    columns = {row[0] for row in con.execute("DESCRIBE inventory_rows").fetchall()}
    wanted = {"consistency_findings": "NULL::VARCHAR", "consistency_exclusion": "NULL::VARCHAR"}
    if category in ("forest", "grassland", "wetland"):
        # the base parcel's protected-area shares (DOMAIN §2 memos); what the consistency step did to the row and
        # the area it was delivered with (rows it did not see stand as delivered)
        wanted.update({f"{memo}_share": "NULL::DECIMAL(18, 10)" for memo in MEMO_AREA_COLUMNS})
        wanted.update(
            {
                "base_parcel_id": "NULL::VARCHAR",
                "consistency_action": "NULL::VARCHAR",
                "delivered_area_m2": "CAST(area_m2 AS DECIMAL(18, 2))",
                "base_link": "'delivered'",
            }
        )
    extra = "".join(f", {value} AS {c}" for c, value in wanted.items() if c not in columns)
    con.execute(f"CREATE TEMP VIEW inventory AS SELECT *{extra} FROM inventory_rows")


def value_category(
    category: str,
    layout: YearLayout,
    out_path: Path,
    mineral_model: str = "benchmark",
    discount_rate: float | None = None,
) -> ValuationResult:
    """Run the category's model over its validated inventory and write the row-level values.

    ``discount_rate`` overrides the NPV model's rate of the reference tables (``npv_discount_rate``)."""
    model = model_for(category, mineral_model)
    variables: dict[str, object] = {"model_version": model.version}
    parameters: dict[str, str] = {}
    if model.name == "minerals_npv":
        rate, source = npv_discount_rate(layout, discount_rate)
        variables.update(discount_rate=str(rate), discount_rate_source=source)
        parameters = {"discount_rate": str(rate), "discount_rate_source": source}
    with connect(layout.stages / "duckdb_tmp") as con:
        prepare(con, layout, variables)
        register_inventory(con, layout, category)
        if category == "land":  # the overlay's price levels per parcel (DOMAIN §6), empty without price layers
            register_price_weights(con, layout)
        for used in model.uses:
            con.execute(f"CREATE TEMP VIEW model_{used} AS {Model.load(used).sql}")
        con.execute(f"CREATE TEMP VIEW model_rows AS {model.sql}")
        # A row's delivered file is one of a few hundred names repeated over millions of rows: as an ENUM (DuckDB's
        # dictionary type) it goes through the sort as a small integer instead of the name, and is written as the
        # same Parquet text column. The names are entered in order, so rows sort as they would by the name.
        con.execute(
            "CREATE TEMP TYPE source_file AS ENUM ("
            "SELECT DISTINCT _source_file FROM inventory_rows WHERE _source_file IS NOT NULL ORDER BY 1)"
        )
        params = {"model": model.name, "version": model.version, "year": layout.year}
        with atomic_path(out_path) as tmp:
            con.execute(sql.load(__file__, "valued_rows", path=sql.path_literal(tmp)), params)
        result = ValuationResult(category=category, model=model, parameters=parameters)
        rows = con.execute(
            "SELECT status, count(*), coalesce(sum(value_yuan), 0) FROM read_parquet($p) GROUP BY status",
            {"p": str(out_path)},
        ).fetchall()
    result.rows_by_status = {status: n for status, n, _ in rows}
    result.value_yuan = sum((v for _, _, v in rows), Decimal(0))
    in_scope = result.rows_by_status.get("valued", 0) + result.rows_by_status.get("unpriced", 0)
    result.unpriced_share = result.rows_by_status.get("unpriced", 0) / in_scope if in_scope else 0.0
    return result
