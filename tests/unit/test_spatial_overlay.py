"""The overlay's rules (DOMAIN §6), hand-worked on squares: 平差 to the cent, zone shares, the 90 % price rule,
inventory pieces on the base map, overlapping base parcels."""

from decimal import Decimal

import numpy as np
import pyarrow as pa
import shapely

from assets_pipeline.spatial.adjust import SHARE_UNITS, adjust, adjust_pair, share_units, unscaled_decimal, weights
from assets_pipeline.spatial.overlaps import overlapping_pairs
from assets_pipeline.spatial.pieces import cut_pieces, links, piece_findings
from assets_pipeline.spatial.prices import land_use_of_classes, level_index, parcel_land_use, price_weights
from assets_pipeline.spatial.zones import zone_index, zone_shares
from overlay_inputs import X0, Y0, square


def decimals(values, scale):
    return unscaled_decimal(np.asarray(values), scale).to_pylist()


def test_three_pieces_are_adjusted_proportionally_and_the_remainder_cent_goes_to_the_largest():
    # computed 3333.33 + 3333.33 + 3333.34 = 10000 m², TBMJ 10001.00: each piece × 1.0001 =
    # 3333.663333 → 3333.66, 3333.66, 3333.673334 → 3333.67; 0.01 m² short, given to the largest (the third)
    cents = adjust(np.array([0, 0, 0]), np.array([3333.33, 3333.33, 3333.34]), np.array([1_000_100]))
    assert decimals(cents, 2) == [Decimal("3333.66"), Decimal("3333.66"), Decimal("3333.68")]
    assert cents.sum() == 1_000_100


def test_a_tie_for_the_largest_piece_gives_the_remainder_to_the_first():
    # 3 equal pieces of 1.00 m² official: 33.33… cents each → 33, 33, 33, remainder 1 to the first
    assert adjust(np.array([0, 0, 0]), np.array([1.0, 1.0, 1.0]), np.array([100])).tolist() == [34, 33, 33]
    # two pieces, both .5 rounded up: one cent over, taken back from the larger (inside on a tie)
    assert adjust_pair(np.array([1.0]), np.array([1.0]), np.array([3])).tolist() == [1]


def test_shares_and_weights_are_exact_at_ten_decimals():
    assert share_units(np.array([500_000, 1, 99_999_999_990]), np.array([1_000_000, 3, 100_000_000_000])).tolist() == [
        5_000_000_000,
        3_333_333_333,
        9_999_999_999,
    ]
    thirds = weights(np.array([0, 0, 0]), np.array([100, 100, 100]))
    assert thirds.tolist() == [3_333_333_334, 3_333_333_333, 3_333_333_333] and thirds.sum() == SHARE_UNITS


def test_a_square_half_inside_the_red_line_has_exactly_half_its_area_in_it():
    parcel = square(0, 0, 100)  # 100 m × 100 m, TBMJ 10000.00
    redline = zone_index(np.array([square(50, -20, 100, 140), square(120, 0, 50)], dtype=object))
    shares = zone_shares(
        np.array([parcel]), np.array([10_000.0]), np.array([1_000_000]), redline, np.array([np.nan]), 0.01
    )
    assert decimals(shares.area_cents, 2) == [Decimal("5000.00")]
    assert decimals(shares.share_units, 10) == [Decimal("0.5000000000")]
    assert not shares.delivered[0] and not shares.finding[0]


def test_overlapping_zone_polygons_count_the_ground_once_and_a_parcel_inside_takes_its_tbmj():
    inside, half = square(0, 0, 100), square(300, 0, 100)
    zone = zone_index(np.array([square(-10, -10, 120), square(-20, -20, 60), square(350, 0, 100)], dtype=object))
    # the first parcel lies wholly inside (its TBMJ 10000.07 differs from its drawn 10000 m²)
    shares = zone_shares(
        np.array([inside, half]),
        np.array([10_000.0, 10_000.0]),
        np.array([1_000_007, 1_000_000]),
        zone,
        np.array([10_000.07, 4_800.0]),
        0.01,
    )
    assert shares.area_cents.tolist() == [1_000_007, 500_000]
    assert shares.share_units.tolist() == [SHARE_UNITS, 5_000_000_000]
    # 4800.00 delivered against 5000.00 computed: 200 m² > 1 % of 10000 m² → a finding; the first agrees
    assert shares.finding.tolist() == [False, True]


