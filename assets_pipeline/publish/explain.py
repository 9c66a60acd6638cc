"""Explain a ledger cell: the valued rows it is made of, each with its delivered file and row and its price row.

An auditor starts from a figure in the workbook (a region × category × item, and perhaps a subject and a
component or physical indicator) and gets: the cell as published (2 decimals) and unrounded, from the Parquet
ledger; the valued rows that make it, from ``valued/<category>.parquet``, with the largest printed and all of
them written to a workbook; and two checks worked afresh from those files (DOMAIN §5):

- **sum check**: the rows' exact contributions (value_yuan × 0.0001 万元, or the indicator's quantity) add up to
  the unrounded cell, exactly, as DECIMAL. A city's or the province's unrounded cell is the exact sum of its
  counties', so it is checked the same way over all their rows.
- **published check**: a county cell is its unrounded figure rounded half-up to 2 decimals; a city or province
  cell is the sum of its counties' published cells (tables add up as printed).

Everything is DuckDB over the Parquet files, filtered to the cell before anything comes into Python.
"""

from __future__ import annotations

import re
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.ledgers.ledger import PHYSICAL_INDICATORS_TEMPLATE, valued_view
from assets_pipeline.publish.excel import MAX_ROWS
from assets_pipeline.publish.explain_cells import (
    HEADERS,
    ROW_COLUMNS,
    TOP,
    TRAILING_COLUMNS,
    CellQuery,
    ExplainError,
    Explanation,
    half_up,
)
from assets_pipeline.publish.xlsx_stream import Sheet, write_workbook
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.valuation.models import prepare


def _outputs(layout: YearLayout, query: CellQuery) -> Path:
    """The ledger the cell is in, after making sure the year's outputs it needs are there."""
    if query.category not in CATEGORIES:
        raise ExplainError(f"unknown category {query.category!r}: one of {', '.join(CATEGORIES)}")
    ledger = layout.ledger_physical if query.physical else layout.ledger_value
    if not layout.root.is_dir():
        raise ExplainError(
            f"no outputs of {query.year} in {layout.output_dir}: run "
            f"`nrledger run --year {query.year} --output-dir {layout.output_dir} …` first"
        )
    for path in (ledger, layout.valued(query.category), layout.reference("admin_divisions")):
        if not path.exists():
            raise ExplainError(f"{path} is missing: the outputs of {query.year} are incomplete; run the year again")
    return ledger


def _region(con, ledger: Path, layout: YearLayout, region: str) -> tuple[str, str]:
    """The region's name and level (county, city or province), or a message naming what is known."""
    found = con.execute(
        "SELECT region_name, region_level FROM read_parquet($p) WHERE region_code = $r LIMIT 1",
        {"p": str(ledger), "r": region},
    ).fetchone()
    if found:
        return found
    known = con.execute(
        "SELECT name, level FROM read_parquet($p) WHERE region_code = $r",
        {"p": str(layout.reference("admin_divisions")), "r": region},
    ).fetchone()
    if known:
        raise ExplainError(
            f"region {region} ({known[0]}, {known[1]}) has no cell in the {ledger.stem} of {layout.year}"
        )
    raise ExplainError(f"unknown region {region!r}: not a county, city or province code of admin_divisions.csv")


