"""Reading county deliveries: CSV (any common encoding), XLSX, Parquet and layers' fields, in bounded batches.

A reader yields Arrow record batches with the file's own headers plus ``_source_row``: the row
number as the user sees it in the file (CSV line, Excel row, 1-based Parquet record, layer feature), so a
rejected row can be found and fixed by the county that sent it. A layer's polygons are read by ingest
itself (``layer_files``); here only its fields, as the county packs show them. Each format has its module
(``text_files``, ``workbooks``); the files themselves are found by ``delivered`` and their headers
matched by ``headers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.ingest.delivered import (
    BATCH_ROWS,
    LAYER_FORMATS,
    DeliveredFile,
    detect_format,
    short_message,
    with_source_rows,
)
from assets_pipeline.ingest.text_files import csv_batches
from assets_pipeline.ingest.workbooks import xlsx_batches
from assets_pipeline.schema.columns import CategorySpec
from assets_pipeline.spatial.layers import choose_layer, layer_encoding, read_layer


def read_batches(
    path: Path,
    delivered: DeliveredFile,
    sheet: str | None = None,
    spec: CategorySpec | None = None,
    layer: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the file as record batches of its own columns plus ``_source_row``.

    ``spec`` lets a workbook's header row be found below title rows and across several sheets.
    Rows whose every cell is empty are not rows (trailing blank lines, separator-only lines).
    """
    fmt = detect_format(path)
    delivered.format = fmt
    if fmt in LAYER_FORMATS:
        delivered.layer = choose_layer(path, spec.name if spec else None, layer)
        delivered.encoding = layer_encoding(path)
        for chunk in read_layer(path, delivered.layer, geometry=False):
            table = chunk.attributes
            columns = [c.combine_chunks() for c in table.columns]
            yield with_source_rows(pa.RecordBatch.from_arrays(columns, schema=table.schema), chunk.first_row)
    elif fmt == "parquet":
        yield from parquet_batches(path)
    elif fmt == "xlsx":
        yield from xlsx_batches(path, delivered, sheet, spec)
    else:
        yield from csv_batches(path, delivered)


def parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(path, f"not a readable Parquet file ({short_message(exc)}) / Parquet 文件损坏") from None
    next_row = 1
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            yield with_source_rows(batch, next_row)
            next_row += batch.num_rows
        if next_row == 1:  # no records: the columns are still checked
            yield with_source_rows(pa.RecordBatch.from_pylist([], schema=parquet.schema_arrow), 1)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(
            path, f"Parquet file is damaged after record {next_row - 1} ({short_message(exc)}) / Parquet 文件损坏"
        ) from None
