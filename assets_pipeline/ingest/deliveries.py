"""Which counties delivered what: a county that sends nothing for a category never vanishes in silence.

A county file with a header and no rows, or one that was not sent, leaves no row to reject: the county would
simply be absent from the category's ledger (for the land survey, DOMAIN §2, from the base map itself, so its
forest, grassland and wetland rows lose their base parcels and its land balance books every state parcel as
removed). So the year's deliveries are compared with what says the county should be there:

- **land** (the base map, every county has land): the county has rows in another category this year, or had
  land rows last year;
- **forest, grassland, wetland**: this year's land survey holds parcels of the category's land classes in the
  county (the base map says they are there), or the county had rows last year;
- **water**: the county has rows in another category this year, or had water rows last year;
- **minerals**: the county had rows last year (a county without deposits is no finding).

Last year is ``<output>/<year-1>/`` as the run of that year left it: its ingested parts, else its valued rows.
A category whose delivery was refused is left out (its refusal is the finding). Each finding names the county,
the category, the reason (``no_rows``: a file named for the county holds no rows; ``no_file``: no file delivers
it) and the evidence. A missing county of the land survey blocks publication unless the run names it as known
(``--allow-missing-county``).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.infra.storage import read_json, write_parquet
from assets_pipeline.schema.categories import CATEGORIES

FINDINGS_SCHEMA = pa.schema(
    [
        ("category", pa.string()),
        ("region_code", pa.string()),
        ("region_name", pa.string()),
        ("reason", pa.string()),
        ("evidence", pa.string()),
        ("allowed", pa.bool_()),
        ("blocking", pa.bool_()),
    ]
)

# Where a category's counties are expected from this year's other deliveries (see the module's docstring).
FROM_OTHER_CATEGORIES = {"land", "water"}
FROM_BASE_MAP = {"forest", "grassland", "wetland"}


def missing_counties_path(layout: YearLayout) -> Path:
    return layout.stages / "missing_counties.parquet"


def refusal_path(layout: YearLayout, category: str) -> Path:
    """The record of a category whose delivery was refused (the message naming the file), absent otherwise."""
    return layout.record("refused", category)


def refused_categories(layout: YearLayout) -> dict[str, str]:
    """Category → the refusal's message, for this year's refused categories."""
    return {c: read_json(refusal_path(layout, c))["problem"] for c in CATEGORIES if refusal_path(layout, c).exists()}


def _last_year_parts(last: YearLayout, category: str) -> list[str]:
    ingested = part_files(last.ingested(category))
    if ingested:
        return [str(p) for p in ingested]
    return [str(last.valued(category))] if last.valued(category).exists() else []


def _empty_files(layout: YearLayout, category: str) -> list[tuple[str, str]]:
    """(county, file) of the category's delivered files that are named for a county and hold no rows."""
    record = layout.record("ingested", category)
    if not record.exists():
        return []
    files = read_json(record).get("files", [])
    return [
        (Path(f["relative"]).name[:6], f["relative"])
        for f in files
        if f.get("rows", 0) == 0 and Path(f["relative"]).name[:6].isdigit()
    ]


