"""The synthetic province: deterministic, Shanxi-like, linked inventories, and dirty rows exactly where recorded."""

from __future__ import annotations

import functools
import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest

from assets_pipeline.sample import (
    GROUP_AREA_WAN_HA,
    REFERENCE_DIR,
    UNPRICED_PLANTED_SHARE,
    UnpricedBudget,
    generate_sample,
)
from assets_pipeline.schema.categories import SPECS

COUNTY_CATEGORIES = ("land", "forest", "grassland", "wetland")
FIRST_LEVEL_GROUP = {
    "01": "cropland",
    "02": "orchard",
    "05": "construction",
    "06": "construction",
    "07": "construction",
    "08": "construction",
    "09": "construction",
    "10": "transport",
    "11": "water",
    "12": "other",
}


def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)


LAND_CLASSES = reference("land_classes.csv")
CLASS_CATEGORY = dict(zip(LAND_CLASSES["land_class"], LAND_CLASSES["category"], strict=False))
OWNERSHIP_CODES = set(reference("ownership_codes.csv")["code"])
SOURCE_TYPES = set(reference("water_source_types.csv")["source_type"])
MINERAL_CODES = set(reference("minerals.csv")["mineral_code"])
COUNTY_CODES = set(reference("admin_divisions.csv").query("level == 'county'")["region_code"])


# --- reading files back the way a user would ------------------------------------------------------------------


def header_key(header: str) -> str:
    """Case-, space- and punctuation-insensitive header, without a unit suffix such as (亩)."""
    header = re.sub(r"[(（]\s*(亩|公顷|平方米|m2|ha)\s*[)）]$", "", header.strip())
    return re.sub(r"[\W_]+", "", header).lower()


def canonical_names(category: str, headers: list[str]) -> list[str]:
    lookup = {}
    for column in SPECS[category].columns:
        for name in (column.name,) + column.aliases:
            lookup[header_key(name)] = column.name
    names = [lookup[header_key(h)] for h in headers]  # KeyError: a header categories.py does not know
    assert len(set(names)) == len(names)
    return names


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_delivered(path: Path, category: str) -> tuple[pd.DataFrame, int]:
    """A delivered file as objects under canonical names, and the offset from position to user row number."""
    frame, offset = read_cached(path, category)
    return frame.copy(), offset


@functools.cache
def read_cached(path: Path, category: str) -> tuple[pd.DataFrame, int]:
    if path.suffix == ".csv":
        frame = pd.read_csv(io.StringIO(read_text(path)), dtype=str, keep_default_na=False)
        offset = 2
    elif path.suffix == ".xlsx":
        frame = pd.read_excel(path, dtype=object, engine="calamine")
        offset = 2
    else:
        frame = pq.read_table(path).to_pandas()
        offset = 1
    frame = frame.astype(object)
    frame.columns = canonical_names(category, list(frame.columns))
    return frame, offset


def blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def as_number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.where(~blank(series)), errors="coerce")


