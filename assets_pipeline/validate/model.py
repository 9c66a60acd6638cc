"""The Pandera model of a category: its columns' checks from their descriptions, and the rules across columns.

Each column's field comes from its description in ``schema.categories``: its kind gives the dtype, ``required``
whether a blank fails, ``code_list`` the codes it must be one of and ``bounds`` its range. What no single column
can say is written here as a rule of the category: a county of the province, a land class of the code list
(a trailing K keeps its stem's class), a red-line area within its parcel, a term used within the term granted
and the legal one, a mineral's quantity in the mineral's unit.

Check names decide the reject rule: ``isin`` → code_list, bounds → range, ``region``/``unit``/``consistency``
as named (see ``rejects.rule_of``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
from pandera.typing import Series

from assets_pipeline.schema.categories import SPECS
from assets_pipeline.schema.columns import CategorySpec, CodeListBound, Column
from assets_pipeline.validate.codes import CodeLists

# The dtype a column of each kind is validated as (the pandas side of ``schema.columns.ARROW_TYPES``).
PANDERA_TYPES = {
    "id": Series[str],
    "code": Series[str],
    "region": Series[str],
    "text": Series[str],
    "number": Series[float],
    "area": Series[float],
    "integer": Series[pd.Int64Dtype],
    "bool": Series[pd.BooleanDtype],
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


def category_rules(spec: CategorySpec, codes: CodeLists) -> type[pa.DataFrameModel]:
    """The checks of a category that span columns or need more than a code list, as a model its fields extend."""
    counties, land_classes, units = codes.counties, codes.land_classes, codes.mineral_units
    legal_classes = pa_arrow.array(list(codes.legal_terms), pa_arrow.string())
    legal_years_array = pa_arrow.array([float(years) for years, _ in codes.legal_terms.values()], pa_arrow.float64())
    reversion = codes.reversion_methods

    class Located(pa.DataFrameModel):
        """Rows that name a county and (for parcels) a land class."""

        @pa.check("region_code", name="region")
        def county_of_province(cls, s: pd.Series) -> pd.Series:
            return s.isna() | s.isin(counties)

    class Parcel(Located):
        @pa.check("land_class", name="code_list")
        def known_land_class(cls, s: pd.Series) -> pd.Series:
            # a trailing K (可调整) keeps the class of its stem (DOMAIN §2)
            return s.isna() | s.str.removesuffix("K").isin(land_classes)

    if spec.name == "land":

        class LandRules(Parcel):
            @pa.dataframe_check(name="redline_within_parcel")
            def redline_within_parcel(cls, df: pd.DataFrame) -> pd.Series:
                return ~(df["redline_area_m2"] > df["area_m2"] + 0.01).fillna(False)

            @pa.dataframe_check(name="core_within_parcel")
            def core_within_parcel(cls, df: pd.DataFrame) -> pd.Series:
                return ~(df["protected_core_area_m2"] > df["area_m2"] + 0.01).fillna(False)

            @pa.dataframe_check(name="urban_within_parcel")
            def urban_within_parcel(cls, df: pd.DataFrame) -> pd.Series:
                return ~(df["urban_boundary_area_m2"] > df["area_m2"] + 0.01).fillna(False)

            @pa.dataframe_check(name="term_not_exceeded")
            def term_not_exceeded(cls, df: pd.DataFrame) -> pd.Series:
                return ~(df["years_used"] > df["granted_term_years"]).fillna(False)

            @pa.dataframe_check(name="term_within_legal_term")
            def term_within_legal_term(cls, df: pd.DataFrame) -> pd.Series:
                # granted construction land: a remaining term beyond the legal one would make the owner-equity
                # coefficient negative (DOMAIN §4); the legal term comes from land_parameters
                # looked up with Arrow: a pandas ``map`` over the text column costs six times as much
                stem = pa_arrow.array(df["land_class"].str.removesuffix("K"), pa_arrow.string(), from_pandas=True)
                years = pc.take(legal_years_array, pc.index_in(stem, value_set=legal_classes))
                legal = pd.Series(years.to_numpy(zero_copy_only=False), index=df.index, dtype=float)
                granted = df["supply_method"].isin(reversion).fillna(False).astype(bool)
                longer = (df["granted_term_years"].astype(float) > legal).fillna(False).astype(bool)
                return ~(granted & longer)

        return LandRules

    if spec.name == "minerals":

        class MineralRules(Located):
            @pa.dataframe_check(name="unit_of_mineral")
            def unit_of_mineral(cls, df: pd.DataFrame) -> pd.Series:
                # never add quantities of different units (DOMAIN §5)
                expected = df["mineral_code"].map(units)
                return (expected.isna() | df["unit"].isna() | (df["unit"] == expected)).astype(bool)

        return MineralRules

    return Parcel if "land_class" in spec.column_names else Located


# DataFrame-level checks: the rule and the column a reject line names, and what it says (a text, or the text of
# each failing row with its figures, from the frame and the code lists).
def figure(value) -> str:
    return f"{float(value):g}"


def term_beyond_use(frame: pd.DataFrame, rows, codes: CodeLists) -> list[str]:
    return [
        f"years_used {figure(frame.at[r, 'years_used'])} > granted_term_years "
        f"{figure(frame.at[r, 'granted_term_years'])}"
        for r in rows
    ]


def term_beyond_legal(frame: pd.DataFrame, rows, codes: CodeLists) -> list[str]:
    texts = []
    for r in rows:  # the failing rows only
        years, parameter = codes.legal_terms[str(frame.at[r, "land_class"]).removesuffix("K")]
        texts.append(
            f"granted_term_years {figure(frame.at[r, 'granted_term_years'])} > legal term {figure(years)} "
            f"years of class {frame.at[r, 'land_class']}, from land_parameters {parameter}"
        )
    return texts


FRAME_CHECKS = {
    "redline_within_parcel": ("consistency", "redline_area_m2", "redline_area_m2 > area_m2"),
    "core_within_parcel": ("consistency", "protected_core_area_m2", "protected_core_area_m2 > area_m2"),
    "urban_within_parcel": ("consistency", "urban_boundary_area_m2", "urban_boundary_area_m2 > area_m2"),
    "term_not_exceeded": ("consistency", "years_used", term_beyond_use),
    "term_within_legal_term": ("legal_term", "granted_term_years", term_beyond_legal),
    "unit_of_mineral": ("unit", "unit", "unit differs from minerals.csv"),
}
