"""mapserver.radius_box (sql/0013): every point within the radius on the spheroid lies in the box, from the
equator to the poles and from metres to thousands of kilometres; and the box stays tight where cities are."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
AZIMUTHS = np.arange(0.0, 360.0, 7.5)


def _box(conn, lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    with conn.cursor() as cur:
        cur.execute("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                    "mapserver.radius_box(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s) b", (lon, lat, metres))
        return cur.fetchone()


@pytest.mark.parametrize("lat", [0.0, 10.78, 21.03, -33.9, 60.0, 84.0, 89.5])
@pytest.mark.parametrize("metres", [5.0, 2_000.0, 150_000.0, 3_000_000.0])
def test_the_circle_on_the_spheroid_lies_inside_the_box(conn, lat, metres):
    lon = 106.7
    w, s, e, n = _box(conn, lon, lat, metres)
    for reach in (metres, metres * 0.5):
        lons, lats, _ = GEOD.fwd(np.full(AZIMUTHS.size, lon), np.full(AZIMUTHS.size, lat), AZIMUTHS,
                                 np.full(AZIMUTHS.size, reach))
        lats_in = (lats >= s) & (lats <= n)
        # the box does not wrap: a longitude past ±180 is compared as the continuous one it stands for
        unwrapped = lon + (lons - lon + 180.0) % 360.0 - 180.0
        lons_in = (unwrapped >= w) & (unwrapped <= e)
        assert lats_in.all() and lons_in.all(), (w, s, e, n)


def test_the_box_of_a_city_radius_is_tight(conn):
    lon, lat, metres = 106.7, 10.78, 2_000.0
    w, s, e, n = _box(conn, lon, lat, metres)
    east, _, _ = GEOD.fwd(lon, lat, 90.0, metres)
    _, north, _ = GEOD.fwd(lon, lat, 0.0, metres)
    assert 1.0 < (e - lon) / (east - lon) < 1.01
    assert 1.0 < (n - lat) / (north - lat) < 1.01


def test_a_circle_around_a_pole_spans_every_longitude(conn):
    w, s, e, n = _box(conn, 10.0, 88.0, 300_000.0)
    assert e - w >= 360.0
