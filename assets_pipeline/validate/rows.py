"""Validation: Pandera models per category; bad rows set aside with file, row and reason.

The models are built from the reference tables (code lists change with the province), then run
batch by batch over the ingested Parquet. Every ingested row ends in exactly one place:

- ``validated/<category>/``: rows that passed, with ``exclusion_reason`` null when in scope or set
  when excluded (collective land, DOMAIN §2) — excluded rows are counted, not lost;
- ``rejected/<category>/``: rows that failed, whole, so the county can fix them;
- ``rejects/<category>/``: one line per failed rule (category, source_file, source_row, column,
  value, rule, message), what the county-fix workbook shows.

Large categories are validated by worker processes, several row-group ranges at once.

Uniqueness of ids spans the whole category, so it is found first by one DuckDB query, which decides by
county which row of a repeated id is kept (``duplicate_rows``), never by the order of the files.
"""


from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pandera.typing import Series

from assets_pipeline.schema.categories import SPECS, CategorySpec
from assets_pipeline.ingest.canonical import FILE_SHIFT, ingested_schema
from assets_pipeline.infra.layout import YearLayout, part_files, parts
from assets_pipeline.infra.parallel import run_tasks, worker_count
from assets_pipeline.reference.tables import ReferenceTable
from assets_pipeline.infra.storage import atomic_folder, atomic_parquet_writer
from assets_pipeline.infra.duck import connect


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
}

COLUMN_NAMES_ZH = {
    "parcel_id": "标识码", "base_parcel_id": "底图图斑标识码", "region_code": "行政区代码", "land_class": "地类编码",
    "area_m2": "面积", "ownership": "权属性质", "land_ownership": "土地权属", "tree_ownership": "林木所有权",
    "price_zone": "价格区划", "cropland_grade": "耕地等别", "plot_ratio": "容积率", "supply_method": "供应方式",
    "granted_term_years": "出让年限", "years_used": "已使用年限", "redline_area_m2": "生态保护红线面积",
    "basic_farmland_area_m2": "永久基本农田面积", "protected_area_m2": "自然保护地面积",
    "forest_type": "林种", "origin": "起源", "species_code": "优势树种", "age_group": "龄组", "stock_m3": "蓄积",
    "bamboo_stems": "竹株数", "land_grade": "林地等级", "grassland_type": "草原类", "grade": "草原等级",
    "hay_yield_kg_per_ha": "干草产量", "vegetation_cover_pct": "植被盖度", "wetland_type": "湿地型",
    "basin": "流域", "protection_status": "保护状况", "source_type": "水源类型", "volume_m3": "水资源量",
    "overdraft_zone": "超采区", "deposit_id": "矿区编号", "mineral_code": "矿种", "resource_class": "资源储量类型",
    "quantity": "资源储量", "unit": "计量单位", "mining_right": "矿业权类型", "annual_extraction": "年开采量",
    "unit_rent": "单位租金",
}

# Code columns, the reference table (and its code column) they come from.
CODE_COLUMNS: dict[str, tuple[str, str]] = {
    "ownership": ("ownership_codes", "code"),
    "land_ownership": ("ownership_codes", "code"),
    "tree_ownership": ("tree_ownership_codes", "code"),
    "supply_method": ("supply_methods", "supply_method"),
    "forest_type": ("forest_types", "forest_type"),
    "origin": ("forest_origins", "origin"),
    "species_code": ("forest_species", "species_code"),
    "age_group": ("forest_age_groups", "age_group"),
    "grassland_type": ("grassland_types", "grassland_type"),
    "wetland_type": ("wetland_types", "wetland_type"),
    "source_type": ("water_source_types", "source_type"),
    "mineral_code": ("minerals", "mineral_code"),
    "resource_class": ("resource_classes", "resource_class"),
    "mining_right": ("mining_right_types", "mining_right"),
    "subject": ("exercising_subjects", "subject"),
}


# Every reference table CodeLists.from_reference reads.
CODE_LIST_TABLES = sorted(
    {"admin_divisions", "land_classes", "ownership_codes", "tree_ownership_codes", "minerals", "grassland_grades",
     "land_parameters"}
    | {table for table, _ in CODE_COLUMNS.values()}
)

