"""Delimited text deliveries (CSV, TSV, TXT) in any encoding counties use, read in bounded batches."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.ingest.delivered import DeliveredFile, short_message, without_empty_rows

SNIFF_BYTES = 1 << 20


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (a superset of GBK and GB2312)."""
    with open(path, "rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    final = len(sample) < SNIFF_BYTES
    if sample.isascii() and not final:
        sample, final = _first_non_ascii_lines(path)
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=final)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(path, "unknown text encoding (not UTF-8, UTF-16 or GBK/GB18030) / 无法识别的文件编码")


def _first_non_ascii_lines(path: Path) -> tuple[bytes, bool]:
    """The lines from the first non-ASCII byte on (up to 1 MiB), and whether they end the file.

    A county file whose first megabyte is codes and numbers only may hold its first Chinese text
    (a 备注, a basin name) millions of lines later: the encoding is decided there, not guessed.
    """
    offset = 0
    with open(path, "rb") as fh:
        while block := fh.read(16 << 20):
            if not block.isascii():
                # the first 4 KiB slice holding a non-ASCII byte: everything before it is ASCII, so it
                # starts on a character boundary in UTF-8 and GB18030 alike
                first = next(i for i in range(0, len(block), 4096) if not block[i : i + 4096].isascii())
                fh.seek(offset + first)
                window = fh.read(SNIFF_BYTES)
                return window, len(window) < SNIFF_BYTES
            offset += len(block)
    return b"", True


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if max(counts.values()) > 0 else ","


def csv_batches(path: Path, delivered: DeliveredFile) -> Iterator[pa.RecordBatch]:
    """A CSV file in batches; ``_source_row`` is the file line where the row starts.

    A quoted value may hold line breaks, so a row may span several lines: each row's line count is
    1 + the line breaks inside its values, and its first line is 2 + the running sum of the rows
    before it (Arrow compute, no loop over rows). Empty lines are read as empty rows, so they are
    counted, then dropped. A row with more or fewer fields than the header stops the file (a value
    shifted into the wrong column would be read as another field's value).
    """
    encoding = detect_encoding(path)
    delivered.encoding = encoding
    with open(path, encoding=encoding, newline="") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise InputFileError(path, "has no header row (the first line is empty) / 缺少表头")
    delimiter = _sniff_delimiter(header_line)
    delivered.delimiter = delimiter
    headers = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    if len(set(headers)) != len(headers):
        dupes = sorted({h for h in headers if headers.count(h) > 1})
        raise InputFileError(path, f"repeated column header(s): {', '.join(dupes)} / 表头重复")
    arrow_encoding = "utf8" if encoding == "utf-8" else encoding
    read_options = pacsv.ReadOptions(encoding=arrow_encoding, column_names=headers, skip_rows=1, block_size=16 << 20)
    ragged: list[tuple[int, int, str]] = []
    blank_lines = [0]

    def invalid_row(row) -> str:
        if not (row.text or "").strip():  # a line of spaces only: nothing on it
            blank_lines[0] += 1
            return "skip"
        ragged.append((row.expected_columns, row.actual_columns, row.text))
        return "error"

    parse_options = pacsv.ParseOptions(
        delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=invalid_row
    )
    convert_options = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in headers}, strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    try:
        reader = pacsv.open_csv(
            path, read_options=read_options, parse_options=parse_options, convert_options=convert_options
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        _raise_csv_error(path, encoding, ragged, exc, 2)
    next_line, yielded = 2, False
    try:
        for batch in reader:
            lines = pa.array(np.ones(batch.num_rows, dtype=np.int64))
            for column in batch.columns:
                if pc.any(pc.match_substring(column, "\n")).as_py():  # most columns hold no line break
                    lines = pc.add(lines, pc.count_substring(column, "\n").cast(pa.int64()))
            ends = pc.cumulative_sum(lines)  # line after each row, counted from the batch's first line
            first_lines = pc.add(pc.subtract(ends, lines), next_line)
            batch = batch.append_column("_source_row", first_lines)
            if batch.num_rows:
                next_line += ends[-1].as_py()
            yield without_empty_rows(batch)
            yielded = True
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        _raise_csv_error(path, encoding, ragged, exc, next_line)
    if not yielded:  # a header and no rows: the columns are still checked
        empty = pa.RecordBatch.from_pylist([], schema=pa.schema([(h, pa.string()) for h in headers]))
        yield empty.append_column("_source_row", pa.array([], pa.int64()))
    if blank_lines[0] and blank_lines[0] > _trailing_blank_lines(path, encoding):
        line = _first_line_where(path, encoding, lambda text: text != "" and not text.strip())
        raise InputFileError(
            path,
            f"line {line} holds only spaces between data rows; delete it so rows keep their line numbers / 数据行之间有空白行",
        )


def _raise_csv_error(path: Path, encoding: str, ragged: list, exc: Exception, near_line: int):
    if ragged:
        expected, actual, text = ragged[0]
        line = _first_line_where(path, encoding, lambda t: t == text.rstrip("\r\n"))
        where = f"line {line}" if line else f"a line after line {near_line - 1}"
        raise InputFileError(
            path,
            f"{where} has {actual} fields where the header has {expected} ('{text[:80]}'); an unquoted "
            f"separator or a missing field shifts values into the wrong columns / 字段个数与表头不符",
        ) from None
    raise InputFileError(
        path, f"cannot be parsed as CSV near line {near_line} ({short_message(exc)}) / CSV 格式错误"
    ) from None


def _first_line_where(path: Path, encoding: str, wanted) -> int | None:
    """Number of the first line after the header satisfying ``wanted`` (only to name it in a message)."""
    with open(path, encoding=encoding, newline="") as fh:
        for number, text in enumerate(fh, start=1):
            if number > 1 and wanted(text.rstrip("\r\n")):
                return number
    return None


def _trailing_blank_lines(path: Path, encoding: str) -> int:
    """How many lines of spaces end the file (skipping them moves no row's line number)."""
    size = path.stat().st_size
    start = max(0, size - (64 << 10))
    with open(path, "rb") as fh:
        bom = fh.read(2)
        if encoding == "utf-16":
            start -= start % 2
            encoding = "utf-16-be" if bom == codecs.BOM_UTF16_BE else "utf-16-le"
        fh.seek(start)
        tail = fh.read()
    count = 0
    for text in reversed(tail.decode(encoding, errors="ignore").split("\n")):
        text = text.rstrip("\r")
        if text.strip():
            break
        if text:
            count += 1
    return count
