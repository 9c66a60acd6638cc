"""Coordinate systems of layer deliveries (DOMAIN §6): CGCS2000 accepted, other datums and none refused, a
geographic layer projected to its county's 3-degree Gauss-Krüger zone before any area is taken."""

from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.spatial.crs import accept_crs, gk_zone_epsg, to_projected

LAYER = Path("140105_DLTB.shp")


@pytest.mark.parametrize(
    "longitude, epsg", [(112.55, 4547), (111.4, 4546), (110.0, 4546), (114.6, 4547), (75.0, 4534), (135.0, 4554)]
)
def test_the_zone_is_the_nearest_central_meridian(longitude, epsg):
    # CM 111°E is zone 37 (EPSG:4546); 112.55 rounds to 114°E, zone 38 (EPSG:4547)
    assert gk_zone_epsg(longitude) == epsg
    assert pyproj.CRS.from_epsg(epsg).name.endswith(f"CM {3 * round(longitude / 3)}E")


def test_cgcs2000_is_accepted_geographic_or_projected():
    assert accept_crs(pyproj.CRS.from_epsg(4490), LAYER).to_epsg() == 4490
    assert accept_crs(pyproj.CRS.from_epsg(4545), LAYER).to_epsg() == 4545


@pytest.mark.parametrize("epsg, name", [(4326, "WGS 84"), (4610, "Xian 1980"), (4214, "Beijing 1954")])
def test_another_datum_is_refused_naming_it(epsg, name):
    with pytest.raises(InputFileError) as refused:
        accept_crs(pyproj.CRS.from_epsg(epsg), LAYER)
    assert name in str(refused.value) and "not CGCS2000" in str(refused.value)


def test_no_coordinate_system_is_refused_unless_declared():
    with pytest.raises(InputFileError, match="no coordinate system"):
        accept_crs(None, LAYER)
    assert accept_crs(None, LAYER, "EPSG:4545").to_epsg() == 4545
    with pytest.raises(InputFileError, match="not CGCS2000"):
        accept_crs(None, LAYER, "EPSG:4326")


def test_a_geographic_square_is_projected_to_its_zone_and_measured_there():
    # 0.01° × 0.01° at 37.87°N near 112.55°E goes to the zone of CM 114°E (EPSG:4547). The projected computation
    # done another way: the corners through a hand-written transverse Mercator of that zone, area by the shoelace.
    square = shapely.box(112.55, 37.87, 112.56, 37.88)
    projected, epsg = to_projected(np.array([square]), pyproj.CRS.from_epsg(4490), longitude=112.55)
    assert epsg == 4547
    tmerc = pyproj.Proj("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m")
    x, y = tmerc([112.55, 112.56, 112.56, 112.55], [37.87, 37.87, 37.88, 37.88])
    shoelace = abs(sum(x[i] * y[(i + 1) % 4] - x[(i + 1) % 4] * y[i] for i in range(4))) / 2
    assert abs(shapely.area(projected[0]) - shoelace) / shoelace < 1e-4
    # and the zone's scale error 1.45° off its meridian stays under 0.05 % of the geodesic area on CGCS2000's ellipsoid
    truth = abs(pyproj.Geod(ellps="GRS80").geometry_area_perimeter(square)[0])
    assert abs(shapely.area(projected[0]) - truth) / truth < 5e-4
    kept, kept_epsg = to_projected(projected, pyproj.CRS.from_epsg(4547))
    assert kept_epsg == 4547 and kept[0] is projected[0]
