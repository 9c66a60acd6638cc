"""Reject lines: why a row failed, one line per failed rule, in the county's words and the auditor's.

A line names the row by its file and row (``source_file``, ``source_row``), the column and the value, the rule
(``required``, ``type``, ``code_list``, ``region``, ``range``, ``unique``, ``unit``, ``consistency``,
``legal_term``) and what exactly failed (``check``), with a message in Chinese (the column by its Chinese
label, ``schema.categories``) and in English. Lines come from Pandera's failure cases, from the cells that
did not parse at ingest (``type``, replacing the ``required`` their blank caused), from the layer features
without a usable polygon (``geometry``, DOMAIN §6) and from repeated ids (``unique``, see ``duplicates``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from assets_pipeline.schema.categories import COLUMN_NAMES_ZH
from assets_pipeline.schema.columns import CategorySpec
from assets_pipeline.validate.codes import CodeLists

if TYPE_CHECKING:
    import pandera.polars as pa

REJECT_SCHEMA = pa_arrow.schema(
    [
        ("category", pa_arrow.string()),
        ("source_file", pa_arrow.string()),
        ("source_row", pa_arrow.int64()),
        ("column", pa_arrow.string()),
        ("value", pa_arrow.string()),
        ("rule", pa_arrow.string()),
        ("check", pa_arrow.string()),
        ("message_zh", pa_arrow.string()),
        ("message_en", pa_arrow.string()),
        ("message", pa_arrow.string()),
        ("_row_id", pa_arrow.int64()),
    ]
)

RULE_MESSAGES = {
    "required": ("必填项为空", "required value is blank"),
    "type": ("不是有效的数值或格式", "not a valid number or format"),
    "code_list": ("代码不在代码表中", "code not in the code list"),
    "region": ("行政区代码不是本省县级单位", "region code is not a county of the province"),
    "range": ("数值超出允许范围", "value out of range"),
    "unique": ("标识重复", "duplicate id"),
    "unit": ("计量单位与矿种不符", "unit does not match the mineral's unit"),
    "consistency": ("字段之间不一致", "fields contradict each other"),
    "legal_term": ("出让年限超过法定最高出让年限", "granted term longer than the legal term"),
    "geometry": ("图斑没有可用的面图形，请补绘图形", "the feature has no usable polygon; draw it again"),
}
# why a layer feature has no usable polygon (ingest's ``check``), in Chinese and English
GEOMETRY_CHECKS = {
    "geometry_missing": ("无图形", "no geometry"),
    "geometry_empty": ("图形为空", "empty geometry"),
    "geometry_not_polygon": ("不是面图形", "not a polygon"),
}


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
# the column a DataFrame-level check's reject line names
FRAME_COLUMNS = {name: column for name, (_, column, _) in FRAME_CHECKS.items()}


def failing_cells(model: type[pa.DataFrameModel], table: pa_arrow.Table) -> pd.DataFrame:
    """Pandera's failure cases of a batch of ingested rows: (_row_id, column, check), one per failed cell.

    A DataFrame-level check fails a row, not a cell: it is named once per row, on the column its reject line
    names (``FRAME_CHECKS``). Only the failing rows are ever turned into pandas, by ``rows_of``.
    """
    # polars and Pandera's polars backend are imported here, not with the module: the steps that only read or
    # write reject lines (and every process that loads the definitions) do not pay for them
    import pandera.polars as pa
    import polars as pl

    from assets_pipeline.validate.model import polars_frame

    try:
        model.validate(polars_frame(table), lazy=True)
        return pd.DataFrame({"_row_id": pd.Series(dtype="int64"), "column": [], "check": []})
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.filter(pl.col("index").is_not_null())
    checks = cases["check"]
    frame_level = checks.is_in(list(FRAME_CHECKS))
    column = pl.when(frame_level).then(checks.replace_strict(FRAME_COLUMNS, default=None)).otherwise(cases["column"])
    cells = cases.select(
        pl.col("index").cast(pl.Int64).alias("position"), column.alias("column"), pl.col("check")
    ).unique(["position", "column", "check"], keep="first", maintain_order=True)
    row_ids = table["_row_id"].to_numpy()
    return pd.DataFrame(
        {
            "_row_id": row_ids[cells["position"].to_numpy()],
            "column": cells["column"].to_numpy().astype(object),
            "check": cells["check"].to_numpy().astype(object),
        }
    )


def rows_of(table: pa_arrow.Table, row_ids) -> pd.DataFrame:
    """The rows of a batch with these row ids, as pandas (indexed by row id): what their reject lines quote."""
    wanted = pa_arrow.array(np.unique(np.asarray(row_ids, dtype=np.int64)), pa_arrow.int64())
    types = {pa_arrow.int64(): pd.Int64Dtype(), pa_arrow.bool_(): pd.BooleanDtype()}.get
    frame = table.filter(pc.is_in(table["_row_id"], value_set=wanted)).to_pandas(types_mapper=types)
    frame.index = frame["_row_id"].to_numpy()
    return frame


def failures(cells: pd.DataFrame, frame: pd.DataFrame, codes: CodeLists | None = None) -> pd.DataFrame:
    """Failed cells as reject lines: (_row_id, column, value, rule, check); ``frame`` holds their rows."""
    columns = ["_row_id", "column", "value", "rule", "check"]
    if cells.empty:
        return pd.DataFrame(columns=columns)
    check = cells["check"].astype(str)
    row_ids = cells["_row_id"].astype("int64")
    value = pd.Series(None, index=cells.index, dtype=object)
    for name, at in cells.groupby("column").groups.items():  # one lookup per column, not per cell
        value[at] = frame.loc[row_ids[at].to_numpy(), name].astype(object).to_numpy()
    rule = check.map(rule_of)
    check = check.where(~check.str.startswith("isin("), "isin")  # the code list itself is too long to repeat
    for name, (_, _, says) in FRAME_CHECKS.items():
        failing = (check == name).to_numpy()
        if failing.any():
            check[failing] = says(frame, row_ids[failing], codes) if callable(says) else says
    lines = pd.DataFrame({"_row_id": row_ids, "column": cells["column"], "value": value, "rule": rule, "check": check})
    return lines.drop_duplicates(["_row_id", "column", "rule"])


def rule_of(check: str) -> str:
    if check == "not_nullable":
        return "required"
    if check in RULE_MESSAGES:
        return check
    if check in FRAME_CHECKS:
        return FRAME_CHECKS[check][0]
    if check.startswith("isin("):
        return "code_list"
    if check.startswith("dtype("):
        return "type"
    return "range"


def add_unparsed(lines: pd.DataFrame, unparsed: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Cells that did not parse: a ``type`` reject replaces the ``required`` one their null caused. A layer
    feature without a usable polygon is a ``geometry`` reject (its column is ``geometry``)."""
    if unparsed.empty:
        return lines
    here = unparsed[unparsed["_row_id"].isin(frame.index)]
    if here.empty:
        return lines
    check = here.get("check", "parse")  # why the cell was not read (Excel error, formula …)
    rule = pd.Series("type", index=here.index).where(~here["column"].eq("geometry"), "geometry")
    typed = pd.DataFrame(
        {"_row_id": here["_row_id"], "column": here["column"], "value": here["value"], "rule": rule, "check": check}
    )
    key = lines["_row_id"].astype(str) + "\x1f" + lines["column"].astype(str)
    shadowed = key.isin(typed["_row_id"].astype(str) + "\x1f" + typed["column"])
    return pd.concat([lines[~shadowed], typed], ignore_index=True)


