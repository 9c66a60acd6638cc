"""Turning delivered cells into typed values, column at a time (Arrow compute, no row loops).

Every parse returns the typed array and a mask of cells that held something but could not be read;
the caller keeps those cells' original text so validation can reject the row with the offending
value instead of losing it (DOMAIN §5, "Nothing lost").
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Cells that mean "nothing here" in county deliveries.
EMPTY_MARKERS = ["", "-", "—", "--", "——", "/", "\\", "无", "空", "null", "NULL", "N/A", "n/a"]

# Excel's error values: a cell showing one holds no value, and the row is rejected showing the error
# (never read as empty: ``#N/A`` in a required column and in an optional one must both be seen).
EXCEL_ERRORS = [
    "#N/A",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
]

# What spreadsheets and dataframes write for a missing value: in an identifier it is no identifier at all
# (``NaN`` from a numeric id column, ``None`` from a script), so it is empty there, and ``required`` rejects it.
# In a number column ``NaN`` stays a ``type`` reject (it says "not a number", not "blank").
ID_EMPTY_MARKERS = ["nan", "none", "null", "<na>", "nat"]

_TRUE = ["是", "true", "True", "TRUE", "t", "T", "1", "y", "Y", "yes", "Yes", "YES", "有"]
_FALSE = ["否", "false", "False", "FALSE", "f", "F", "0", "n", "N", "no", "No", "NO", "无超采"]


def normalise_text(arr: pa.Array) -> pa.Array:
    """Fold full-width forms (NFKC), trim, and turn empty markers into nulls."""
    arr = _as_string(arr)
    if not pc.all(pc.string_is_ascii(arr)).as_py():  # plain ASCII has nothing to fold
        arr = pc.utf8_normalize(arr, "NFKC")
    arr = pc.utf8_trim_whitespace(arr)
    empty = pc.is_in(arr, value_set=pa.array(EMPTY_MARKERS, pa.string()))
    return pc.if_else(empty, pa.scalar(None, pa.string()), arr)


def parse_id(arr: pa.Array) -> pa.Array:
    """An identifier (parcel, base parcel, deposit): text, with ``NaN``/``null``/``None`` in any case as empty."""
    arr = normalise_text(arr)
    missing = pc.is_in(pc.utf8_lower(arr), value_set=pa.array(ID_EMPTY_MARKERS, pa.string()))
    return pc.if_else(pc.fill_null(missing, False), pa.scalar(None, pa.string()), arr)


def cell_problems(arr: pa.Array, formulas: bool) -> tuple[pa.Array, pa.Array] | None:
    """Cells holding an Excel error value, or (from a workbook) a formula saved without its value.

    Returns (mask, why) — ``why`` is the reject's check text — or None when the column has none.
    """
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    error = pc.fill_null(pc.is_in(text, value_set=pa.array(EXCEL_ERRORS, pa.string())), False)
    formula = pc.fill_null(pc.starts_with(text, "="), False) if formulas else None
    if not pc.any(error).as_py() and (formula is None or not pc.any(formula).as_py()):
        return None
    why = pc.if_else(error, pa.scalar("Excel error value 单元格错误值", pa.string()), pa.scalar(None, pa.string()))
    mask = error
    if formula is not None:
        why = pc.if_else(
            formula,
            pa.scalar("formula without a saved value 公式无计算结果（请在 Excel 中重新计算并保存）", pa.string()),
            why,
        )
        mask = pc.or_(error, formula)
    return mask, why


def _as_string(arr: pa.Array) -> pa.Array:
    """Any delivered column as text; integral floats lose their ``.0`` (Excel turns 140105 into 140105.0)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return arr.cast(pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string())
    if pa.types.is_floating(t):
        values = arr.to_numpy(zero_copy_only=False)
        integral = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**53)
        as_int = pc.cast(pc.if_else(pa.array(integral), arr, pa.scalar(None, t)), pa.int64(), safe=False)
        return pc.if_else(pa.array(integral), pc.cast(as_int, pa.string()), pc.cast(arr, pa.string()))
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "true", "false")
    return pc.cast(arr, pa.string())