def _cells(con, ledger: Path, query: CellQuery) -> list[dict]:
    """The ledger cells the query names; a message listing what there is when it names none."""
    measure = "quantity" if query.physical else "value_wan_yuan"
    kind = "indicator" if query.physical else "component"
    # a mineral is itemised by resource class (DOMAIN §5): `--item coal` takes all of coal's classes
    # the item as the workbook's column names it (耕地, 煤炭 证实储量) or by code; `all`: the category's total (合计)
    where = f"""category = $c AND region_code = $r AND ($i = 'all' OR item_code = $i OR item_name = $i OR item_name_en = $i
               OR (category = 'minerals' AND split_part(item_code, '|', 1) = $i))
               AND ($s IS NULL OR subject = $s OR subject_name = $s) AND ($k IS NULL OR {kind} = $k)"""
    params = {
        "p": str(ledger),
        "c": query.category,
        "r": query.region,
        "i": query.item,
        "s": query.subject,
        "k": query.indicator if query.physical else query.component,
    }
    unit = "unit" if query.physical else "'万元'"
    cells = con.execute(
        f"SELECT item_code, item_name, subject, {kind}, {unit} AS unit, {measure}, {measure}_unrounded "
        f"FROM read_parquet($p) WHERE {where} ORDER BY item_code, subject, {kind}",
        params,
    ).fetchall()
    if not cells:
        there = con.execute(
            f"SELECT DISTINCT item_code, subject, {kind} FROM read_parquet($p) WHERE category = $c AND region_code = $r "
            "ORDER BY ALL",
            {"p": str(ledger), "c": query.category, "r": query.region},
        ).fetchall()
        listed = "; ".join(f"item {i} subject {s} {kind} {k}" for i, s, k in there[:30]) or "none"
        more = f" (and {len(there) - 30} more)" if len(there) > 30 else ""
        raise ExplainError(
            f"no {query.category} cell for region {query.region}, item {query.item}"
            f"{', subject ' + query.subject if query.subject else ''}"
            f"{', ' + kind + ' ' + str(params['k']) if params['k'] else ''}; "
            f"the region's {query.category} cells: {listed}{more}"
        )
    names = ("item_code", "item_name", "subject", kind, "unit", "published", "unrounded")
    cells = [dict(zip(names, c, strict=False)) for c in cells]
    units = {c["unit"] for c in cells}
    if len(units) > 1:  # never add quantities of different units (DOMAIN §5)
        raise ExplainError(
            f"the cells matched are in different units ({', '.join(sorted(units))}): name one with --indicator"
        )
    return cells


def _rows_view(con, layout: YearLayout, query: CellQuery, level: str, cells: list[dict]) -> None:
    """``cell_rows``: the valued rows of the cell, each with ``amount``, its exact part of the cell."""
    valued_view(con, layout, [query.category])
    if query.mineral_model and query.category == "minerals":
        models = [m for (m,) in con.execute("SELECT DISTINCT model FROM valued_all WHERE model IS NOT NULL").fetchall()]
        if f"minerals_{query.mineral_model}" not in models:
            raise ExplainError(
                f"the {query.category} rows of {query.year} were valued with {', '.join(models)}, not "
                f"minerals_{query.mineral_model}: run the year with --mineral-model {query.mineral_model}"
            )
    region_filter = {
        "county": "v.region_code = $r",
        "province": "TRUE",
        "city": "v.region_code IN (SELECT region_code FROM ref_admin_divisions WHERE parent_code = $r)",
    }[level]
    kind = "indicator" if query.physical else "component"
    keys = sorted({(c["item_code"], c["subject"], c[kind]) for c in cells})
    con.execute("CREATE OR REPLACE TEMP TABLE cell_keys (item_code VARCHAR, subject VARCHAR, k VARCHAR)")
    con.executemany("INSERT INTO cell_keys VALUES (?, ?, ?)", keys)
    chosen = (
        f"SELECT row_number() OVER () AS _n, v.* FROM valued v SEMI JOIN (SELECT DISTINCT item_code, subject "
        f"FROM cell_keys) k ON k.item_code = v.ledger_item AND k.subject IS NOT DISTINCT FROM v.subject "
        f"WHERE {region_filter}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE chosen AS {chosen}", {"r": query.region} if level != "province" else {})
    if query.physical:
        # the ledger's own definition of each indicator (ledger.py), row by row: the part of each row in the cell
        parts = PHYSICAL_INDICATORS_TEMPLATE.format(valued="chosen", ids="_n, ", ids_v="v._n, ")
        con.execute(f"CREATE OR REPLACE TEMP VIEW chosen_parts AS {parts}")
        con.execute(sql.load(__file__, "cell_rows_physical"))
    else:
        con.execute(sql.load(__file__, "cell_rows_value"))


