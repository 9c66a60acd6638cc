"""The national ledgers of a year (DOMAIN §7): the sum of the provinces' published cells, beside them.

A province enters the nation's year only with a complete published set (its manifest and the files it
describes, ``publish.manifest.verify_outputs``); a province whose input folder holds the year but whose outputs
are missing or incomplete (a failed or killed run) is missing. A year with a province missing is refused unless
the run allows a partial nation, and then it is marked partial wherever it is read: the cover, ``national.json``
and the files' own metadata.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.publish.manifest import verify_outputs

NATIONAL_FOLDER = "national"
NATIONAL_CODE = "000000"
LEDGER_FILES = {"physical": "ledger_physical.parquet", "value": "ledger_value.parquet"}
# the columns that say where a cell is; every other column of a ledger is a dimension, a name or a measure
REGION_COLUMNS = ("year", "region_code", "region_name", "region_level", "parent_code")
NAME_COLUMNS = ("item_name", "item_name_en", "subject_name", "unit_en")
ORDER = {"physical": "indicator", "value": "component"}


class NationalError(ValueError):
    """The nation's year cannot be published: a province is missing (and no partial nation was allowed), or none
    is there at all."""


@dataclass
class ProvinceEntry:
    code: str
    name: str = ""
    manifest_sha256: str = ""
    why_missing: str = ""


@dataclass
class NationalResult:
    year: int
    folder: Path
    expected: list[str]
    included: list[ProvinceEntry] = field(default_factory=list)
    missing: list[ProvinceEntry] = field(default_factory=list)
    partial: bool = False
    rows: dict[str, int] = field(default_factory=dict)

    def record(self) -> dict:
        return {
            "year": self.year,
            "partial": self.partial,
            "provinces_expected": self.expected,
            "provinces_included": [asdict(p) for p in self.included],
            "provinces_missing": [asdict(p) for p in self.missing],
            "rows": self.rows,
        }


def national_folder(output_dir: Path, year: int) -> Path:
    return Path(output_dir) / NATIONAL_FOLDER / str(year)


def expected_provinces(input_dir: Path, output_dir: Path, year: int, nation: list[str]) -> list[str]:
    """The provinces of the nation being compiled: those whose input folder holds the year
    (``<input-dir>/<province>/<year>/``) and those that have published the year (an input folder archived after
    publication does not drop a province from the nation). The other provincial units are named on the cover as
    not delivered."""
    return [
        code
        for code in nation
        if (Path(input_dir) / code / str(year)).is_dir()
        or (Path(output_dir) / code / str(year) / "manifest.json").exists()
    ]


def province_entries(
    output_dir: Path, year: int, expected: list[str]
) -> tuple[list[ProvinceEntry], list[ProvinceEntry]]:
    """Which provinces have a complete published year, with their manifest's hash, and why the others are missing."""
    from assets_pipeline.ingest.delivered import sha256_of

    included, missing = [], []
    for code in expected:
        layout = YearLayout(Path(output_dir) / code, year)
        problems = verify_outputs(layout)
        if problems:
            missing.append(ProvinceEntry(code, why_missing=problems[0]))
            continue
        with connect(memory_limit="200MB") as con:
            found = con.execute(
                "SELECT any_value(region_name) FROM read_parquet($p) WHERE region_level = 'province'",
                {"p": str(layout.ledger_value)},
            ).fetchone()
        included.append(ProvinceEntry(code, (found[0] if found else None) or "", sha256_of(layout.manifest)))
    return included, missing