def find_missing_counties(
    layout: YearLayout, divisions: Path, land_classes: Path, allowed: list[str] | tuple[str, ...] = ()
) -> pa.Table:
    """The year's missing counties as a table (``FINDINGS_SCHEMA``), worst first: land, then by category and county."""
    refused = refused_categories(layout)
    present = [c for c in CATEGORIES if c not in refused and part_files(layout.ingested(c))]
    last = YearLayout(layout.output_dir, layout.year - 1)
    with connect(layout.stages / "duckdb_tmp", memory_limit="1GB") as con:
        con.execute(
            "CREATE TEMP TABLE counties AS SELECT region_code, name AS name_zh FROM read_parquet($p) WHERE level = 'county'",
            {"p": str(divisions)},
        )
        # rows per category × county this year: the row's county code, else its file's (a blank code is still the county's row)
        con.execute("CREATE TEMP TABLE this_year (category VARCHAR, county VARCHAR, n BIGINT)")
        for category in present:
            con.execute(
                sql.load(__file__, "rows_this_year"),
                {"category": category, "p": str(layout.ingested(category) / "part-*.parquet")},
            )
        con.execute("CREATE TEMP TABLE last_year (category VARCHAR, county VARCHAR, n BIGINT)")
        for category in present:
            files = _last_year_parts(last, category)
            if files:
                con.execute(
                    "INSERT INTO last_year SELECT $category, region_code, count(*) FROM read_parquet($p) "
                    "WHERE region_code IN (SELECT region_code FROM counties) GROUP BY ALL",
                    {"category": category, "p": files},
                )
        con.execute("CREATE TEMP TABLE base_map (category VARCHAR, county VARCHAR, n BIGINT)")
        if "land" in present:
            con.execute(
                sql.load(__file__, "base_map_parcels"),
                {"land": str(layout.ingested("land") / "part-*.parquet"), "classes": str(land_classes)},
            )
        con.execute("CREATE TEMP TABLE empty_files (category VARCHAR, county VARCHAR, file VARCHAR)")
        for category in present:
            for county, file in _empty_files(layout, category):
                con.execute("INSERT INTO empty_files VALUES (?, ?, ?)", [category, county, file])
        con.execute("CREATE TEMP TABLE categories AS SELECT unnest($c) AS category", {"c": present})
        rows = con.execute(
            sql.load(__file__, "missing_counties"),
            {"from_other_categories": sorted(FROM_OTHER_CATEGORIES), "last_year": last.year},
        ).fetchall()
    allowed_set = {str(a) for a in allowed}
    columns = list(zip(*rows, strict=False)) if rows else [[]] * 5
    is_allowed = [county in allowed_set for county in columns[1]]
    blocking = [category == "land" and not ok for category, ok in zip(columns[0], is_allowed, strict=False)]
    return pa.Table.from_arrays(
        [pa.array(list(c), pa.string()) for c in columns]
        + [pa.array(is_allowed, pa.bool_()), pa.array(blocking, pa.bool_())],
        schema=FINDINGS_SCHEMA,
    )


def write_missing_counties(layout: YearLayout, divisions: Path, land_classes: Path, allowed=()) -> pa.Table:
    table = find_missing_counties(layout, divisions, land_classes, allowed)
    write_parquet(table, missing_counties_path(layout))
    return table


_NAMED_FOR = r"(?:^|/)(?P<county>[0-9]{6})(?:[^0-9/][^/]*)?$"


def _counties_with_rows(files: list[str], counties: pa.Array) -> set[str]:
    """Counties of the rows of some Parquet files, read with Arrow: the row's county code, else its file's."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    found: set[str] = set()
    if not files:
        return found
    dataset = ds.dataset(files, format="parquet")
    columns = [c for c in ("region_code", "_source_file") if c in dataset.schema.names]
    for batch in dataset.to_batches(columns=columns):
        region = batch.column("region_code")
        if "_source_file" in columns:  # the county a file is named for: 140106_迎泽区.parquet, 140106.csv
            named = pc.struct_field(pc.extract_regex(batch.column("_source_file"), _NAMED_FOR), 0)
        else:
            named = pa.nulls(len(region), pa.string())
        county = pc.if_else(pc.fill_null(pc.is_in(region, counties), False), region, named)
        found.update(v for v in pc.unique(county).to_pylist() if v)
    return found & set(counties.to_pylist())


def recount_missing_land(layout: YearLayout, divisions: Path) -> set[str]:
    """The counties missing from the land survey, counted again with Arrow from the staged files (not the SQL of
    ``find_missing_counties``): counties with rows in another category this year or land rows last year, less those
    with land rows this year. What the blocking check compares the findings with."""
    import pyarrow.parquet as pq

    table = pq.read_table(divisions, columns=["region_code", "level"])
    counties = table.filter(pa.compute.equal(table["level"], "county"))["region_code"]
    refused = refused_categories(layout)
    if "land" in refused:
        return set()
    this_year = {
        c: _counties_with_rows([str(p) for p in part_files(layout.ingested(c))], counties)
        for c in CATEGORIES
        if c not in refused
    }
    last = YearLayout(layout.output_dir, layout.year - 1)
    expected = set().union(
        *(v for c, v in this_year.items() if c != "land"), _counties_with_rows(_last_year_parts(last, "land"), counties)
    )
    return expected - this_year.get("land", set())