def test_a_commercial_parcel_across_two_levels_is_weighted_one_in_a_level_is_dominant_one_outside_is_outside():
    levels = level_index(
        np.array([square(-50, -50, 110, 300), square(60, -50, 200, 300), square(1000, 0, 10)], dtype=object),
        np.array(["C1", "C2", "C3"], dtype=object),
    )
    # levels C1 (x < 60) and C2 (x ≥ 60); C3 far away
    weighted = square(0, 0, 100)  # x 0…100: 60 % in C1, 40 % in C2
    dominant = square(-35, 150, 100)  # x −35…65: 95 % in C1, 5 % in C2
    outside = square(500, 0, 100)  # in no level
    found = price_weights(
        np.array([weighted, dominant, outside]), np.array([10_000.0] * 3), np.array([1_000_000] * 3), levels
    )
    rows = list(zip(found["parcel_index"], found["level"], found["weight_units"], found["rule"], strict=True))
    assert rows == [
        (0, "C1", 6_000_000_000, "weighted"),
        (0, "C2", 4_000_000_000, "weighted"),
        (1, "C1", SHARE_UNITS, "dominant"),
        (2, None, -1, "outside"),
    ]


def test_land_use_follows_the_parent_class_and_the_land_group(tmp_path):
    classes = pa.table(
        {
            "land_class": ["05", "05H1", "0601", "0701", "0809", "0103", "1205"],
            "parent_class": [None, "05", "06", "07", "08", "01", "12"],
            "land_group": [
                "construction",
                "construction",
                "construction",
                "construction",
                "construction",
                "agricultural",
                "unused",
            ],
        }
    )
    uses = land_use_of_classes(classes)
    found = parcel_land_use(pa.array(["05H1", "0601", "0701", "0809", "0103", "1205", "0103K", "9999"]), uses)
    assert found.tolist() == [
        "commercial",
        "industrial",
        "residential",
        "other",
        "agricultural",
        None,
        "agricultural",
        None,
    ]


def test_a_forest_polygon_half_on_dry_land_is_an_inconsistent_piece_of_exactly_half_its_area():
    # base: B1 0103 旱地 (x 0…50) and B2 0301 乔木林地 (x 50…100), both state-owned, same county
    base = np.array([square(0, 0, 50, 100), square(50, 0, 50, 100)], dtype=object)
    forest = np.array([square(0, 0, 100)], dtype=object)
    pieces = cut_pieces(forest, np.array([10_000.0]), np.array([1_000_000]), base)
    assert pieces.base.tolist() == [0, 1] and pieces.cents.tolist() == [500_000, 500_000]
    findings = piece_findings(
        pieces,
        "forest",
        np.array(["land", "forest"], dtype=object),
        np.array([True, True]),
        np.array(["140105", "140105"], dtype=object),
        np.array([True]),
        np.array(["140105"], dtype=object),
    )
    assert findings.tolist() == ["class_mismatch", None]
    link, counts = links(pieces, findings, 1)
    # equal pieces: the tie goes to the piece without a finding (B2, though B1 has the smaller id)
    assert link.tolist() == [1] and counts.tolist() == [2]


def test_pieces_outside_the_base_map_and_ownership_and_county_findings():
    base = np.array([square(0, 0, 60, 100), square(60, 0, 20, 100)], dtype=object)
    row = np.array([square(0, 0, 100)], dtype=object)  # 20 % outside both
    pieces = cut_pieces(row, np.array([10_000.0]), np.array([999_900]), base)
    assert pieces.base.tolist() == [0, 1, -1]
    assert pieces.cents.tolist() == [599_940, 199_980, 199_980]
    findings = piece_findings(
        pieces,
        "grassland",
        np.array(["grassland", "grassland"], dtype=object),
        np.array([False, True]),
        np.array(["140105", "140106"], dtype=object),
        np.array([True]),
        np.array(["140105"], dtype=object),
    )
    assert findings.tolist() == ["ownership_mismatch", "county_mismatch", "missing_base"]
    link, _ = links(pieces, findings, 1)
    assert link.tolist() == [0]


