"""Nearest, nearby, within: exact geodesic order checked against a brute-force scan of the whole layer."""

from __future__ import annotations

import pytest
import requests
from pyproj import Geod

from mapserver.web.catalog import published

GEOD = Geod(ellps="WGS84")
HERE = (106.70, 10.78)


def brute_force(conn, slug, lon, lat, where="", params=()):
    """Every feature's geodesic distance, straight from the published table, nearest first."""
    with conn.cursor() as cur:
        table = published(cur, slug).table_name
        cur.execute(f"SELECT id, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) d "
                    f"FROM layer_data.{table} {where} ORDER BY d, id", (lon, lat, *params))
        return cur.fetchall()


def test_nearest_vaccination_points_are_exact(server, conn):
    r = requests.get(f"{server}/api/nearest", params={"layer": "health", "lon": HERE[0], "lat": HERE[1], "limit": 5,
                                                      "kind": "vaccination", "max_distance": 5000}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/geo+json"
    features = r.json()["features"]
    every = brute_force(conn, "health", *HERE, "WHERE kind = %s", ("vaccination",))
    expected = [row for row in every if row[1] <= 5000]
    assert [f["id"] for f in features] == [row[0] for row in expected[:5]]
    for f in features:
        assert f["properties"]["kind"] == "vaccination"
        _, _, metres = GEOD.inv(*HERE, *f["geometry"]["coordinates"])
        assert f["properties"]["distance_m"] == pytest.approx(metres, abs=0.06)


@pytest.mark.parametrize("place", [(106.70, 10.78), (106.62, 10.85), (106.95, 10.55)])
def test_nearest_bus_routes_measure_to_the_nearest_point_of_the_line(server, conn, place):
    r = requests.get(f"{server}/api/nearest", params={"layer": "transport", "lon": place[0], "lat": place[1],
                                                      "limit": 4, "kind": "bus_route"}, timeout=30)
    features = r.json()["features"]
    expected = brute_force(conn, "transport", *place, "WHERE kind = %s", ("bus_route",))[:4]
    assert [f["id"] for f in features] == [row[0] for row in expected]
    assert [f["properties"]["distance_m"] for f in features] == [round(row[1], 1) for row in expected]
    assert all(f["geometry"]["type"] == "MultiLineString" for f in features)


def test_nearest_without_filter_on_the_biggest_layer(server, conn):
    place = (106.65, 10.80)
    features = requests.get(f"{server}/api/nearest", params={"layer": "bus_stops", "lon": place[0], "lat": place[1],
                                                            "limit": 20}, timeout=30).json()["features"]
    assert [f["id"] for f in features] == [row[0] for row in brute_force(conn, "bus_stops", *place)[:20]]


def test_nearest_errors(server):
    base = {"layer": "health", "lon": 106.7, "lat": 10.78}
    for bad in ({"lon": "abc"}, {"lat": "91"}, {"limit": "1000"}, {"max_distance": "-1"}, {"kind": "castle"},
                {"layer": "nope"}, {"lon": None}):
        params = {k: v for k, v in {**base, **bad}.items() if v is not None}
        r = requests.get(f"{server}/api/nearest", params=params, timeout=30)
        assert r.status_code in (400, 404), bad
        assert set(r.json()) >= {"code", "description"}


def test_nearby_gives_each_layer_its_nearest_within_the_radius(server, conn):
    r = requests.get(f"{server}/api/nearby", params={"lon": HERE[0], "lat": HERE[1], "radius": 600, "per_layer": 2},
                     timeout=30)
    assert r.status_code == 200
    features = r.json()["features"]
    for slug in ("health", "education", "transport", "bus_stops"):
        got = [f["id"] for f in features if f["properties"]["layer"] == slug]
        expected = [row[0] for row in brute_force(conn, slug, *HERE) if row[1] <= 600][:2]
        assert got == expected, slug
    assert all(f["properties"]["distance_m"] <= 600 for f in features)


def test_within_returns_everything_in_the_radius_by_distance(server, conn):
    r = requests.get(f"{server}/api/within", params={"layer": "education", "lon": HERE[0], "lat": HERE[1],
                                                     "radius": 1500}, timeout=30)
    features = r.json()["features"]
    expected = [row for row in brute_force(conn, "education", *HERE) if row[1] <= 1500]
    assert len(expected) > 0
    assert [f["id"] for f in features] == [row[0] for row in expected]
    distances = [f["properties"]["distance_m"] for f in features]
    assert distances == sorted(distances)
    assert requests.get(f"{server}/api/within", params={"layer": "education", "lon": 106.7, "lat": 10.78,
                                                        "radius": 10**9}, timeout=30).status_code == 400
