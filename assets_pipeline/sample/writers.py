"""Writing a delivered table the way its county sends it: CSV (UTF-8, UTF-8 with BOM or GBK), XLSX or Parquet,
under canonical, survey or Chinese headers."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from assets_pipeline.sample.counties import Delivery
from assets_pipeline.sample.defects import Planted
from assets_pipeline.sample.number_text import DECIMALS, decimal_text
from assets_pipeline.schema.categories import CategorySpec, Column

# A fixed timestamp for XLSX properties and zip entries, so that a workbook's bytes depend on its content only.
FIXED_TIMESTAMP = datetime.datetime(2024, 1, 1, 0, 0, 0)


def is_chinese(name: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in name)


def header_for(column: Column, delivery: Delivery) -> str:
    """The header a county of this delivery style uses for a column; always a name categories.py knows.

    survey: the short field name of the survey databases (first ASCII alias: BSM, XZQDM, DLBM …);
    chinese: the first Chinese alias (标识码, 行政区代码, 地类编码 …); an area in 亩 says so in its header."""
    style = delivery.headers
    if column.name == "region_code" and delivery.long_region_code:
        name = {"survey": "ZLDWDM", "chinese": "坐落单位代码"}.get(style, column.name)
    else:
        ascii_aliases = [a for a in column.aliases if a.isascii()]
        chinese_aliases = [a for a in column.aliases if is_chinese(a)]
        if style == "survey":
            name = (ascii_aliases or chinese_aliases or [column.name])[0]
        elif style == "chinese":
            name = (chinese_aliases or ascii_aliases or [column.name])[0]
        else:
            name = column.name
    if name != column.name and name not in column.aliases:
        raise ValueError(f"header {name!r} is not an alias of {column.name}")
    if column.kind == "area" and delivery.area_unit == "mu":
        name += "(亩)"
    return name


def headers_for(spec: CategorySpec, names: Sequence[str], delivery: Delivery) -> list[str]:
    headers = [header_for(spec.column(n), delivery) for n in names]
    if len(set(headers)) != len(headers):
        raise ValueError(f"duplicate headers for {spec.name}: {headers}")
    return headers


def column_text(name: str, array: pa.ChunkedArray, chinese: bool) -> pa.Array:
    """A column as the text a CSV file holds."""
    kind = array.type
    if pa.types.is_floating(kind):
        return decimal_text(array, DECIMALS.get(name, 2))
    if pa.types.is_boolean(kind):
        yes, no = ("是", "否") if chinese else ("true", "false")
        return pc.if_else(array, yes, no)
    return pc.cast(array.combine_chunks(), pa.string())


def with_text_cells(array: pa.Array, cells: tuple[np.ndarray, np.ndarray]) -> pa.Array:
    positions, values = cells
    mask = np.zeros(len(array), dtype=bool)
    mask[positions] = True
    order = np.argsort(positions, kind="stable")
    return pc.replace_with_mask(array, pa.array(mask), pa.array(values[order], type=pa.string()))


def csv_bytes(table: pa.Table, headers: list[str], planted: Planted, delivery: Delivery) -> bytes:
    chinese = delivery.headers == "chinese"
    columns = []
    for name in table.column_names:
        array = column_text(name, table.column(name), chinese)
        if name in planted.text_cells:
            array = with_text_cells(array, planted.text_cells[name])
        columns.append(array)
    buffer = io.BytesIO()
    buffer.write((",".join(headers) + "\n").encode("utf-8"))
    pacsv.write_csv(
        pa.table(columns, names=table.column_names),
        buffer,
        pacsv.WriteOptions(include_header=False, quoting_style="none"),
    )
    data = buffer.getvalue()
    if delivery.encoding == "gbk":
        return data.decode("utf-8").encode("gbk")
    if delivery.encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + data
    return data


def parquet_table(table: pa.Table, headers: list[str], planted: Planted) -> pa.Table:
    """Typed columns under the delivery's headers (no text cell: see ``defect_kinds``)."""
    if planted.text_cells:
        raise ValueError("a typed Parquet column cannot hold an unparseable number")
    return table.rename_columns(headers)


def xlsx_bytes(table: pa.Table, headers: list[str], planted: Planted, delivery: Delivery) -> bytes:
    """An XLSX workbook: header in row 1 of the first sheet, numbers as numbers, codes as text.

    openpyxl accepts rows one at a time only, so this is the one place rows are handed over in a loop; the
    values themselves are all computed column-wise beforehand."""
    cells = []
    for name in table.column_names:
        array = table.column(name)
        if pa.types.is_boolean(array.type):
            array = column_text(name, array, True)
        values = np.array(array.to_pylist(), dtype=object)
        if name in planted.text_cells:
            positions, written = planted.text_cells[name]
            values[positions] = written
        cells.append(values)
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = FIXED_TIMESTAMP
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(headers)
    for row in zip(*cells, strict=False):
        sheet.append(row)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return fixed_time_zip(raw.getvalue())


def fixed_time_zip(data: bytes) -> bytes:
    """The same zip with every entry stamped FIXED_TIMESTAMP, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


def write_delivered(path: Path, table: pa.Table, spec: CategorySpec, planted: Planted, delivery: Delivery) -> None:
    headers = headers_for(spec, table.column_names, delivery)
    path.parent.mkdir(parents=True, exist_ok=True)
    if delivery.file_format == "parquet":
        pq.write_table(parquet_table(table, headers, planted), path, compression="snappy")
    elif delivery.file_format == "csv":
        path.write_bytes(csv_bytes(table, headers, planted, delivery))
    elif delivery.file_format == "xlsx":
        path.write_bytes(xlsx_bytes(table, headers, planted, delivery))
    else:
        raise ValueError(f"unknown file format {delivery.file_format}")


def user_row_numbers(positions: np.ndarray, delivery: Delivery) -> np.ndarray:
    """Row numbers as the user sees them: CSV line / Excel row (header is 1), or Parquet record or layer feature
    (first is 1)."""
    return positions + (1 if delivery.file_format == "parquet" or delivery.is_layer else 2)
