"""The Pandera model of a category: its columns' checks from their descriptions, and the rules across columns.

Each column's field comes from its description in ``schema.categories``: its kind gives the dtype, ``required``
whether a blank fails, ``code_list`` the codes it must be one of and ``bounds`` its range. What no single column
can say is written here as a rule of the category: a county of the province, a land class of the code list
(a trailing K keeps its stem's class), a red-line area within its parcel, a term used within the term granted
and the legal one, a mineral's quantity in the mineral's unit.

The model runs on Pandera's polars backend: a batch of ingested Arrow rows is handed to polars without a
copy of its numbers, and the checks run as polars expressions, about three times faster than
the same checks on a pandas DataFrame (``benchmarks/README.md``, 2026-12-07). A blank is a null, as pandas
would see it: ``polars_frame`` turns a float NaN into a null, so a NaN fails ``required`` and passes a range.

Check names decide the reject rule: ``isin`` → code_list, bounds → range, ``region``/``unit``/``consistency``
as named, a DataFrame-level check by its entry in ``rejects.FRAME_CHECKS`` (see ``rejects.rule_of``).
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import pyarrow as pa_arrow

from assets_pipeline.schema.categories import SPECS
from assets_pipeline.schema.columns import CategorySpec, CodeListBound, Column
from assets_pipeline.validate.codes import CodeLists

# The dtype a column of each kind is validated as (the polars side of ``schema.columns.ARROW_TYPES``).
PANDERA_TYPES = {
    "id": pl.String,
    "code": pl.String,
    "region": pl.String,
    "text": pl.String,
    "number": pl.Float64,
    "area": pl.Float64,
    "integer": pl.Int64,
    "bool": pl.Boolean,
}


def build_model(category: str, codes: CodeLists) -> type[pa.DataFrameModel]:
    """The Pandera DataFrameModel of one category, with the province's code lists.

    Built per run because the code lists come from the reference tables.
    """
    return model_of(SPECS[category], codes)


def model_of(spec: CategorySpec, codes: CodeLists) -> type[pa.DataFrameModel]:
    """A category's model from its description: one field per column, on the category's rules across columns."""
    annotations = {column.name: PANDERA_TYPES[column.kind] for column in spec.columns}
    fields = {column.name: column_field(column, codes) for column in spec.columns}
    rules = category_rules(spec, codes)
    return type(spec.name.capitalize(), (rules,), {"__annotations__": annotations, "__module__": __name__, **fields})


def column_field(column: Column, codes: CodeLists) -> pa.Field:
    """A column's checks: not blank when required, its range, its code list."""
    checks: dict[str, object] = {
        name: codes.bound(bound) if isinstance(bound, CodeListBound) else bound for name, bound in column.bounds
    }
    if column.code_list is not None:
        checks["isin"] = codes.codes[column.name]
    return pa.Field(nullable=column.nullable, **checks)


def polars_frame(table: pa_arrow.Table) -> pl.DataFrame:
    """A batch of ingested rows as the model checks it: a float NaN is a blank (pandas' reading of it)."""
    frame = pl.from_arrow(table)
    floats = [name for name, dtype in frame.schema.items() if dtype == pl.Float64]
    return frame.with_columns(pl.col(floats).fill_nan(None)) if floats else frame


def _passes(expression: pl.Expr) -> pl.Expr:
    """A rule that cannot be judged (a blank figure) passes: the blank is ``required``'s to reject."""
    return expression.fill_null(True)


def category_rules(spec: CategorySpec, codes: CodeLists) -> type[pa.DataFrameModel]:
    """The checks of a category that span columns or need more than a code list, as a model its fields extend."""
    counties, land_classes, units = list(codes.counties), list(codes.land_classes), dict(codes.mineral_units)
    legal_years = {land_class: float(years) for land_class, (years, _) in codes.legal_terms.items()}
    reversion = list(codes.reversion_methods)

    class Located(pa.DataFrameModel):
        """Rows that name a county and (for parcels) a land class."""

        @pa.check("region_code", name="region")
        def county_of_province(cls, data: pa.PolarsData) -> pl.LazyFrame:
            return data.lazyframe.select(_passes(pl.col(data.key).is_in(counties)))

    class Parcel(Located):
        @pa.check("land_class", name="code_list")
        def known_land_class(cls, data: pa.PolarsData) -> pl.LazyFrame:
            # a trailing K (可调整) keeps the class of its stem (DOMAIN §2)
            return data.lazyframe.select(_passes(pl.col(data.key).str.strip_suffix("K").is_in(land_classes)))

    def within_parcel(column: str):
        def check(cls, data: pa.PolarsData) -> pl.LazyFrame:
            return data.lazyframe.select(_passes(~(pl.col(column) > pl.col("area_m2") + 0.01)))

        return check

    if spec.name == "land":

        class LandRules(Parcel):
            redline_within_parcel = pa.dataframe_check(name="redline_within_parcel")(within_parcel("redline_area_m2"))
            core_within_parcel = pa.dataframe_check(name="core_within_parcel")(within_parcel("protected_core_area_m2"))
            urban_within_parcel = pa.dataframe_check(name="urban_within_parcel")(
                within_parcel("urban_boundary_area_m2")
            )

            @pa.dataframe_check(name="term_not_exceeded")
            def term_not_exceeded(cls, data: pa.PolarsData) -> pl.LazyFrame:
                return data.lazyframe.select(_passes(~(pl.col("years_used") > pl.col("granted_term_years"))))

            @pa.dataframe_check(name="term_within_legal_term")
            def term_within_legal_term(cls, data: pa.PolarsData) -> pl.LazyFrame:
                # granted construction land: a remaining term beyond the legal one would make the owner-equity
                # coefficient negative (DOMAIN §4); the legal term comes from land_parameters
                stem = pl.col("land_class").str.strip_suffix("K")
                legal = stem.replace_strict(legal_years, default=None, return_dtype=pl.Float64)
                granted = pl.col("supply_method").is_in(reversion).fill_null(False)
                longer = (pl.col("granted_term_years").cast(pl.Float64) > legal).fill_null(False)
                return data.lazyframe.select(~(granted & longer))

        return LandRules

    if spec.name == "minerals":

        class MineralRules(Located):
            @pa.dataframe_check(name="unit_of_mineral")
            def unit_of_mineral(cls, data: pa.PolarsData) -> pl.LazyFrame:
                # never add quantities of different units (DOMAIN §5)
                expected = pl.col("mineral_code").replace_strict(units, default=None, return_dtype=pl.String)
                return data.lazyframe.select(_passes(pl.col("unit") == expected))

        return MineralRules

    return Parcel if "land_class" in spec.column_names else Located