def parse_code(arr: pa.Array) -> pa.Array:
    """A code: text, trimmed, ``140105.0`` → ``140105``, lower-case ``k`` suffix → ``K``."""
    arr = normalise_text(arr)
    if pc.any(pc.match_substring(arr, ".")).as_py():
        arr = pc.replace_substring_regex(arr, r"^(\d+)\.0+$", r"\1")
    if pc.any(pc.ends_with(arr, "k")).as_py():
        arr = pc.replace_substring_regex(arr, r"^(\d+)k$", r"\1K")
    return arr


def parse_land_class(arr: pa.Array) -> pa.Array:
    """A 三调 land class: a 3-digit code is a 4-digit one whose leading zero Excel dropped (101 → 0101)."""
    arr = parse_code(arr)
    if not pc.any(pc.less_equal(pc.utf8_length(arr), 4)).as_py():
        return arr
    return pc.replace_substring_regex(arr, r"^(\d{3}K?)$", r"0\1")


def parse_region(arr: pa.Array) -> pa.Array:
    """A county code: 12- or 19-digit 坐落单位代码 start with the 6-digit county code (DOMAIN §3)."""
    arr = parse_code(arr)
    if not pc.any(pc.greater(pc.utf8_length(arr), 6)).as_py():
        return arr
    return pc.replace_substring_regex(arr, r"^(\d{6})(\d{6}|\d{13})$", r"\1")


def parse_number(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A decimal number: returns (float64 values, mask of cells that were not a finite number).

    Thousand separators and full-width digits are accepted; ``inf`` and ``nan`` text are not numbers.
    """
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = pc.cast(arr, pa.float64())
        bad = pc.and_(pc.is_valid(values), pc.invert(pc.is_finite(values)))
        values = pc.if_else(pc.equal(values, 0.0), 0.0, values)  # negative zero is zero
        return pc.if_else(bad, pa.scalar(None, pa.float64()), values), pc.fill_null(bad, False)
    text = normalise_text(arr)
    text = pc.replace_substring(text, " ", "")
    grouped = pc.fill_null(pc.match_substring_regex(text, r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"), False)
    text = pc.if_else(grouped, pc.replace_substring(text, ",", ""), text)
    numeric = pc.match_substring_regex(text, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    numeric = pc.fill_null(numeric, False)
    values = pc.cast(pc.if_else(numeric, text, pa.scalar(None, pa.string())), pa.float64())
    overflow = pc.fill_null(pc.invert(pc.is_finite(values)), False)  # ``1e999`` is text for infinity
    if pc.any(overflow).as_py():
        numeric = pc.and_(numeric, pc.invert(overflow))
        values = pc.if_else(overflow, pa.scalar(None, pa.float64()), values)
    values = pc.if_else(pc.equal(values, 0.0), 0.0, values)  # negative zero is zero
    bad = pc.and_(pc.is_valid(text), pc.invert(numeric))
    return values, pc.fill_null(bad, False)


def parse_integer(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A whole number (grades, stems): a fractional value is not one."""
    values, bad = parse_number(arr)
    whole = pc.equal(pc.floor(values), values)
    fractional = pc.fill_null(pc.invert(whole), False)
    ints = pc.cast(pc.if_else(fractional, pa.scalar(None, pa.float64()), values), pa.int64(), safe=False)
    return ints, pc.or_(bad, fractional)


def parse_bool(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    if pa.types.is_boolean(arr.type):
        return arr, pa.array(np.zeros(len(arr), dtype=bool))
    text = normalise_text(arr)
    is_true = pc.is_in(text, value_set=pa.array(_TRUE))
    is_false = pc.is_in(text, value_set=pa.array(_FALSE))
    known = pc.or_(is_true, is_false)
    values = pc.if_else(known, is_true, pa.scalar(None, pa.bool_()))
    bad = pc.and_(pc.is_valid(text), pc.invert(known))
    return values, pc.fill_null(bad, False)


def scale(values: pa.Array, factor: str) -> pa.Array:
    """Convert a quantity to its canonical unit, kept to 2 decimals (survey precision for areas in m²)."""
    if Decimal(factor) == 1:
        return values
    return pc.round(pc.multiply(values, float(Decimal(factor))), 2, round_mode="half_up")