def add_duplicates(
    lines: pd.DataFrame, duplicates: pd.DataFrame, frame: pd.DataFrame, spec: CategorySpec
) -> pd.DataFrame:
    if duplicates.empty:
        return lines
    here = duplicates[duplicates["_row_id"].isin(frame.index)]
    if here.empty:
        return lines
    key_column = spec.id_columns[0]
    dup = pd.DataFrame(
        {
            "_row_id": here["_row_id"].to_numpy(),
            "column": key_column,
            "value": frame.loc[here["_row_id"].to_numpy(), key_column].astype(object).to_numpy(),
            "rule": "unique",
            "check": here["check"].to_numpy(),
        }
    )
    return pd.concat([lines, dup], ignore_index=True)


def reject_table(lines: pd.DataFrame, frame: pd.DataFrame, category: str) -> pa_arrow.Table:
    row_ids = lines["_row_id"].to_numpy()
    zh = lines["rule"].map({rule: texts[0] for rule, texts in RULE_MESSAGES.items()})
    en = lines["rule"].map({rule: texts[1] for rule, texts in RULE_MESSAGES.items()})
    col_zh = lines["column"].map(COLUMN_NAMES_ZH | {"geometry": "图形"}).fillna(lines["column"])
    detail = lines["check"].where(~lines["check"].isin(["not_nullable", "parse", "isin", "code_list", "region"]), "")
    has_detail = detail != ""
    detail_zh = detail.map({k: v[0] for k, v in GEOMETRY_CHECKS.items()}).fillna(detail)
    detail_en = detail.map({k: v[1] for k, v in GEOMETRY_CHECKS.items()}).fillna(detail)
    message_zh = col_zh + "：" + zh + ("（" + detail_zh + "）").where(has_detail, "")
    message_en = lines["column"] + ": " + en + (" (" + detail_en + ")").where(has_detail, "")
    value = lines["value"].astype(object)
    value = value.astype(str).where(value.notna(), None)
    out = pd.DataFrame(
        {
            "category": category,
            "source_file": frame.loc[row_ids, "_source_file"].to_numpy(),
            "source_row": frame.loc[row_ids, "_source_row"].to_numpy(),
            "column": lines["column"].to_numpy(),
            "value": value.to_numpy(),
            "rule": lines["rule"].to_numpy(),
            "check": lines["check"].to_numpy(),
            "message_zh": message_zh.to_numpy(),
            "message_en": message_en.to_numpy(),
            "message": (message_zh + " / " + message_en).to_numpy(),
            "_row_id": row_ids,
        }
    ).sort_values(["_row_id", "column"])
    return pa_arrow.Table.from_pandas(out, schema=REJECT_SCHEMA, preserve_index=False)