# Legal maximum granted term by land use (DOMAIN §4), the land_parameters row that states it.
LEGAL_TERM_PARAMETERS = {"05": "legal_term_commercial", "07": "legal_term_residential"}
LEGAL_TERM_OTHER = "legal_term_other"
CONSTRUCTION_LEVEL1 = ("05", "06", "07", "08", "09", "10")


def legal_terms_of_classes(classes: pd.DataFrame, parameters: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """Land-category construction class → (legal term in years, its parameter), from the year's land_parameters.

    A snapshot holds the year in force; a whole table (tests, tools) gives its latest year.
    """
    if parameters.empty:
        return {}
    latest = parameters[parameters["year"] == max(parameters["year"], key=int)]
    years = dict(zip(latest["parameter"], latest["value"]))
    level1 = classes["parent_class"].where(classes["parent_class"] != "", classes["land_class"])
    construction = classes[(classes["category"] == "land") & level1.isin(CONSTRUCTION_LEVEL1)]
    terms = {}
    for code, first in zip(construction["land_class"], level1[construction.index]):
        name = LEGAL_TERM_PARAMETERS.get(first, LEGAL_TERM_OTHER)
        if name in years:
            terms[code] = (float(years[name]), name)
    return terms


@dataclass
class CodeLists:
    """What the models check against, taken from the reference tables."""

    counties: list[str]
    land_classes: list[str]
    codes: dict[str, list[str]]
    names_to_codes: dict[str, dict[str, str]]
    state_ownership: list[str]
    state_trees: list[str]
    mineral_units: dict[str, str]
    grades: list[int] = field(default_factory=lambda: list(range(1, 9)))
    # construction class → (legal term, parameter), and the supply methods whose owner holds the reversion (granted)
    legal_terms: dict[str, tuple[float, str]] = field(default_factory=dict)
    reversion_methods: list[str] = field(default_factory=list)

    @classmethod
    def from_reference(cls, tables: dict[str, ReferenceTable]) -> "CodeLists":
        divisions = tables["admin_divisions"].frame
        classes = tables["land_classes"].frame
        parents = set(classes["parent_class"])
        usable = classes[(classes["level"] == "2") | ~classes["land_class"].isin(parents)]
        codes, names = {}, {}
        for column, (table, code_column) in CODE_COLUMNS.items():
            frame = tables[table].frame
            codes[column] = sorted(frame[code_column])
            mapping = {}
            for name_column in ("name_zh", "name_en"):
                if name_column in frame:
                    mapping.update({n: c for n, c in zip(frame[name_column], frame[code_column]) if n and n != c})
            names[column] = mapping
        own = tables["ownership_codes"].frame
        trees = tables["tree_ownership_codes"].frame
        minerals = tables["minerals"].frame
        grades = [int(g) for g in tables["grassland_grades"].frame["grade"]]
        methods = tables["supply_methods"].frame
        parameters = tables["land_parameters"].frame if "land_parameters" in tables else pd.DataFrame()
        return cls(
            counties=sorted(divisions.loc[divisions["level"] == "county", "region_code"]),
            land_classes=sorted(usable["land_class"]),
            codes=codes,
            names_to_codes=names,
            state_ownership=sorted(own.loc[own["is_state"] == "true", "code"]),
            state_trees=sorted(trees.loc[trees["is_state"] == "true", "code"]),
            mineral_units=dict(zip(minerals["mineral_code"], minerals["unit"])),
            grades=grades,
            legal_terms=legal_terms_of_classes(classes, parameters),
            reversion_methods=sorted(methods.loc[methods["owner_equity"] == "reversion", "supply_method"]),
        )


def build_model(category: str, codes: CodeLists) -> type[pa.DataFrameModel]:
    """The Pandera DataFrameModel of one category, with the province's code lists.

    Built per run because the code lists come from the reference tables. Check names decide the
    reject rule: ``isin`` → code_list, bounds → range, ``region``/``unit``/``consistency`` as named.
    """
    c = codes.codes
    counties, land_classes, units = codes.counties, codes.land_classes, codes.mineral_units
    legal_years = {code: years for code, (years, _) in codes.legal_terms.items()}
    reversion = codes.reversion_methods
    Str, Num, Int, Bool = Series[str], Series[float], Series[pd.Int64Dtype], Series[pd.BooleanDtype]

    def req(**checks):
        return pa.Field(nullable=False, **checks)

    def opt(**checks):
        return pa.Field(nullable=True, **checks)

    class Located(pa.DataFrameModel):
        """Rows that name a county and (for parcels) a land class."""

        subject: Str = opt(isin=c["subject"])

        @pa.check("region_code", name="region")
        def county_of_province(cls, s: pd.Series) -> pd.Series:
            return s.isna() | s.isin(counties)

    class Parcel(Located):
        @pa.check("land_class", name="code_list")
        def known_land_class(cls, s: pd.Series) -> pd.Series:
            # a trailing K (可调整) keeps the class of its stem (DOMAIN §2)
            return s.isna() | s.str.removesuffix("K").isin(land_classes)

    if category == "land":
        class Land(Parcel):
            parcel_id: Str = req()
            region_code: Str = req()
            land_class: Str = req()
            area_m2: Num = req(gt=0)
            ownership: Str = req(isin=c["ownership"])
            price_zone: Str = opt()
            cropland_grade: Int = opt(ge=1, le=15)
            plot_ratio: Num = opt(gt=0, le=50)
            supply_method: Str = opt(isin=c["supply_method"])
            granted_term_years: Num = opt(gt=0, le=70)
            years_used: Num = opt(ge=0, le=70)
            redline_area_m2: Num = opt(ge=0)
            basic_farmland_area_m2: Num = opt(ge=0)
            protected_area_m2: Num = opt(ge=0)

            @pa.dataframe_check(name="redline_within_parcel")
            def redline_within_parcel(cls, df: pd.DataFrame) -> pd.Series:
                return ~(df["redline_area_m2"] > df["area_m2"] + 0.01).fillna(False)

            @pa.dataframe_check(name="term_not_exceeded")
            def term_not_exceeded(cls, df: pd.DataFrame) -> pd.Series:
                return ~(df["years_used"] > df["granted_term_years"]).fillna(False)

            @pa.dataframe_check(name="term_within_legal_term")
            def term_within_legal_term(cls, df: pd.DataFrame) -> pd.Series:
                # granted construction land: a remaining term beyond the legal one would make the owner-equity
                # coefficient negative (DOMAIN §4); the legal term comes from land_parameters
                legal = df["land_class"].str.removesuffix("K").map(legal_years).astype(float)
                granted = df["supply_method"].isin(reversion).fillna(False).astype(bool)
                longer = (df["granted_term_years"].astype(float) > legal).fillna(False).astype(bool)
                return ~(granted & longer)

        return Land

    if category == "forest":
        class Forest(Parcel):
            parcel_id: Str = req()
            base_parcel_id: Str = req()
            region_code: Str = req()
            land_class: Str = req()
            area_m2: Num = req(gt=0)
            land_ownership: Str = req(isin=c["land_ownership"])
            tree_ownership: Str = req(isin=c["tree_ownership"])
            forest_type: Str = req(isin=c["forest_type"])
            origin: Str = req(isin=c["origin"])
            species_code: Str = req(isin=c["species_code"])
            age_group: Str = req(isin=c["age_group"])
            stock_m3: Num = req(ge=0)
            bamboo_stems: Int = opt(ge=0)
            land_grade: Int = opt(ge=1, le=5)

        return Forest

    if category == "grassland":
        class Grassland(Parcel):
            parcel_id: Str = req()
            base_parcel_id: Str = req()
            region_code: Str = req()
            land_class: Str = req()
            area_m2: Num = req(gt=0)
            ownership: Str = req(isin=c["ownership"])
            grassland_type: Str = req(isin=c["grassland_type"])
            grade: Int = req(ge=min(codes.grades), le=max(codes.grades))
            hay_yield_kg_per_ha: Num = req(ge=0, le=50_000)
            vegetation_cover_pct: Num = req(ge=0, le=100)

        return Grassland

    if category == "wetland":
        class Wetland(Parcel):
            parcel_id: Str = req()
            base_parcel_id: Str = req()
            region_code: Str = req()
            land_class: Str = req()
            area_m2: Num = req(gt=0)
            ownership: Str = req(isin=c["ownership"])
            wetland_type: Str = req(isin=c["wetland_type"])
            basin: Str = opt()
            protection_status: Str = opt()

        return Wetland

    if category == "water":
        class Water(Located):
            region_code: Str = req()
            basin: Str = req()
            source_type: Str = req(isin=c["source_type"])
            volume_m3: Num = req(ge=0)
            overdraft_zone: Bool = opt()

        return Water

    if category == "minerals":
        class Minerals(Located):
            deposit_id: Str = req()
            region_code: Str = req()
            mineral_code: Str = req(isin=c["mineral_code"])
            resource_class: Str = req(isin=c["resource_class"])
            quantity: Num = req(ge=0)
            unit: Str = req()
            mining_right: Str = req(isin=c["mining_right"])
            annual_extraction: Num = opt(ge=0)
            unit_rent: Num = opt(ge=0)

            @pa.dataframe_check(name="unit_of_mineral")
            def unit_of_mineral(cls, df: pd.DataFrame) -> pd.Series:
                # never add quantities of different units (DOMAIN §5)
                expected = df["mineral_code"].map(units)
                return (expected.isna() | df["unit"].isna() | (df["unit"] == expected)).astype(bool)

        return Minerals

    raise KeyError(category)


# DataFrame-level checks: the rule and the column a reject line names, and what it says (a text, or the text of
# each failing row with its figures, from the frame and the code lists).
def _figure(value) -> str:
    return f"{float(value):g}"


def _term_beyond_use(frame: pd.DataFrame, rows, codes: "CodeLists") -> list[str]:
    return [f"years_used {_figure(frame.at[r, 'years_used'])} > granted_term_years "
            f"{_figure(frame.at[r, 'granted_term_years'])}" for r in rows]


def _term_beyond_legal(frame: pd.DataFrame, rows, codes: "CodeLists") -> list[str]:
    texts = []
    for r in rows:  # the failing rows only
        years, parameter = codes.legal_terms[str(frame.at[r, "land_class"]).removesuffix("K")]
        texts.append(f"granted_term_years {_figure(frame.at[r, 'granted_term_years'])} > legal term {_figure(years)} "
                     f"years of class {frame.at[r, 'land_class']}, from land_parameters {parameter}")
    return texts


_FRAME_CHECKS = {
    "redline_within_parcel": ("consistency", "redline_area_m2", "redline_area_m2 > area_m2"),
    "term_not_exceeded": ("consistency", "years_used", _term_beyond_use),
    "term_within_legal_term": ("legal_term", "granted_term_years", _term_beyond_legal),
    "unit_of_mineral": ("unit", "unit", "unit differs from minerals.csv"),
}


@dataclass
class ValidationResult:
    category: str
    rows_read: int = 0
    rows_valid: int = 0
    rows_excluded: int = 0
    rows_rejected: int = 0
    area_read: float = 0.0
    area_valid: float = 0.0
    area_excluded: float = 0.0
    area_rejected: float = 0.0
    reject_lines: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    excluded_by_reason: dict[str, int] = field(default_factory=dict)

    def merge(self, other: "ValidationResult") -> None:
        for name in ("rows_read", "rows_valid", "rows_excluded", "rows_rejected", "area_read", "area_valid",
                     "area_excluded", "area_rejected", "reject_lines"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("rejects_by_rule", "excluded_by_reason"):
            mine = getattr(self, name)
            for key, n in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + n


def validated_schema(spec: CategorySpec) -> pa_arrow.Schema:
    return ingested_schema(spec).append(pa_arrow.field("exclusion_reason", pa_arrow.string()))


def duplicate_rows(ingested_parts: str, spec: CategorySpec, temp_dir: Path, counties: list[str]) -> pd.DataFrame:
    """The rows rejected because their id is delivered more than once in the year, each with why (``check``).

    Which row of an id is kept is decided by counties, never by file order (DOMAIN §2, one parcel, one county):

    - the id's own county is the county code it starts with (``140105…``, ``KQ140105…``; a code of the
      province), else the county of the row's file (the code its name starts with, ``140105_小店区.csv``, else
      the code most of its rows carry);
    - a row *agrees* when its region code is the id's county and its file delivers that county (or names none);
    - exactly one agreeing row: it is kept and the others are rejected, naming it (a neighbour's stray row
      carrying this county's parcel id cannot displace the county's own row);
    - otherwise, rows in several files: every row is rejected, each naming the others (which one is right is the
      counties' call, not the order of the file names);
    - otherwise, rows in one file (a county listing an id twice): the later rows are rejected, naming the first.

    Ids are first grouped by a 64-bit hash (ten million hashes fit in a few hundred MB where the
    strings would not); only ids whose hash repeats are then compared as themselves.
    """
    keys = ", ".join(spec.id_columns)
    first = spec.id_columns[0]
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in spec.id_columns)
    region = "" if "region_code" in spec.id_columns else ", region_code"
    query = f"""
        WITH hashed AS (SELECT hash({keys}) AS h FROM read_parquet($path) WHERE {not_null}),
        repeated_hashes AS (SELECT h FROM hashed GROUP BY h HAVING count(*) > 1),
        candidates AS (
            SELECT {keys}{region}, _row_id, _source_file, _source_row FROM read_parquet($path)
            WHERE {not_null} AND hash({keys}) IN (SELECT h FROM repeated_hashes)
        ),
        files AS (SELECT DISTINCT _source_file FROM candidates),
        counts AS (
            SELECT _source_file, region_code, count(*) AS n FROM read_parquet($path)
            WHERE region_code IS NOT NULL AND _source_file IN (SELECT _source_file FROM files) GROUP BY ALL
        ),
        majority AS (
            SELECT _source_file, CASE WHEN max(n) * 2 > sum(n) THEN arg_max(region_code, n) END AS county
            FROM counts GROUP BY _source_file
        ),
        file_counties AS (
            SELECT f._source_file,
                   coalesce(nullif(regexp_extract(parse_filename(f._source_file), '^([0-9]{{6}})([^0-9]|$)', 1), ''),
                            m.county) AS file_county
            FROM files f LEFT JOIN majority m USING (_source_file)
        ),
        judged AS (
            SELECT c.*, fc.file_county,
                   coalesce(list_extract(list_intersect([regexp_extract(c.{first}::VARCHAR, '^[A-Za-z]*([0-9]{{6}})', 1)],
                                                        $counties), 1),
                            fc.file_county) AS own_county
            FROM candidates c JOIN file_counties fc USING (_source_file)
        ),
        agreed AS (
            SELECT *, coalesce(region_code = own_county AND coalesce(file_county = own_county, TRUE), FALSE) AS agrees
            FROM judged
        ),
        grouped AS (
            SELECT *,
                   count(*) FILTER (WHERE agrees) OVER ids AS agreeing,
                   min(_source_file) OVER ids = max(_source_file) OVER ids AS one_file,
                   arg_min(_source_file || ' row ' || _source_row, _row_id) FILTER (WHERE agrees) OVER ids AS kept_at,
                   arg_min(_source_file || ' row ' || _source_row, _row_id) OVER ids AS first_at,
                   row_number() OVER (PARTITION BY {keys} ORDER BY _row_id) AS occurrence,
                   count(*) OVER ids AS copies
            FROM agreed
            WINDOW ids AS (PARTITION BY {keys})
        ),
        -- the first six places of each id, once per id (a list per row would grow with the square of the copies)
        places AS (
            SELECT {keys}, arg_min(_source_file || ' row ' || _source_row, _row_id, 6) AS every_at
            FROM agreed GROUP BY ALL
        )
        SELECT _row_id,
               CASE WHEN agreeing = 1
                    THEN 'kept ' || kept_at || ', whose county ' || own_county || ' is the id''s and its file''s; this row: county '
                         || coalesce(region_code, '?') || ' in ' || _source_file
                    WHEN one_file THEN 'first seen in ' || first_at
                    ELSE 'also in ' || array_to_string(list_slice(list_filter(every_at, lambda x: x <> _source_file || ' row ' || _source_row), 1, 5), '; ')
                         || CASE WHEN copies > 6 THEN ' … (' || copies || ' rows)' ELSE '' END
                         || ': no one row''s county is the id''s (' || coalesce(own_county, '?') || ') and its file''s, so none is kept'
               END AS "check"
        FROM grouped JOIN places USING ({keys})
        WHERE CASE WHEN agreeing = 1 THEN NOT agrees WHEN one_file THEN occurrence > 1 ELSE TRUE END
    """
    # runs beside nothing else, but before the workers start: a small limit keeps this process small
    with connect(temp_dir, memory_limit="400MB") as con:
        return con.execute(query, {"path": ingested_parts, "counties": list(counties)}).df()


EXCLUSION_REASONS = {
    "land": "collective land 集体所有土地",
    "grassland": "collective land 集体所有土地",
    "wetland": "collective land 集体所有土地",
    "forest": "collective land and trees 集体所有林地和林木",
}


def excluded_rows(category: str, frame: pd.DataFrame, codes: CodeLists) -> np.ndarray:
    """Rows out of the ledgers' scope (DOMAIN §2: only state-owned assets; state trees count on their own)."""
    if category in ("land", "grassland", "wetland"):
        return ~frame["ownership"].isin(codes.state_ownership).to_numpy(dtype=bool)
    if category == "forest":
        land = frame["land_ownership"].isin(codes.state_ownership).to_numpy(dtype=bool)
        trees = frame["tree_ownership"].isin(codes.state_trees).to_numpy(dtype=bool)
        return ~land & ~trees
    return np.zeros(len(frame), dtype=bool)


def map_names_to_codes(table: pa_arrow.Table, codes: CodeLists) -> pa_arrow.Table:
    """Deliveries often write the name (地表水, 采矿权) where the code list has a code: accept it."""
    for column, mapping in codes.names_to_codes.items():
        if column not in table.column_names or not mapping:
            continue
        names = pa_arrow.array(list(mapping), pa_arrow.string())
        found = pc.index_in(table[column], value_set=names)
        if found.null_count == len(found):
            continue
        mapped = pc.take(pa_arrow.array(list(mapping.values()), pa_arrow.string()), found)
        table = table.set_column(
            table.column_names.index(column), column, pc.if_else(pc.is_valid(found), mapped, table[column])
        )
    return table


VALIDATION_BATCH_ROWS = 250_000
TASK_ROWS = 1_000_000
PARALLEL_ROWS = 1_000_000  # below this many rows, one process is faster than starting workers


def validate_category(
    category: str, layout: YearLayout, codes: CodeLists, parallel: bool | None = None
) -> ValidationResult:
    """Validate the category's ingested parts; valid, rejected rows and reject lines go to their folders."""
    spec = SPECS[category]
    ingested = layout.ingested(category)
    duplicates = (
        duplicate_rows(parts(ingested), spec, layout.stages / "duckdb_tmp", codes.counties)
        if spec.id_columns else pd.DataFrame()
    )
    pieces = _pieces(ingested)
    total_rows = sum(rows for _, _, rows in pieces)
    if parallel is None:
        parallel = total_rows > PARALLEL_ROWS
    # one task in-process; else about four tasks per worker so the workers finish together, each of at
    # most TASK_ROWS so that a worker's memory does not grow with the province
    if parallel:
        target = min(max(VALIDATION_BATCH_ROWS, total_rows // (worker_count() * 4)), TASK_ROWS)
    else:
        target = max(total_rows, 1)
    tasks_pieces = _group_pieces(pieces, target)
    result = ValidationResult(category=category)
    with atomic_folder(layout.validated(category)) as valid_dir, atomic_folder(
        layout.rejected_rows(category)
    ) as rejected_dir, atomic_folder(layout.reject_lines(category)) as lines_dir:
        tasks = []
        for index, task_pieces in enumerate(tasks_pieces):
            files = {path for path, _, _ in task_pieces}
            file_ids = [int(Path(f).stem.split("-")[1]) for f in files]
            in_files = np.isin(duplicates["_row_id"].to_numpy(dtype=np.int64) >> FILE_SHIFT, file_ids)
            dups = duplicates[in_files] if len(duplicates) else duplicates
            tasks.append((category, index, task_pieces, codes, dups, valid_dir, rejected_dir, lines_dir))
        for partial in run_tasks(validate_task, tasks, parallel):
            result.merge(partial)
    return result


def _pieces(ingested: Path) -> list[tuple[str, int, int]]:
    """(part file, row group, rows) of every ingested part, in row-id order."""
    pieces = []
    for path in part_files(ingested):
        metadata = pq.ParquetFile(path).metadata
        pieces += [(str(path), g, metadata.row_group(g).num_rows) for g in range(metadata.num_row_groups)]
        if metadata.num_row_groups == 0:
            pieces.append((str(path), -1, 0))
    return pieces


def _group_pieces(pieces, target_rows: int) -> list[list[tuple[str, int, int]]]:
    """Consecutive pieces grouped into tasks of about ``target_rows`` rows."""
    groups, current, rows = [], [], 0
    for piece in pieces:
        current.append(piece)
        rows += piece[2]
        if rows >= target_rows:
            groups.append(current)
            current, rows = [], 0
    if current or not groups:
        groups.append(current)
    return groups


def validate_task(
    category: str, index: int, pieces, codes: CodeLists, duplicates: pd.DataFrame,
    valid_dir: Path, rejected_dir: Path, lines_dir: Path,
) -> ValidationResult:
    """Validate some row groups of the ingested parts in batches; write one part to each output folder."""
    spec = SPECS[category]
    model = build_model(category, codes)
    result = ValidationResult(category=category)
    files = sorted({path for path, _, _ in pieces})
    unparsed_parts = [Path(f).with_name(Path(f).name.replace("part-", "unparsed-")) for f in files]
    unparsed_cells = (
        pa_arrow.concat_tables([pq.read_table(p) for p in unparsed_parts if p.exists()]).to_pandas()
        if any(p.exists() for p in unparsed_parts) else pd.DataFrame(columns=["_row_id", "column", "value"])
    )
    name = f"part-{index:05d}.parquet"
    with atomic_parquet_writer(valid_dir / name, validated_schema(spec)) as valid_out, atomic_parquet_writer(
        rejected_dir / name, ingested_schema(spec)
    ) as rejected_out, atomic_parquet_writer(lines_dir / name, REJECT_SCHEMA) as rejects_out:
        for table in _batches(pieces):
            _validate_batch(category, spec, model, codes, table, unparsed_cells, duplicates,
                            valid_out, rejected_out, rejects_out, result)
    return result


def _batches(pieces) -> Iterator[pa_arrow.Table]:
    """The pieces' rows in batches of VALIDATION_BATCH_ROWS (small county parts are joined, large row groups cut):
    a batch's size, and so a worker's memory, does not grow with the size of the delivered files."""
    pending, rows = [], 0
    handles: dict[str, pq.ParquetFile] = {}
    for path, group, n in pieces:
        if group < 0:
            continue
        handle = handles.setdefault(path, pq.ParquetFile(path))
        pending.append(handle.read_row_group(group))
        rows += n
        while rows >= VALIDATION_BATCH_ROWS:
            table = pa_arrow.concat_tables(pending)
            yield table.slice(0, VALIDATION_BATCH_ROWS)
            rest = table.slice(VALIDATION_BATCH_ROWS)
            pending, rows = ([rest] if rest.num_rows else []), rest.num_rows
    if pending:
        yield pa_arrow.concat_tables(pending)


def _validate_batch(category, spec, model, codes, table, unparsed_cells, duplicates,
                    valid_out, rejected_out, rejects_out, result: ValidationResult) -> None:
    table = map_names_to_codes(table, codes)
    types = {pa_arrow.int64(): pd.Int64Dtype(), pa_arrow.bool_(): pd.BooleanDtype()}.get
    frame = table.to_pandas(types_mapper=types)
    frame.index = frame["_row_id"].to_numpy()
    lines = _failures(model, frame, category, codes)
    lines = _add_unparsed(lines, unparsed_cells, frame)
    lines = _add_duplicates(lines, duplicates, frame, spec)
    is_bad = frame.index.isin(pd.Index(lines["_row_id"].unique())) if len(lines) else np.zeros(len(frame), bool)

    out_of_scope = excluded_rows(category, frame, codes)
    reason = pa_arrow.scalar(EXCLUSION_REASONS.get(category), pa_arrow.string())
    good = table.filter(pa_arrow.array(~is_bad)).append_column(
        "exclusion_reason",
        pc.if_else(pa_arrow.array(out_of_scope[~is_bad]), reason, pa_arrow.scalar(None, pa_arrow.string())),
    )
    rejected = table.filter(pa_arrow.array(is_bad))
    valid_out.write_table(good.cast(valid_out.schema))
    rejected_out.write_table(rejected)
    if len(lines):
        rejects_out.write_table(_reject_table(lines, frame, category))

    excluded = out_of_scope & ~is_bad
    result.rows_read += len(frame)
    result.rows_rejected += int(is_bad.sum())
    result.rows_excluded += int(excluded.sum())
    result.rows_valid += int((~is_bad & ~excluded).sum())
    result.reject_lines += len(lines)
    for rule, n in (lines.groupby("rule").size().items() if len(lines) else ()):
        result.rejects_by_rule[rule] = result.rejects_by_rule.get(rule, 0) + int(n)
    if excluded.any():
        key = EXCLUSION_REASONS[category]
        result.excluded_by_reason[key] = result.excluded_by_reason.get(key, 0) + int(excluded.sum())
    if spec.area_column:
        area = frame[spec.area_column].to_numpy(dtype=float, na_value=np.nan)
        result.area_read += float(np.nansum(area))
        result.area_rejected += float(np.nansum(area[is_bad]))
        result.area_excluded += float(np.nansum(area[excluded]))
        result.area_valid += float(np.nansum(area[~is_bad & ~excluded]))


def _failures(model: type[pa.DataFrameModel], frame: pd.DataFrame, category: str,
              codes: CodeLists | None = None) -> pd.DataFrame:
    """Pandera's failure cases as reject lines: (_row_id, column, value, rule, check)."""
    columns = ["_row_id", "column", "value", "rule", "check"]
    try:
        model.validate(frame, lazy=True)
        return pd.DataFrame(columns=columns)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()]
    frame_level = cases["check"].isin(list(_FRAME_CHECKS))
    # a DataFrame-level check reports every column of a failing row: keep one line, on its own column
    cases = pd.concat([cases[~frame_level], cases[frame_level].drop_duplicates(["index", "check"])])
    frame_level = cases["check"].isin(list(_FRAME_CHECKS))
    check = cases["check"].astype(str)
    rule = check.map(_rule_of)
    column = cases["column"].astype(object).where(~frame_level, check.map(lambda k: _FRAME_CHECKS.get(k, ("", "", ""))[1]))
    row_ids = cases["index"].astype("int64")
    value = cases["failure_case"].astype(object)
    if frame_level.any():
        value = value.copy()
        value[frame_level] = [frame.at[r, c] for r, c in zip(row_ids[frame_level], column[frame_level])]
    check = check.where(~check.str.startswith("isin("), "isin")  # the code list itself is too long to repeat
    check = check.copy()
    for name, (_, _, says) in _FRAME_CHECKS.items():
        failing = (frame_level & (check == name)).to_numpy()
        if failing.any():
            check[failing] = says(frame, row_ids[failing], codes) if callable(says) else says
    lines = pd.DataFrame({"_row_id": row_ids, "column": column, "value": value, "rule": rule, "check": check})
    return lines.drop_duplicates(["_row_id", "column", "rule"])


def _rule_of(check: str) -> str:
    if check == "not_nullable":
        return "required"
    if check in RULE_MESSAGES:
        return check
    if check in _FRAME_CHECKS:
        return _FRAME_CHECKS[check][0]
    if check.startswith("isin("):
        return "code_list"
    if check.startswith("dtype("):
        return "type"
    return "range"


def _add_unparsed(lines: pd.DataFrame, unparsed: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Cells that did not parse: a ``type`` reject replaces the ``required`` one their null caused."""
    if unparsed.empty:
        return lines
    here = unparsed[unparsed["_row_id"].isin(frame.index)]
    if here.empty:
        return lines
    check = here["check"] if "check" in here else "parse"  # why the cell was not read (Excel error, formula …)
    typed = pd.DataFrame(
        {"_row_id": here["_row_id"], "column": here["column"], "value": here["value"], "rule": "type", "check": check}
    )
    key = lines["_row_id"].astype(str) + "\x1f" + lines["column"].astype(str)
    shadowed = key.isin(typed["_row_id"].astype(str) + "\x1f" + typed["column"])
    return pd.concat([lines[~shadowed], typed], ignore_index=True)


def _add_duplicates(lines: pd.DataFrame, duplicates: pd.DataFrame, frame: pd.DataFrame, spec: CategorySpec) -> pd.DataFrame:
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


def _reject_table(lines: pd.DataFrame, frame: pd.DataFrame, category: str) -> pa_arrow.Table:
    row_ids = lines["_row_id"].to_numpy()
    zh = lines["rule"].map({rule: texts[0] for rule, texts in RULE_MESSAGES.items()})
    en = lines["rule"].map({rule: texts[1] for rule, texts in RULE_MESSAGES.items()})
    col_zh = lines["column"].map(COLUMN_NAMES_ZH).fillna(lines["column"])
    detail = lines["check"].where(~lines["check"].isin(["not_nullable", "parse", "isin", "code_list", "region"]), "")
    has_detail = detail != ""
    message_zh = col_zh + "：" + zh + ("（" + detail + "）").where(has_detail, "")
    message_en = lines["column"] + ": " + en + (" (" + detail + ")").where(has_detail, "")
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