def _county_cells(con, ledger: Path, query: CellQuery, level: str, cells: list[dict]) -> tuple[int, Decimal, bool]:
    """The county cells under the region: how many, the sum of their published figures, and whether each is its
    unrounded figure rounded half-up."""
    kind = "indicator" if query.physical else "component"
    measure = "quantity" if query.physical else "value_wan_yuan"
    region_filter = {"county": "region_code = $r", "city": "parent_code = $r", "province": "TRUE"}[level]
    rows = con.execute(
        f"SELECT l.{measure}, l.{measure}_unrounded FROM read_parquet($p) l SEMI JOIN cell_keys k "
        f"ON k.item_code = l.item_code AND k.subject IS NOT DISTINCT FROM l.subject AND k.k = l.{kind} "
        f"WHERE l.region_level = 'county' AND l.category = $c AND {region_filter.replace('region_code', 'l.region_code').replace('parent_code', 'l.parent_code')}",
        {"p": str(ledger), "c": query.category, **({"r": query.region} if level != "province" else {})},
    ).fetchall()
    return len(rows), sum((p for p, _ in rows), Decimal(0)), all(p == half_up(u) for p, u in rows)


def _columns(con) -> list[str]:
    present = [row[0] for row in con.execute("DESCRIBE cell_rows").fetchall()]
    factors = [c for c in present if c.startswith("factor_")]
    return (
        [c for c in ROW_COLUMNS if c in present] + factors + [c for c in TRAILING_COLUMNS if c in present] + ["amount"]
    )


def workbook_path(layout: YearLayout, query: CellQuery, item: str | None = None) -> Path:
    """``<year>/explain/<category>_<region>_<item>[_<subject>][_<component or indicator>]_<value|physical>.xlsx``,
    the item by its code where the query named one item (by code or name)."""
    parts = [
        query.category,
        query.region,
        item or query.item,
        query.subject,
        query.indicator if query.physical else query.component,
        "physical" if query.physical else "value",
    ]
    name = "_".join(re.sub(r"[^\w.-]+", "-", p) for p in parts if p)
    return layout.root / "explain" / f"{name}.xlsx"


def _write_workbook(path: Path, explanation: Explanation, table: pa.Table) -> None:
    """A sheet saying what the cell is and how it checks, then every contributing row (the largest first), over
    as many sheets as Excel's row limit needs. ``amount`` is written as text too, so its exact digits survive."""
    e = explanation
    summary = [
        ("year", str(e.query.year)),
        ("category", e.query.category),
        ("region", f"{e.query.region} {e.region_name} ({e.region_level})"),
        ("item", e.query.item),
        ("subject", e.query.subject or "all"),
        (
            "indicator" if e.query.physical else "component",
            (e.query.indicator if e.query.physical else e.query.component) or "all",
        ),
        ("unit", e.unit),
        ("published", str(e.published)),
        ("unrounded", str(e.unrounded)),
        ("rows", str(e.rows)),
        ("sum of the rows' amounts (exact)", str(e.rows_sum)),
        ("sum check", "ok" if e.sum_ok else "MISMATCH"),
        ("published county cells", f"{e.county_cells}, summing to {e.county_published_sum}"),
        ("published check", "ok" if e.published_ok else "MISMATCH"),
    ]
    sheets = [
        Sheet(
            name="cell",
            header=["what", "figure"],
            columns=[pa.array([k for k, _ in summary]), pa.array([v for _, v in summary])],
            widths=[34, 60],
            autofilter=False,
        )
    ]
    header = [HEADERS.get(c, c) for c in table.column_names] + ["amount_exact"]
    columns = [c.combine_chunks() for c in table.columns]
    columns.append(pc.cast(columns[-1], pa.string()))  # the exact digits, which an Excel number cannot hold
    per_sheet = MAX_ROWS - 1
    for start in range(0, max(table.num_rows, 1), per_sheet):
        sheets.append(
            Sheet(
                name="rows" if start == 0 else f"rows {start // per_sheet + 1}",
                header=header,
                columns=[c.slice(start, per_sheet) for c in columns],
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        write_workbook(tmp, sheets)


def explain_cell(output_dir: Path, query: CellQuery, top: int = TOP, workbook: bool | Path = True) -> Explanation:
    """The cell, its rows and its checks; the rows written to ``workbook`` (a path), or to ``workbook_path`` when
    it is true, or nowhere when it is false. Outputs that cannot be read or written raise ``ExplainError``."""
    layout = YearLayout(Path(output_dir), query.year)
    ledger = _outputs(layout, query)
    try:
        # spill beside the system's temporary files: the outputs may be an auditor's read-only copy
        with connect(Path(tempfile.gettempdir()) / "nrledger_explain") as con:
            return _explain(con, layout, ledger, query, top, workbook)
    except duckdb.Error as exc:
        raise ExplainError(
            f"the outputs of {query.year} in {layout.root} cannot be read "
            f"({str(exc).splitlines()[0]}); run the year again"
        ) from None


def _explain(con, layout: YearLayout, ledger: Path, query: CellQuery, top: int, workbook: bool | Path) -> Explanation:
    prepare(con, layout, {})
    name, level = _region(con, ledger, layout, query.region)
    cells = _cells(con, ledger, query)
    _rows_view(con, layout, query, level, cells)
    county_cells, county_sum, rounding_ok = _county_cells(con, ledger, query, level, cells)
    rows, unpriced, rows_sum = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE status = 'unpriced'), coalesce(sum(amount), 0) FROM cell_rows"
    ).fetchone()
    columns = _columns(con)
    order = "ORDER BY amount DESC NULLS LAST, _source_file, _source_row, component"
    selected = ", ".join(columns)
    largest = con.execute(f"SELECT {selected} FROM cell_rows {order} LIMIT {int(top)}").fetchall()
    explanation = Explanation(
        query=query,
        region_name=name,
        region_level=level,
        unit=cells[0]["unit"],
        cells=cells,
        published=sum((c["published"] for c in cells), Decimal(0)),
        unrounded=sum((c["unrounded"] for c in cells), Decimal(0)),
        rows=rows,
        rows_unpriced=unpriced,
        rows_sum=Decimal(rows_sum),
        county_cells=county_cells,
        county_published_sum=county_sum,
        county_rounding_ok=rounding_ok,
        top=[dict(zip(columns, r, strict=False)) for r in largest],
        columns=columns,
    )
    if workbook:
        items = {c["item_code"] for c in cells}
        path = (
            Path(workbook)
            if not isinstance(workbook, bool)
            else workbook_path(layout, query, items.pop() if len(items) == 1 else None)
        )
        table = con.sql(f"SELECT {selected} FROM cell_rows {order}").to_arrow_table()
        try:
            _write_workbook(path, explanation, table)
        except OSError as exc:
            raise ExplainError(
                f"cannot write {path}: {exc.strerror or exc}; name another file with --workbook"
            ) from None
        explanation.workbook = path
    return explanation


