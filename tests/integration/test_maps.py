"""Maps handed back (DOMAIN §6): the figures they colour worked out by hand (``spatial_year.py``), the PNGs drawn
from the delivered boundaries or from the parcels, in Chinese with a CJK font and in English without one, and the
report's map sheet."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import shapely
from openpyxl import Workbook, load_workbook
from PIL import Image

from assets_pipeline.publish import map_drawing
from assets_pipeline.publish.map_drawing import cjk_font, class_breaks
from assets_pipeline.publish.maps import MAPS, county_figures, draw_maps, map_path
from assets_pipeline.publish.report_maps import write_maps_sheet
from spatial_year import XD, YZ, write_admin_layer, write_spatial_year

D = Decimal
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def drawn(monkeypatch):
    """Every map handed to the drawing, by name (the drawing itself still runs)."""
    seen = {}
    real = map_drawing.draw_choropleth

    def capture(map_, path, font):
        seen[path.name.split(".")[1]] = map_
        real(map_, path, font)

    monkeypatch.setattr(map_drawing, "draw_choropleth", capture)  # maps imports it when it draws
    return seen


def _png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        return image.size


def test_the_figures_are_value_per_hectare_and_inconsistent_mu_by_county(tmp_path):
    layout = write_spatial_year(tmp_path / "out")
    figures = county_figures(layout)
    # (116143.83 + 73440 + 99781.5) 元 / 20000 m² = 14.4682665 万元/公顷; (1183790.8656 + 57375) / 10000
    assert figures["value_per_ha"] == {XD: D("14.468267"), YZ: D("124.116587")}
    # F0002 as the report lists it (10000 m²; its pieces are not added again), F0001's piece outside (5000 m²) and a
    # wetland parcel of 2500 m²: 17500 m² × 15 / 10000 = 26.25 亩
    assert figures["inconsistent_area"] == {XD: D("26.2500")}


@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")  # region_code → region_cod in a .dbf
@pytest.mark.parametrize(
    "name, field", [("admin.gpkg", "XZQDM"), ("行政区.shp", "region_code"), ("admin.gdb", "xzqdm")]
)
def test_maps_from_the_delivered_boundaries(tmp_path, drawn, monkeypatch, name, field):
    monkeypatch.setattr(map_drawing, "cjk_font", lambda: None)
    layout = write_spatial_year(tmp_path / "out")
    write_admin_layer(tmp_path / "in", name=name, field=field)
    result = draw_maps(layout, tmp_path / "in", "zh")
    assert result.boundaries == "admin" and result.counties == 2 and result.font is None
    assert result.maps == {name: layout.root / "maps" / f"{name}.png" for name in MAPS}
    for path in result.maps.values():
        assert _png(path) == (1500, 1200)
    value = drawn["value_per_ha"]
    assert value.values.tolist() == [pytest.approx(14.468267), pytest.approx(124.116587)]
    assert drawn["inconsistent_area"].values.tolist() == [26.25, 0.0]  # a county with none is drawn as 0
    # the admin squares (6 km and 7 km a side), not the parcels
    assert [round(a / 1e6) for a in shapely.area(value.shapes)] == [36, 49]
    # without a CJK font: English only, counties by code, never a character that would print as a box
    assert value.labels == [XD, YZ]
    assert not CJK.search(value.title + value.unit + value.no_data)


def test_maps_in_chinese_when_a_cjk_font_is_installed(tmp_path, drawn, monkeypatch):
    font = cjk_font() or "DejaVu Sans"  # the branch is the same; without the font the names print as boxes
    monkeypatch.setattr(map_drawing, "cjk_font", lambda: font)
    layout = write_spatial_year(tmp_path / "out")
    result = draw_maps(layout, None, "zh")
    assert result.font == font and result.boundaries == "parcels"
    value = drawn["value_per_ha"]
    assert value.labels == ["小店区", "迎泽区"]
    assert value.title.startswith("山西省2023年各县（市、区）单位面积自然资源资产价值")
    assert "Value of natural resource assets per hectare" in value.title
    assert drawn["inconsistent_area"].unit == "亩 (mu)"
    # the counties drawn from their parcels: 140105 is L1 ∪ L2 (2 ha), 140106 is L3 (1 ha)
    assert [round(a) for a in shapely.area(value.shapes)] == [20000, 10000]
    for path in result.maps.values():
        assert _png(path) == (1500, 1200)


def test_english_maps_whatever_the_fonts(tmp_path, drawn):
    layout = write_spatial_year(tmp_path / "out")
    result = draw_maps(layout, None, "en")
    assert result.font is None and drawn["value_per_ha"].labels == [XD, YZ]
    assert drawn["value_per_ha"].title == "Value of natural resource assets per hectare by county, 140000, 2023"


def test_a_boundary_layer_without_county_codes_falls_back_to_the_parcels(tmp_path):
    layout = write_spatial_year(tmp_path / "out")
    write_admin_layer(tmp_path / "in", name="行政区.gpkg", field="NAME")
    result = draw_maps(layout, tmp_path / "in", "en")
    assert result.boundaries == "parcels" and len(result.maps) == 2
    assert result.notes == ["行政区.gpkg has no field region_code or XZQDM; counties drawn from the parcels"]


def test_no_geometry_and_no_boundaries_draw_no_map_and_remove_old_ones(tmp_path):
    layout = write_spatial_year(tmp_path / "out")
    assert len(draw_maps(layout, None, "en").maps) == 2
    for category in ("land", "forest"):
        for part in layout.geometry(category).glob("*.parquet"):
            part.unlink()
    result = draw_maps(layout, None, "en")
    assert result.maps == {} and result.boundaries is None
    assert not (layout.root / "maps").exists()


def test_classes_are_rounded_quantiles_ending_at_the_largest_figure():
    import numpy as np

    assert class_breaks(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, np.nan])) == [
        2.8,
        4.6,
        6.4,
        8.2,
        10.0,
    ]
    assert class_breaks(np.array([14.468267, 124.116587])) == [69.0, 124.116587]
    assert class_breaks(np.array([np.nan])) == []
    # counties without an inconsistent parcel are a class of their own
    assert class_breaks(np.array([0.0, 0.0, 0.0, 26.25])) == [0.0, 26.25]
    assert class_breaks(np.array([0.0, 1.0, 2.0, 3.0, 4.0])) == [0.0, 1.8, 2.5, 3.2, 4.0]


@pytest.mark.parametrize("with_maps", [True, False])
def test_the_report_sheet_holds_both_maps_when_they_were_drawn(tmp_path, with_maps):
    layout = write_spatial_year(tmp_path / "out")
    if with_maps:
        draw_maps(layout, None, "en")
    wb = Workbook(write_only=True)
    wb.create_sheet("cover")
    assert write_maps_sheet(wb, layout, "zh") == (2 if with_maps else 0)
    wb.save(tmp_path / "report.xlsx")
    back = load_workbook(tmp_path / "report.xlsx")
    if with_maps:
        assert back.sheetnames == ["cover", "地图"]
        assert len(back["地图"]._images) == 2
        assert all(map_path(layout, name).exists() for name in MAPS)
    else:
        assert back.sheetnames == ["cover"]