def compile_national(
    output_dir: Path, input_dir: Path, year: int, nation: list[str], into: Path, allow_partial: bool = False
) -> NationalResult:
    """Write ``ledger_physical.parquet`` and ``ledger_value.parquet`` (the nation's rows, region_level 'national',
    and the provinces' rows beside them) and ``national.json`` into ``into``: a folder beside
    ``<output-dir>/national/<year>/`` that replaces it only once the checks have passed (``defs.national``)."""
    result = NationalResult(year, Path(into), expected_provinces(input_dir, output_dir, year, nation))
    if not result.expected:
        raise NationalError(f"no province of the nation has an input folder for {year} under {input_dir}")
    result.included, result.missing = province_entries(output_dir, year, result.expected)
    result.partial = bool(result.missing)
    if result.missing and not allow_partial:
        listed = "; ".join(f"{p.code}: {p.why_missing}" for p in result.missing)
        raise NationalError(
            f"{len(result.missing)} of {len(result.expected)} provinces have no complete published {year}: {listed}. "
            "Compile them, or publish the nation marked partial (--allow-partial)"
        )
    if not result.included:
        raise NationalError(f"no province has a complete published {year}: nothing to add up")
    for ledger, file in LEDGER_FILES.items():
        result.rows[ledger] = _write_national(output_dir, year, result, ledger, result.folder / file)
    (result.folder / "national.json").write_text(
        json.dumps(result.record(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return result


def _write_national(output_dir: Path, year: int, result: NationalResult, ledger: str, target: Path) -> int:
    files = [Path(output_dir) / p.code / str(year) / LEDGER_FILES[ledger] for p in result.included]
    schema = pq.read_schema(files[0])
    measures = [n for n in schema.names if n.startswith(("quantity", "value"))]
    names = [n for n in NAME_COLUMNS if n in schema.names]
    dims = [n for n in schema.names if n not in REGION_COLUMNS and n not in measures and n not in names]
    ident = sql.identifier
    pieces = {
        "dims": sql.Literal(", ".join(ident(d) for d in dims)),
        "names": sql.Literal(", ".join(f"any_value({ident(n)} ORDER BY region_code) AS {ident(n)}" for n in names)),
        "sums": sql.Literal(", ".join(f"sum({ident(m)}) AS {ident(m)}" for m in measures)),
        "order": ident(ORDER[ledger]),
    }
    with connect(memory_limit="1GB") as con:
        con.execute(  # a view takes no prepared parameter: the files as quoted literals
            f"CREATE TEMP VIEW provinces AS SELECT * FROM read_parquet({sql.paths_literal(files)}, "
            "union_by_name = true) WHERE region_level = 'province'"
        )
        table = con.sql(sql.load(__file__, "national", **pieces)).to_arrow_table()
    metadata = {b"nrledger": json.dumps({"partial": result.partial, "year": year}).encode()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    pq.write_table(table, target, compression="zstd")
    return table.num_rows


def nation_differs_from_provinces(result: NationalResult) -> list[str]:
    """The national cells that are not the sum of the provinces' cells, recomputed from each province's own ledger
    files with Python decimals (not from the query that wrote the nation's files)."""
    from decimal import Decimal

    differing = []
    for ledger, file in LEDGER_FILES.items():
        nation = pq.read_table(result.folder / file).to_pylist()
        measures = [k for k in nation[0] if k.startswith(("quantity", "value"))] if nation else []
        dims = [
            k for k in (nation[0] if nation else {}) if k not in REGION_COLUMNS + NAME_COLUMNS and k not in measures
        ]
        expected: dict[tuple, list[Decimal]] = {}
        for p in result.included:
            rows = pq.read_table(Path(result.folder).parents[1] / p.code / str(result.year) / file).to_pylist()
            for row in rows:
                if row["region_level"] != "province":
                    continue
                sums = expected.setdefault(tuple(row[d] for d in dims), [Decimal(0)] * len(measures))
                for i, m in enumerate(measures):
                    sums[i] += row[m] or Decimal(0)
        found = {
            tuple(r[d] for d in dims): [r[m] or Decimal(0) for m in measures]
            for r in nation
            if r["region_level"] == "national"
        }
        for key in sorted(set(expected) | set(found), key=str):
            if expected.get(key) != found.get(key):
                differing.append(
                    f"{ledger} {'/'.join(map(str, key))}: nation {found.get(key)} ≠ provinces {expected.get(key)}"
                )
    return differing
