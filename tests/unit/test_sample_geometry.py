"""The sample's shapes, worked by hand (DOMAIN §6 "Sample geometry"): parcels laid out as boxes, zone areas, the
stated figures adjusted to TBMJ, the planted self-intersection, layer field names."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from assets_pipeline.sample.control_layers import stated_zone_figures, zone_areas
from assets_pipeline.sample.geometry import ROW_GAP_M, bowtie, ellipses, lay_out, outside_boxes, push_apart
from assets_pipeline.sample.layer_writers import field_names
from assets_pipeline.schema.categories import SPECS


def test_parcels_are_laid_in_shelves_by_side():
    # 400 m² → side 16 (2^round(log2 20)), 25 m long; 100 m² → side 8, 12.5 m long; rows 30 m (√900)
    block = lay_out(np.array([400.0, 400.0, 100.0]), np.random.default_rng(0), jitter=0.0)
    assert block.boxes.tolist() == [[0, 0, 25, 16], [25, 0, 50, 16], [0, 16 + ROW_GAP_M, 12.5, 24 + ROW_GAP_M]]
    assert block.right.tolist() == [1, -1, -1]
    assert (block.width, block.height) == (50.0, 24 + 2 * ROW_GAP_M)


def test_laid_out_parcels_keep_their_area_and_never_overlap():
    areas = np.random.default_rng(1).lognormal(8.0, 1.2, 3000)
    block = lay_out(areas, np.random.default_rng(2))
    boxes = shapely.box(*block.boxes.T)
    assert np.abs(shapely.area(boxes) / areas - 1).max() <= 0.004 + 1e-12
    a, b = shapely.STRtree(boxes).query(boxes, predicate="intersects")
    keep = a < b
    assert shapely.area(shapely.intersection(boxes[a[keep]], boxes[b[keep]])).max() < 1e-6
    # a parcel's right neighbour shares its right edge
    has = np.flatnonzero(block.right >= 0)
    assert np.allclose(block.boxes[has, 2], block.boxes[block.right[has], 0])


def test_boxes_beside_the_block_are_squares_with_a_gap():
    assert outside_boxes(np.array([100.0, 400.0]), -60.0).tolist() == [[-70, 0, -60, 10], [-80, 70, -60, 90]]


def test_seats_too_close_are_pushed_apart():
    moved = push_apart(np.array([[0.0, 0.0], [10.0, 0.0], [1000.0, 0.0]]), np.array([10.0, 5.0, 1.0]))
    assert np.hypot(*(moved[0] - moved[1])) >= 20.0
    assert moved[2].tolist() == [1000.0, 0.0]  # far enough already


def test_ellipse_is_a_72_gon_of_its_axes():
    shape = ellipses(np.array([5.0]), np.array([-3.0]), np.array([100.0]), np.array([40.0]), np.array([0.3]))[0]
    assert shapely.area(shape) == pytest.approx(36 * np.sin(2 * np.pi / 72) * 100 * 40, rel=1e-12)


def test_bowtie_is_invalid_and_repairs_inside_its_box():
    shape = bowtie(np.array([0.0, 0.0, 100.0, 100.0]))
    assert shapely.is_valid_reason(shape).startswith("Self-intersection")
    repaired = shapely.make_valid(shape)
    assert shapely.bounds(repaired).tolist() == [0.0, 0.0, 100.0, 100.0]
    assert 0.99 * 10_000 < shapely.area(repaired) < 10_000


def test_zone_area_of_a_square_half_inside():
    parcels = np.array([shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100), shapely.box(0, 0, 10, 10)])
    inside = zone_areas(parcels, {"redline": np.array([shapely.box(50, -10, 150, 110)])})["redline"]
    assert inside.tolist() == [5000.0, 0.0, 0.0]


def test_stated_figures_are_adjusted_to_tbmj_and_blank_outside():
    inside = {"redline": np.array([5000.0, 0.0]), "farmland": np.array([0.0, 0.0])}
    stated, off = stated_zone_figures(
        inside,
        np.array([10_000.0, 10_000.0]),
        np.array([10_100.0, 9_000.0]),
        np.zeros(2, bool),
        np.random.default_rng(0),
    )
    assert stated["redline_area_m2"][0] == 5050.0 and np.isnan(stated["redline_area_m2"][1])
    assert np.isnan(stated["basic_farmland_area_m2"]).all() and off.empty


def test_layer_field_names_survey_and_shapefile():
    names = ["parcel_id", "region_code", "land_class", "area_m2", "redline_area_m2", "urban_boundary_area_m2"]
    assert field_names(SPECS["land"], names, "survey", False, False) == [
        "BSM",
        "XZQDM",
        "DLBM",
        "TBMJ",
        "STBHHXMJ",
        "CZKFBJMJ",
    ]
    # Chinese where it fits a .dbf's 10 bytes of GBK, the survey name where it does not
    assert field_names(SPECS["land"], names, "chinese", True, True) == [
        "标识码",
        "ZLDWDM",
        "地类编码",
        "图斑面积",
        "STBHHXMJ",
        "CZKFBJMJ",
    ]