def delivered_rows(year_dir: Path, relatives: list[str]) -> dict[str, pd.DataFrame]:
    """All files of a year per category, each row tagged with its file, user row number and county."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for relative in relatives:
        category = relative.split("/")[0] if "/" in relative else relative.split(".")[0]
        frame, offset = read_delivered(year_dir / relative, category)
        frame["_file"] = relative
        frame["_row"] = np.arange(len(frame)) + offset
        frame["_county"] = Path(relative).name[:6] if "/" in relative else ""
        parts.setdefault(category, []).append(frame)
    return {category: pd.concat(frames, ignore_index=True) for category, frames in parts.items()}


def violations(frame: pd.DataFrame, category: str) -> set[tuple[str, int, str, str]]:
    """Every (file, row, column, rule) a careful reader finds in delivered rows."""
    spec = SPECS[category]
    files, rows = frame["_file"].to_numpy(), frame["_row"].to_numpy()
    found: set[tuple[str, int, str, str]] = set()

    def add(mask: pd.Series, column: str, rule: str) -> None:
        at = np.flatnonzero(mask.to_numpy(dtype=bool))
        found.update((files[i], int(rows[i]), column, rule) for i in at)

    present = {}
    for column in spec.columns:
        if column.name not in frame:
            continue
        values = frame[column.name]
        present[column.name] = ~blank(values)
        if column.required:
            add(~present[column.name], column.name, "required")
        if column.kind in ("number", "area", "integer"):
            parsed = as_number(values)
            add(present[column.name] & parsed.isna(), column.name, "type")
            add(parsed < 0, column.name, "range")
    text = {c: frame[c].astype(str).str.strip() for c in present}
    code_lists = {
        "land_class": set(CLASS_CATEGORY),
        "ownership": OWNERSHIP_CODES,
        "land_ownership": OWNERSHIP_CODES,
        "source_type": SOURCE_TYPES,
        "mineral_code": MINERAL_CODES,
    }
    for column, codes in code_lists.items():
        if column in present:
            value = text[column].str.replace(r"K$", "", regex=True) if column == "land_class" else text[column]
            add(present[column] & ~value.isin(codes), column, "code_list")
    region = text["region_code"].str.slice(0, 6)
    county = frame["_county"]
    expected = np.where(county != "", region == county, region.isin(COUNTY_CODES))
    add(present["region_code"] & ~expected, "region_code", "region")
    keyed = pd.concat([present[c] for c in spec.id_columns], axis=1).all(axis=1)
    key = frame.loc[keyed, ["_file", *spec.id_columns]].astype(str).agg("|".join, axis=1)
    add(key.duplicated(keep="first").reindex(frame.index, fill_value=False), spec.id_columns[0], "unique")
    return found


def county_files(year_dir: Path, category: str) -> list[Path]:
    return sorted((year_dir / category).glob("*.*")) if (year_dir / category).is_dir() else []


def base_map(year_dir: Path) -> pd.DataFrame:
    frames = [read_delivered(path, "land")[0] for path in county_files(year_dir, "land")]
    return pd.concat(frames, ignore_index=True)


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def survey_group(land_class: pd.Series) -> pd.Series:
    stem = land_class.str.replace(r"K$", "", regex=True)
    category = stem.map(CLASS_CATEGORY)
    by_first_level = stem.str.slice(0, 2).map(FIRST_LEVEL_GROUP)
    return category.where(category.isin(["forest", "grassland", "wetland"]), by_first_level)


# --- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    out = tmp_path_factory.mktemp("mixed")
    # row defects only: the planted base-map inconsistencies are checked against a run in tests/integration/test_consistency.py
    return out, generate_sample(
        out,
        [2022, 2023],
        parcels=6_000,
        seed=7,
        formats="mixed",
        dirty_share=0.03,
        inconsistency_share=0.0,
        layers="none",
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    return out, generate_sample(
        out, [2023], parcels=20_000, seed=5, formats="parquet", dirty_share=0.0, inconsistency_share=0.0, layers="none"
    )


# --- tests ------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path):
    first = generate_sample(tmp_path / "a", [2023], parcels=2_000, seed=11)
    generate_sample(tmp_path / "b", [2023], parcels=2_000, seed=11)
    a, b = file_hashes(tmp_path / "a"), file_hashes(tmp_path / "b")
    # CSV, Parquet, XLSX, GeoPackage and Shapefile alike; GDAL stamps a FileGDB's tables with the time of writing,
    # so a FileGDB is the same by its content
    gdb = {name for name in a if ".gdb/" in name}
    assert {k: v for k, v in a.items() if k not in gdb} == {k: v for k, v in b.items() if ".gdb/" not in k}
    assert {".csv", ".parquet", ".xlsx", ".gpkg", ".shp"} <= {Path(name).suffix for name in a}
    for folder in sorted({name.split(".gdb/")[0] + ".gdb" for name in gdb}):
        first_read, second_read = (pyogrio.read_arrow(root / folder)[1] for root in (tmp_path / "a", tmp_path / "b"))
        assert first_read.equals(second_read)
    assert first.planted[2023] > 0


@pytest.mark.slow
def test_parquet_format_and_another_seed(mixed, tmp_path):
    out, summary = mixed
    other = generate_sample(tmp_path, [2022], parcels=6_000, seed=8, formats="parquet", layers="none")
    assert set(other.deliveries.values()) == {"parquet, canonical headers"}
    assert base_map(tmp_path / "2022")["parcel_id"].tolist() != base_map(out / "2022")["parcel_id"].tolist()
    assert not (tmp_path / "2022" / "water.xlsx").exists() and (tmp_path / "2022" / "minerals.parquet").exists()


@pytest.mark.slow
def test_layout_and_summary(mixed):
    out, summary = mixed
    assert summary.years == [2022, 2023]
    for year in summary.years:
        year_dir = out / str(year)
        on_disk = sorted(str(p.relative_to(year_dir)).replace("\\", "/") for p in year_dir.rglob("*") if p.is_file())
        assert on_disk == sorted(summary.files[year])
        assert (year_dir / "water.xlsx").is_file() and (year_dir / "minerals.csv").is_file()
        assert len(county_files(year_dir, "land")) == 117
        assert all(re.fullmatch(r"14\d{4}_\w+\.(csv|xlsx|parquet)", p.name) for p in county_files(year_dir, "land"))
        for category in SPECS:
            paths = county_files(year_dir, category) or [p for p in year_dir.glob(f"{category}.*")]
            rows = sum(len(read_delivered(p, category)[0]) for p in paths)
            assert rows == summary.rows[year][category]
    assert "not real data" in (out / "_sample" / "README.txt").read_text(encoding="utf-8").lower()


@pytest.mark.slow
def test_mixed_deliveries(mixed):
    out, summary = mixed
    kinds = summary.deliveries.values()
    assert sum("gbk" in k for k in kinds) == pytest.approx(0.35 * 117, abs=2)
    assert sum(k.startswith("xlsx") for k in kinds) == pytest.approx(0.20 * 117, abs=2)
    assert sum(k.startswith("parquet") for k in kinds) == pytest.approx(0.25 * 117, abs=2)
    assert any("utf-8-sig" in k for k in kinds) and any("12-digit" in k for k in kinds)

    year_dir = out / "2023"
    gbk = next(code for code, k in summary.deliveries.items() if "gbk, chinese headers" in k)
    path = next((year_dir / "land").glob(f"{gbk}_*.csv"))
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gb18030").splitlines()[0].startswith("标识码,")

    survey = next(code for code, k in summary.deliveries.items() if "gbk, survey headers" in k)
    header = read_text(next((year_dir / "land").glob(f"{survey}_*.csv"))).splitlines()[0]
    assert header.split(",")[:5] in (
        ["BSM", "XZQDM", "DLBM", "TBMJ", "QSXZ"],
        ["BSM", "ZLDWDM", "DLBM", "TBMJ", "QSXZ"],
    )

    mu = [code for code, k in summary.deliveries.items() if "亩" in k]
    assert mu
    frame, _ = read_delivered(next((year_dir / "land").glob(f"{mu[0]}_*.*")), "land")
    raw_header = (
        read_text(next((year_dir / "land").glob(f"{mu[0]}_*.csv"))).splitlines()[0]
        if any((year_dir / "land").glob(f"{mu[0]}_*.csv"))
        else ",".join(
            pd.read_excel(next((year_dir / "land").glob(f"{mu[0]}_*.xlsx")), nrows=0, engine="calamine").columns
        )
    )
    assert "图斑面积(亩)" in raw_header.split(",")
    area = as_number(frame["area_m2"])
    assert area[area > 0].median() < 100  # 亩, not m²
    # Sub-compartments still add up to their base parcel once both are in 亩 (rows untouched by defects).
    forest_path = next((year_dir / "forest").glob(f"{mu[0]}_*.*"))
    forest, offset = read_delivered(forest_path, "forest")
    planted = pd.read_csv(out / "_sample" / "planted_2023.csv")
    dirty = planted.loc[planted["source_file"] == f"forest/{forest_path.name}", "source_row"] - offset
    forest = forest[~forest["base_parcel_id"].isin(forest["base_parcel_id"].iloc[dirty])]  # links are never dirty
    sums = forest.assign(area=as_number(forest["area_m2"])).groupby("base_parcel_id")["area"].sum()
    base_area = as_number(frame.drop_duplicates("parcel_id").set_index("parcel_id")["area_m2"]).loc[sums.index]
    assert len(sums) and np.allclose(sums.to_numpy(), base_area.to_numpy(), atol=0.005)

    long_code = next(code for code, k in summary.deliveries.items() if "12-digit" in k)
    frame, _ = read_delivered(next((year_dir / "land").glob(f"{long_code}_*.csv")), "land")
    region = frame["region_code"].astype(str)
    assert (region.str.len() == 12).mean() > 0.9


@pytest.mark.slow
def test_every_header_is_known_to_categories(mixed):
    out, _ = mixed
    for category in COUNTY_CATEGORIES:
        for path in county_files(out / "2023", category):
            read_delivered(path, category)  # raises KeyError on an unknown header
    read_delivered(out / "2023" / "water.xlsx", "water")
    read_delivered(out / "2023" / "minerals.csv", "minerals")


@pytest.mark.slow
def test_planted_file_lists_exactly_the_dirty_rows(mixed):
    out, summary = mixed
    for year in summary.years:
        planted = pd.read_csv(out / "_sample" / f"planted_{year}.csv", dtype={"source_row": int})
        assert list(planted.columns) == ["category", "source_file", "source_row", "column", "rule"]
        assert set(planted["rule"]) == {"required", "type", "code_list", "range", "unique", "region"}
        assert len(planted) == summary.planted[year]
        assert not planted.duplicated(["source_file", "source_row"]).any()  # one defect per dirty row
        county_rows = sum(summary.rows[year][c] for c in COUNTY_CATEGORIES)
        county_planted = planted["category"].isin(COUNTY_CATEGORIES).sum()
        assert county_planted == pytest.approx(0.03 * county_rows, rel=0.15)
        assert 0 < (~planted["category"].isin(COUNTY_CATEGORIES)).sum() < 40

        for category, frame in delivered_rows(out / str(year), summary.files[year]).items():
            mine = planted[planted["category"] == category]
            recorded = set(zip(mine["source_file"], mine["source_row"], mine["column"], mine["rule"], strict=False))
            found = violations(frame, category)
            assert found == recorded, (category, sorted(found ^ recorded)[:5])


@pytest.mark.slow
def test_planted_rows_show_their_defect(mixed):
    """Spot checks straight from the file at the recorded row number."""
    out, _ = mixed
    planted = pd.read_csv(out / "_sample" / "planted_2023.csv", dtype={"source_row": int})
    for rule in ("range", "type", "region"):
        entry = planted[(planted["rule"] == rule) & planted["source_file"].str.endswith(".csv")].iloc[0]
        line = read_text(out / "2023" / entry["source_file"]).splitlines()[entry["source_row"] - 1]
        header = read_text(out / "2023" / entry["source_file"]).splitlines()[0].split(",")
        category = entry["category"]
        cell = line.split(",")[canonical_names(category, header).index(entry["column"])]
        if rule == "range":
            assert float(cell) < 0
        elif rule == "type":
            with pytest.raises(ValueError):
                float(cell)
        else:
            assert cell.startswith("149999")


@pytest.mark.slow
def test_inventories_point_to_base_parcels(mixed):
    out, summary = mixed
    for year in summary.years:
        year_dir = out / str(year)
        base_ids = base_map(year_dir)["parcel_id"].dropna().to_numpy(dtype=str)
        for category in ("forest", "grassland", "wetland"):
            for path in county_files(year_dir, category):
                frame, _ = read_delivered(path, category)
                assert np.isin(frame["base_parcel_id"].to_numpy(dtype=str), base_ids).all(), path


@pytest.mark.slow
def test_inventories_match_their_base_parcels(clean):
    out, summary = clean
    year_dir = out / "2023"
    base = base_map(year_dir).set_index("parcel_id")
    assert base.index.is_unique
    total = 0
    for category in ("forest", "grassland", "wetland"):
        frame = pd.concat([read_delivered(p, category)[0] for p in county_files(year_dir, category)])
        total += len(frame)
        linked = base.loc[frame["base_parcel_id"]]
        assert (linked["land_class"].to_numpy() == frame["land_class"].to_numpy()).all()
        assert (linked["region_code"].to_numpy() == frame["region_code"].to_numpy()).all()
        area = frame.groupby("base_parcel_id")["area_m2"].sum()
        assert np.allclose(area.to_numpy(float), base.loc[area.index, "area_m2"].to_numpy(float), atol=0.005)
        expected = survey_group(base["land_class"]) == category
        assert set(frame["base_parcel_id"]) == set(base.index[expected.to_numpy()])
    forest = pd.concat([read_delivered(p, "forest")[0] for p in county_files(year_dir, "forest")])
    split = forest["base_parcel_id"].duplicated(keep=False).mean()
    assert 0.1 < split < 0.3  # ~10 % of base parcels in two sub-compartments
    assert (forest.loc[forest["land_class"].str.startswith("0305"), "stock_m3"].astype(float) == 0).all()
    assert summary.planted[2023] == 0 and total > 0


@pytest.mark.slow
def test_area_shares_follow_the_province(clean):
    out, _ = clean
    base = base_map(out / "2023")
    area = base["area_m2"].astype(float)
    assert (area > 0).all()
    shares = area.groupby(survey_group(base["land_class"]).to_numpy()).sum() / area.sum()
    expected = pd.Series(GROUP_AREA_WAN_HA) / sum(GROUP_AREA_WAN_HA.values())
    assert (shares.reindex(expected.index) - expected).abs().max() < 0.02
    assert 2_000 < area.mean() < 50_000  # a few thousand m² to a few hectares
    state = base["ownership"].isin(["10", "20"]).groupby(survey_group(base["land_class"]).to_numpy()).mean()
    assert state["cropland"] < 0.1 and state["water"] > 0.8


@pytest.mark.slow
def test_later_years_evolve_from_the_first(mixed):
    out, _ = mixed
    before, after = base_map(out / "2022"), base_map(out / "2023")
    old, new = set(before["parcel_id"].dropna()), set(after["parcel_id"].dropna())
    persisting = len(old & new) / len(old)
    assert 0.97 < persisting < 0.999
    assert len(new - old) > 0
    joined = before.drop_duplicates("parcel_id").merge(after.drop_duplicates("parcel_id"), on="parcel_id")
    changed = (joined["land_class_x"] != joined["land_class_y"]).mean()
    assert 0.003 < changed < 0.05


# --- base parcels without inventory: unpriced grassland within the run's default threshold --------------------


def test_unpriced_budget_grows_with_the_rows_counted():
    budget = UnpricedBudget(share=0.005)
    assert budget.allowance(150) == 0  # 0.005 × 150 = 0.75
    assert budget.allowance(60) == 1  # 0.005 × 210 = 1.05
    budget.planted += 1
    assert budget.allowance(189) == 0  # 0.005 × 399 = 1.995, one already planted
    assert budget.allowance(1) == 1  # 0.005 × 400 = 2
    assert UnpricedBudget(share=0.005).allowance(0) == 0


@pytest.mark.slow
def test_state_grassland_without_inventory_stays_within_half_the_threshold(tmp_path):
    """With every tenth base parcel given each kind, the budget binds: the kind keeps its count, on collective land
    beyond the few state parcels (if any) that half the default unpriced threshold allows."""
    summary = generate_sample(
        tmp_path,
        [2023],
        parcels=3_000,
        seed=3,
        formats="parquet",
        dirty_share=0.0,
        inconsistency_share=0.1,
        layers="none",
    )
    year_dir = tmp_path / "2023"
    planted = pd.read_csv(tmp_path / "_sample" / "planted_inconsistencies_2023.csv", dtype=str)
    undescribed = planted[(planted["category"] == "grassland") & (planted["finding_type"] == "missing_inventory")]
    base = base_map(year_dir).drop_duplicates("parcel_id").set_index("parcel_id")
    state = base.loc[undescribed["base_parcel_id"], "ownership"].isin(["10", "20"])
    grassland = pd.concat([read_delivered(p, "grassland")[0] for p in county_files(year_dir, "grassland")])
    state_rows = grassland["ownership"].isin(["10", "20"]).sum()
    assert state.sum() <= UNPRICED_PLANTED_SHARE * state_rows
    assert (~state).sum() > 15  # the kind is planted all the same, on collective base parcels
    # still about a tenth of each county's grassland base parcels (rounded per county)
    grassland_parcels = (survey_group(base["land_class"]) == "grassland").sum() - len(undescribed)
    assert len(undescribed) == pytest.approx(0.1 * grassland_parcels, rel=0.25)
    assert summary.rows[2023]["grassland"] == len(grassland)


# --- samples of any size compile with the run's defaults (slow: a Dagster run per year) ----------------------


@pytest.mark.slow
@pytest.mark.parametrize("parcels, seed, years", [(1_000, 3, [2021, 2022, 2023]), (4_000, 5, [2023])])
def test_small_samples_compile_with_the_defaults(tmp_path, parcels, seed, years):
    from assets_pipeline.cli import main

    inputs, out = tmp_path / "inputs", tmp_path / "out"
    span = f"{years[0]}-{years[-1]}"
    assert (
        main(
            [
                "sample",
                "--years",
                span,
                "--out",
                str(inputs),
                "--parcels",
                str(parcels),
                "--seed",
                str(seed),
                "--layers",
                "none",
            ]
        )
        == 0
    )
    assert main(["run", "--years", span, "--input-dir", str(inputs), "--output-dir", str(out)]) == 0
    key = ["category", "finding_type", "base_parcel_id", "parcel_id"]
    for year in years:
        year_out = out / str(year)
        planted = pd.read_csv(inputs / "_sample" / f"planted_inconsistencies_{year}.csv", dtype=str)
        found = pd.read_parquet(year_out / "inconsistencies.parquet")
        assert set(found[key].fillna("").itertuples(index=False, name=None)) == set(
            planted[key].fillna("").itertuples(index=False, name=None)
        )
        # every planted dirty row rejected at its file, row and column, and nothing else
        defects = pd.read_csv(inputs / "_sample" / f"planted_{year}.csv")
        rejects = pd.read_parquet(year_out / "rejects.parquet")
        columns = ["category", "source_file", "source_row", "column", "rule"]
        assert set(rejects[columns].itertuples(index=False, name=None)) == set(
            defects[columns].itertuples(index=False, name=None)
        )
        # the only unpriced rows are planted grassland base parcels without inventory, within half the threshold
        statuses = pd.concat(
            [
                pd.read_parquet(p, columns=["category", "status"])
                for p in sorted((year_out / "valued").glob("*.parquet"))
            ]
        )
        assert set(statuses.loc[statuses["status"] == "unpriced", "category"]) <= {"grassland"}
        grassland = pd.read_parquet(year_out / "valued" / "grassland.parquet", columns=["parcel_id", "status"])
        unpriced = grassland.loc[grassland["status"] == "unpriced", "parcel_id"]
        undescribed = planted.loc[
            (planted["category"] == "grassland") & (planted["finding_type"] == "missing_inventory"), "base_parcel_id"
        ]
        assert set(unpriced) <= set(undescribed)
        assert len(unpriced) <= UNPRICED_PLANTED_SHARE * grassland["status"].isin(["valued", "unpriced"]).sum()