def test_a_row_outside_every_base_parcel_is_one_missing_piece_and_no_link():
    pieces = cut_pieces(np.array([square(0, 0, 10)]), np.array([100.0]), np.array([10_000]), np.zeros(0, object))
    assert pieces.base.tolist() == [-1] and pieces.cents.tolist() == [10_000]
    link, counts = links(pieces, np.array(["missing_base"], dtype=object), 1)
    assert link.tolist() == [-1] and counts.tolist() == [1]


def test_two_base_parcels_overlapping_by_a_ten_metre_square_overlap_by_exactly_100_m2():
    parcels = np.array(
        [
            square(0, 0, 100),
            square(90, 90, 100),
            square(100, 0, 50),
            square(500, 500, 10),
            square(502, 502, 3),
            square(700, 0, 20),
            square(700, 0, 20),
            # an L-shaped parcel whose centroid lies outside it, hugging a square in its corner without overlap
            shapely.Polygon(
                [
                    (X0 + 1000, Y0),
                    (X0 + 1100, Y0),
                    (X0 + 1100, Y0 + 10),
                    (X0 + 1010, Y0 + 10),
                    (X0 + 1010, Y0 + 100),
                    (X0 + 1000, Y0 + 100),
                ]
            ),
            square(1010, 10, 90),
        ],
        dtype=object,
    )
    a, b, cents = overlapping_pairs(parcels)
    # 0 and 1 share the square x 90…100, y 90…100; 0 and 2 only touch; 4 lies inside 3 (9 m²); 5 and 6 are the same
    # 400 m²; the L and the square in its corner only touch
    assert list(zip(a.tolist(), b.tolist(), cents.tolist(), strict=True)) == [
        (0, 1, 10_000),
        (3, 4, 900),
        (5, 6, 40_000),
    ]


def test_shapely_is_the_geometry_engine():
    assert shapely.__version__.startswith("2.")


def test_a_sliver_along_a_gap_between_base_parcels_is_no_piece():
    # two base parcels 100 m × 50 m apart by a gap; a forest polygon 100 m × 100 m over both. A 5 mm gap leaves
    # 0.5 m² outside every base parcel: a sliver of digitising, no piece (its area goes to the two pieces). A 5 cm
    # gap leaves 5 m²: a piece outside the base map.
    forest = np.array([shapely.box(X0, Y0, X0 + 100, Y0 + 100)])
    for gap, expected in ((0.005, [0, 1]), (0.05, [0, 1, -1])):
        base = np.array([shapely.box(X0, Y0, X0 + 100, Y0 + 50), shapely.box(X0, Y0 + 50 + gap, X0 + 100, Y0 + 100)])
        pieces = cut_pieces(forest, np.array([10_000.0]), np.array([1_000_000]), base)
        assert list(pieces.base) == expected
        assert int(pieces.cents.sum()) == 1_000_000


def test_slivers_on_neighbours_do_not_make_a_piece_outside_the_base_map():
    # a forest polygon on base parcel A overshooting three neighbours by 0.6 m² each: three slivers, no piece on
    # the neighbours and none outside; A's piece takes the whole area
    a = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    neighbours = [shapely.box(X0 + 100, Y0 + 10 * k, X0 + 110, Y0 + 10 * k + 6) for k in range(3)]
    forest = np.array(
        [shapely.union_all([a, *[shapely.box(X0 + 100, Y0 + 10 * k, X0 + 100.1, Y0 + 10 * k + 6) for k in range(3)]])]
    )
    pieces = cut_pieces(forest, np.array([10_001.80]), np.array([1_000_180]), np.array([a, *neighbours]))
    assert list(pieces.base) == [0] and list(pieces.cents) == [1_000_180]


def test_a_parcel_of_no_computed_area_has_nothing_inside_a_zone():
    assert adjust_pair(np.array([0.0]), np.array([0.0]), np.array([10_000])).tolist() == [0]
