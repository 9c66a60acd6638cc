"""The geometry of the layers handed back (DOMAIN §6), on squares whose areas are worked out by hand."""

from __future__ import annotations

import numpy as np
import shapely

from assets_pipeline.publish.layer_geometry import (
    in_epsg,
    main_epsg,
    multipolygons,
    pieces_on_bases,
    pieces_outside,
    province_epsg,
)

A = shapely.box(0, 0, 100, 100)
B = shapely.box(100, 0, 200, 100)


def test_every_shape_becomes_a_multipolygon_of_its_polygonal_parts():
    touching = shapely.intersection(A, B)  # the shared edge: a line, no area
    mixed = shapely.GeometryCollection([A, shapely.LineString([(0, 0), (300, 300)])])
    out = multipolygons(np.array([A, touching, mixed, None], dtype=object))
    assert shapely.get_type_id(out).tolist() == [6, 6, 6, 6]
    assert shapely.area(out).tolist() == [10000.0, 0.0, 10000.0, 0.0]
    assert shapely.is_empty(out).tolist() == [False, True, False, True]


def test_pieces_on_bases_and_outside_every_base_parcel():
    row = shapely.box(50, 0, 250, 100)  # 20000 m²: 5000 on A, 10000 on B, 5000 outside both
    assert shapely.area(pieces_on_bases(np.array([row, row]), np.array([A, B]))).tolist() == [5000.0, 10000.0]
    # two rows: the first lies on A (rank 1) and B (rank 2), the second on nothing
    outside = pieces_outside(
        np.array([row, shapely.box(500, 0, 600, 10)]), np.array([A, B]), np.array([0, 0]), np.array([1, 2])
    )
    assert shapely.area(outside).tolist() == [5000.0, 1000.0]
    assert shapely.equals(outside[0], shapely.box(200, 0, 250, 100))


def test_zones_and_the_province_files_system():
    assert main_epsg(np.array([4547, 4546, 4547])) == 4547
    square = shapely.box(500000, 4180000, 500100, 4180100)
    moved = in_epsg(np.array([square, None], dtype=object), np.array([4547, 0]), 4546)
    assert moved[1] is None and abs(shapely.area(moved[0]) - 10000.0) < 20  # another zone: scale differs a little
    assert in_epsg(np.array([square]), np.array([4547]), 4547)[0] is square
    assert province_epsg([4547]) == 4547 and province_epsg([4547, 4546]) == 4490
