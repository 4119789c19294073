"""Hostile values over every parameter of every route: never a 5xx, always a JSON error body."""

from __future__ import annotations

import pytest
import requests

from mapserver.api.routes import ROUTES

HOSTILE = [
    "NaN", "nan", "Infinity", "-Infinity", "inf", "1e309", "-1e309", "9" * 400, "-1", "0", "-0", "1.5", "0x10",
    "1' OR '1'='1", "'; DROP TABLE mapserver.layers; --", "1) UNION SELECT version() --", "%s", "%(q)s", "{}",
    "Bệnh viện 🏥", "\u202e\u200b", "\x00", "a\x00b", "x" * 5000, "", " ", ",", ",,,", "1,2,3,4", "1,2", "[1]",
    "<script>alert(1)</script>", "../../etc/passwd", "\\", "%", "_", "-name", "+", "true",
]
VALID = {"layer": "health", "lon": "106.7", "lat": "10.78", "radius": "500", "q": "benh vien", "from": "106.7,10.78"}
ALSO = {"/journeys": {"to": "106.77,10.85"}}  # needed, though not required: `to` or `to_layer`
PATHS = {"collectionId": "health", "featureId": "HC-000001"}


def _url(server, path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", requests.utils.quote(value, safe=""))
    return f"{server}/api{path}"


def _required(route) -> dict[str, str]:
    return {**{p.name: VALID[p.name] for p in route.params if p.required}, **ALSO.get(route.path, {})}


def _check(r: requests.Response, what) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400:
        body = r.json()
        assert body["code"] and body["description"] and body["messages"]["vi"] and body["messages"]["en"], what
        assert "Traceback" not in r.text and "psycopg2" not in r.text


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
def test_every_parameter_survives_hostile_values(server, route):
    session = requests.Session()
    names = [p.name for p in route.params] + ["kind", "unknown_param", "f\x00"]
    for name in names:
        for value in HOSTILE:
            params = {**_required(route), name: value}
            _check(session.get(_url(server, route.path, PATHS), params=params, timeout=60), (name, value))
        repeated = [*_required(route).items(), (name, "1"), (name, "2")]
        r = session.get(_url(server, route.path, PATHS), params=repeated, timeout=60)
        _check(r, (name, "repeated"))
        assert r.status_code == 400


@pytest.mark.parametrize("route", [r for r in ROUTES if r.path_params], ids=lambda r: r.path)
def test_every_path_segment_survives_hostile_values(server, route):
    session = requests.Session()
    for name in route.path_params:
        for value in HOSTILE:
            if value in ("", ".", ".."):
                continue
            _check(session.get(_url(server, route.path, {**PATHS, name: value}), timeout=60), (name, value))


def test_hostile_headers(server):
    for headers in ({"If-None-Match": '"' + "x" * 5000 + '"'}, {"If-None-Match": "*, W/\"a\", \x7f"},
                    {"Accept-Language": "🏥;q=NaN".encode()}, {"Accept": "application/x-nonsense"},
                    {"Accept-Encoding": "gzip;q=NaN, br"}):
        _check(requests.get(f"{server}/api/collections/health/items", headers=headers, timeout=30), headers)


def test_the_catalog_is_intact_after_the_sweep(server, conn, demo_reports, catalog):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM mapserver.layers WHERE published_version IS NOT NULL")
        assert cur.fetchone()[0] == len(demo_reports) + sum(layer.live for layer in catalog.values())
