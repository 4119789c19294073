"""GET /api/coverage: per ward, the nearest matching facility and the count within a radius, as GeoJSON and CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import requests
from pyproj import Geod

URL = "/api/coverage"
GEOD = Geod(ellps="WGS84")


def _points(conn, sql: str, params=()) -> tuple[list[str], np.ndarray, np.ndarray]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows])


def _brute_force(conn, kind: str | None, radius: float) -> dict[str, tuple[str, float, int]]:
    """ward code -> (nearest id, geodesic metres, count within radius), from every facility, by pyproj.Geod."""
    ids, flon, flat = _points(conn, "SELECT id, ST_X(geom), ST_Y(geom) FROM layer_data.health_v1"
                                    " WHERE %s IS NULL OR kind = %s", (kind, kind))
    codes, wlon, wlat = _points(conn, "SELECT code, ST_X(geom), ST_Y(geom) FROM layer_data.wards_v1"
                                      " WHERE province_code = '79'")
    out = {}
    for code, lon, lat in zip(codes, wlon, wlat, strict=True):
        _, _, dist = GEOD.inv(np.full(len(flon), lon), np.full(len(flat), lat), flon, flat)
        best = int(np.argmin(dist))
        out[code] = (ids[best], float(dist[best]), int((dist <= radius).sum()))
    return out


@pytest.mark.parametrize("kind", ["vaccination", None])
def test_geojson_distances_equal_a_brute_force_geodesic_computation(server, conn, kind):
    params = {"layer": "health", "province": "79", "radius": 2000} | ({"kind": kind} if kind else {})
    r = requests.get(server + URL, params=params, timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == len(body["features"]) == 168
    assert (body["layer"], body["kind"], body["province"], body["radius_m"]) == ("health", kind, "79", 2000)
    expected = _brute_force(conn, kind, 2000.0)
    for feature in body["features"]:
        p = feature["properties"]
        nearest_id, metres, within = expected[p["ward_code"]]
        assert abs(p["nearest_m"] - metres) <= 0.1, p
        assert p["within_radius"] == within, p
        assert p["nearest_id"] == nearest_id, p
        assert feature["geometry"]["type"] == "Point" and p["area_km2"] > 0 and p["province_code"] == "79"
    distances = [f["properties"]["nearest_m"] for f in body["features"]]
    assert distances == sorted(distances, reverse=True)        # the worst-served wards first


def test_csv_has_the_same_rows_as_the_geojson(server):
    params = {"layer": "health", "kind": "vaccination", "province": "79", "radius": 3000}
    geojson = requests.get(server + URL, params=params, timeout=30).json()
    r = requests.get(server + URL, params=params | {"f": "csv"}, timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["ward_code", "ward", "ward_kind", "province_code", "area_km2", "lon", "lat",
                             "nearest_id", "nearest_name", "nearest_m", "within_radius"]
    assert [(row["ward_code"], row["ward"], float(row["nearest_m"]), int(row["within_radius"])) for row in rows] == \
        [(f["properties"]["ward_code"], f["properties"]["ward"], f["properties"]["nearest_m"],
          f["properties"]["within_radius"]) for f in geojson["features"]]


def test_a_larger_radius_never_counts_fewer(server):
    small, large = (requests.get(server + URL, params={"layer": "health", "kind": "hospital", "radius": r},
                                 timeout=30).json() for r in (1000, 10000))
    counts = {f["id"]: f["properties"]["within_radius"] for f in small["features"]}
    assert all(f["properties"]["within_radius"] >= counts[f["id"]] for f in large["features"])
    assert sum(f["properties"]["within_radius"] for f in large["features"]) > sum(counts.values())


@pytest.mark.parametrize("params, status", [
    ({"layer": "nope"}, 404),
    ({}, 400),
    ({"layer": "wards"}, 400),
    ({"layer": "transport"}, 400),
    ({"layer": "health", "kind": "spa"}, 400),
    ({"layer": "health", "radius": "far"}, 400),
    ({"layer": "health", "radius": "0"}, 400),
    ({"layer": "health", "radius": "1e9"}, 400),
    ({"layer": "health", "province": "79' OR 1=1"}, 400),
    ({"layer": "health", "f": "xlsx"}, 400),
])
def test_bad_parameters_get_a_bilingual_json_error(server, params, status):
    r = requests.get(server + URL, params=params, timeout=10)
    assert r.status_code == status
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert set(body) == {"code", "description", "messages"} and body["messages"]["vi"] and body["messages"]["en"]