def _show(value) -> str:
    return "" if value is None else str(value)


def format_explanation(e: Explanation) -> str:
    """What ``nrledger explain`` prints."""
    q = e.query
    kind = "indicator" if q.physical else "component"
    lines = [
        f"{q.year} {'physical' if q.physical else 'value'} ledger, {q.category}, region {q.region} {e.region_name} "
        f"({e.region_level}), item {q.item}"
        + (f", subject {q.subject}" if q.subject else "")
        + (f", {kind} {q.indicator or q.component}" if (q.indicator or q.component) else ""),
        "  cells: "
        + "; ".join(
            f"{c['item_code']} {c['item_name'] or ''} / {c['subject']} / {c[kind]}: {c['published']}"
            for c in e.cells[:12]
        )
        + (f" (and {len(e.cells) - 12} more)" if len(e.cells) > 12 else ""),
        f"  published  {e.published} {e.unit}",
        f"  unrounded  {e.unrounded} {e.unit}",
        f"  rows       {e.rows:,}"
        + (
            f" (of which {e.rows_unpriced:,} unpriced: their quantity counts, they carry no value)"
            if e.rows_unpriced
            else ""
        ),
        f"  sum check  the rows' exact amounts add up to {e.rows_sum}: "
        + ("= the unrounded cell, ok" if e.sum_ok else f"MISMATCH with the unrounded cell {e.unrounded}"),
    ]
    if e.region_level == "county":
        rule = "each county cell = its unrounded figure rounded half-up"
    else:
        rule = f"the {e.county_cells} published county cells under it add up to {e.county_published_sum}"
    lines.append(f"  published check  {rule}: " + ("ok" if e.published_ok else "MISMATCH"))
    if e.top:
        lines.append(f"  largest rows ({len(e.top)} of {e.rows:,}, amount in {e.unit}):")
        shown = [c for c in e.columns if c not in ("category",)]
        for row in e.top:
            lines.append(
                "    " + "  ".join(f"{HEADERS.get(c, c)}={_show(row[c])}" for c in shown if row[c] is not None)
            )
    if e.workbook:
        lines.append(f"  every row: {e.workbook}")
    return "\n".join(lines)
