"""A hand-made province over two years (2022 → 2023), small enough to work every balance figure out by hand.

Two counties of Taiyuan (140105 小店区, 140106 迎泽区); each change of the year is one planted case:

* land parcel 1401060000000001 changes class 0103 旱地 → 0201 果园 (2,000 m²): reclassification;
* land parcel 1401050000000002 (0103, 3,000 m²) is split into ...0003 (1,000 m²) and ...0004 (2,000 m²);
* land parcel 1401070000000001 (0101, 1,000 m², county 140107) becomes collective;
* forest sub-compartments F1 (stock 100 → 110 m³: growth) and F2 (200 → 50 m³: harvest), larch, planted
  by nature (origin 1), near-mature (age 4), priced per m³: 700 元 in 2022, 714 元 in 2023; their land
  (10,000 + 20,000 m² of 0301) is priced 2,400 → 2,448 元/亩;
* coal deposit D001: proved 100 万吨 with a declared extraction of 10 in 2022, reported as probable 90 in
  2023 (extracted, then re-classed); its inferred 50 stays; coal is priced 120,000 → 126,000 元/万吨;
* coal deposit D003 (measured, 50 万吨) does not change: a pure revaluation.

Parcels matched through their base parcel (DOMAIN §2), one county each:

* 140108: forest sub-compartment F3 (8,000 m², 80 m³) is re-identified F3B on the same base parcel (88 m³);
* 140109: base parcel 1401090000000001 (6,000 m²) turns from 0301 乔木林地 into 0602 采矿用地; its forest row F4
  (60 m³) is gone;
* 140110: base parcel 1401100000000001 (4,000 m² of 0404, grassland G2) becomes collective;
* 140121: base parcel 1401210000000001 (5,000 m² of 0301, forest F5 with 50 m³) is new on the base map;
* 140122: base parcel 1401220000000001 (3,000 m²) turns from 0103 旱地 into 0301, described by a new forest
  row F6 (30 m³);
* 140181: base parcel 1401810000000001 (4,000 m² of 0301) stays; its forest row F7 (40 m³) is rejected in 2023
  (land class 9999), so the parcel is counted smaller, not removed.
"""

from __future__ import annotations

from pathlib import Path

LAND_HEADER = "parcel_id,region_code,land_class,area_m2,ownership"
LAND = {
    2022: [
        "1401060000000001,140106,0103,2000,10",
        "1401050000000002,140105,0103,3000,10",
        "1401050000000010,140105,0301,10000,10",  # base parcels of the forest sub-compartments
        "1401050000000011,140105,0301,20000,10",
        "1401050000000020,140105,0404,5000,10",  # base parcels of the grassland and wetland polygons
        "1401050000000021,140105,1106,2500,10",
        "1401070000000001,140107,0101,1000,20",
        "1401080000000001,140108,0301,8000,10",
        "1401090000000001,140109,0301,6000,10",
        "1401100000000001,140110,0404,4000,10",
        "1401220000000001,140122,0103,3000,10",
        "1401810000000001,140181,0301,4000,10",
    ],
    2023: [
        "1401060000000001,140106,0201,2000,10",
        "1401050000000003,140105,0103,1000,10",
        "1401050000000004,140105,0103,2000,10",
        "1401050000000010,140105,0301,10000,10",
        "1401050000000011,140105,0301,20000,10",
        "1401050000000020,140105,0404,5000,10",
        "1401050000000021,140105,1106,2500,10",
        "1401070000000001,140107,0101,1000,30",  # now collective: leaves the state ledger
        "1401080000000001,140108,0301,8000,10",
        "1401090000000001,140109,0602,6000,10",  # forest land turned mining land
        "1401100000000001,140110,0404,4000,30",  # now collective
        "1401210000000001,140121,0301,5000,10",  # new on the base map
        "1401220000000001,140122,0301,3000,10",  # dry land turned forest land
        "1401810000000001,140181,0301,4000,10",
    ],
}
FOREST_HEADER = (
    "parcel_id,base_parcel_id,region_code,land_class,area_m2,land_ownership,tree_ownership,forest_type,"
    "origin,species_code,age_group,stock_m3"
)
FOREST = {
    2022: [
        "F1,1401050000000010,140105,0301,10000,10,1,1,1,150,4,100",
        "F2,1401050000000011,140105,0301,20000,10,1,1,1,150,4,200",
        "F3,1401080000000001,140108,0301,8000,10,1,1,1,150,4,80",
        "F4,1401090000000001,140109,0301,6000,10,1,1,1,150,4,60",
        "F7,1401810000000001,140181,0301,4000,10,1,1,1,150,4,40",
    ],
    2023: [
        "F1,1401050000000010,140105,0301,10000,10,1,1,1,150,4,110",
        "F2,1401050000000011,140105,0301,20000,10,1,1,1,150,4,50",
        "F3B,1401080000000001,140108,0301,8000,10,1,1,1,150,4,88",
        "F5,1401210000000001,140121,0301,5000,10,1,1,1,150,4,50",
        "F6,1401220000000001,140122,0301,3000,10,1,1,1,150,4,30",
        "F7,1401810000000001,140181,9999,4000,10,1,1,1,150,4,40",
    ],  # rejected: no such land class
}
MINERALS_HEADER = (
    "deposit_id,region_code,mineral_code,resource_class,quantity,unit,mining_right,annual_extraction,unit_rent"
)
MINERALS = {
    2022: [
        "D001,140105,coal,proved_reserve,100,万吨,mining,10,",
        "D001,140105,coal,inferred,50,万吨,mining,,",
        "D003,140106,coal,measured,50,万吨,exploration,,",
    ],
    2023: [
        "D001,140105,coal,probable_reserve,90,万吨,mining,10,",
        "D001,140105,coal,inferred,50,万吨,mining,,",
        "D003,140106,coal,measured,50,万吨,exploration,,",
    ],
}

GRASSLAND_HEADER = (
    "parcel_id,base_parcel_id,region_code,land_class,area_m2,ownership,grassland_type,grade,"
    "hay_yield_kg_per_ha,vegetation_cover_pct"
)
GRASSLAND = {
    2022: [
        "G1,1401050000000020,140105,0404,5000,10,02,5,1200,60",
        "G2,1401100000000001,140110,0404,4000,10,02,5,1200,60",
    ],
    2023: [
        "G1,1401050000000020,140105,0404,5000,10,02,5,1200,60",
        "G2,1401100000000001,140110,0404,4000,30,02,5,1200,60",
    ],  # collective: out of scope
}

# wetland and water do not change
UNCHANGED = {
    "wetland": (
        "parcel_id,base_parcel_id,region_code,land_class,area_m2,ownership,wetland_type,basin,protection_status",
        ["W1,1401050000000021,140105,1106,2500,10,1106,黄河流域,"],
    ),
    "water": ("region_code,basin,source_type,volume_m3", ["140105,黄河流域,surface,1000000"]),
}


def write_two_year_province(root: Path) -> Path:
    for year in (2022, 2023):
        base = Path(root) / str(year)
        base.mkdir(parents=True, exist_ok=True)
        for name, header, rows in (
            ("land", LAND_HEADER, LAND),
            ("forest", FOREST_HEADER, FOREST),
            ("minerals", MINERALS_HEADER, MINERALS),
            ("grassland", GRASSLAND_HEADER, GRASSLAND),
        ):
            (base / f"{name}.csv").write_text("\n".join([header, *rows[year]]) + "\n", encoding="utf-8")
        for name, (header, rows) in UNCHANGED.items():
            (base / f"{name}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return Path(root)
