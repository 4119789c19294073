"""An internal layer is invisible on every read route, as if it did not exist."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from mapserver import create_app
from tests.serving import serving


@pytest.fixture(scope="module")
def health_internal(db_url):
    """The session database served by an app whose catalog marks `health` internal."""
    app = create_app({"DATABASE_URL": db_url})
    layers = app.extensions["mapserver.catalog"]
    layers["health"] = dataclasses.replace(layers["health"], visibility="internal")
    with serving(app) as base:
        yield base


def get(base, path, **params):
    return requests.get(f"{base}{path}", params=params, timeout=30)


def test_internal_layer_is_not_listed(health_internal):
    ids = [c["id"] for c in get(health_internal, "/api/collections").json()["collections"]]
    assert "health" not in ids and "education" in ids
    assert "/api/collections/health/items" not in get(health_internal, "/api/openapi.json").json()["paths"]


@pytest.mark.parametrize("path,params", [
    ("/api/collections/health", {}),
    ("/api/collections/health/items", {}),
    ("/api/collections/health/items/HC-000001", {}),
    ("/api/collections/health/queryables", {}),
    ("/api/nearest", {"layer": "health", "lon": 106.7, "lat": 10.78}),
    ("/api/within", {"layer": "health", "lon": 106.7, "lat": 10.78, "radius": 1000}),
    ("/api/search", {"layer": "health", "q": "benh vien"}),
])
def test_internal_layer_answers_404(health_internal, path, params):
    r = get(health_internal, path, **params)
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_internal_layer_is_left_out_of_nearby_and_search(health_internal):
    nearby = get(health_internal, "/api/nearby", lon=106.7, lat=10.78, radius=2000).json()["features"]
    assert nearby and "health" not in {f["properties"]["layer"] for f in nearby}
    found = get(health_internal, "/api/search", q="benh vien", limit=100).json()["features"]
    assert found and "health" not in {f["properties"]["layer"] for f in found}
