"""An internal layer through the public read routes: its agency's token reads it, privately; others get 404."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from mapserver import create_app
from tests.agency.conftest import app_config, bearer
from tests.serving import serving


@pytest.fixture
def internal_health(agency_db, tmp_path):
    """An app on a private database whose catalog marks `health` internal, and tokens to ask with."""
    url, tokens = agency_db
    app = create_app(app_config(url, tmp_path / "uploads"))
    layers = app.extensions["mapserver.catalog"]
    layers["health"] = dataclasses.replace(layers["health"], visibility="internal")
    with serving(app) as base:
        yield base, tokens


ROUTES = [
    ("/api/collections/health/items", {"limit": 3}),
    ("/api/nearest", {"layer": "health", "lon": 106.70, "lat": 10.78}),
    ("/api/tiles/health/15/26104/15390.mvt", {}),
]


@pytest.mark.parametrize("path,params", ROUTES)
def test_the_owning_agency_reads_its_internal_layer_privately(internal_health, path, params):
    base, tokens = internal_health
    r = requests.get(f"{base}{path}", params=params, headers=bearer(tokens.health_viewer), timeout=30)
    assert r.status_code in (200, 204), r.text
    assert r.headers["Cache-Control"].startswith("private") and "public" not in r.headers["Cache-Control"]
    assert "Authorization" in r.headers["Vary"]


@pytest.mark.parametrize("path,params", ROUTES)
def test_another_agency_and_anonymous_clients_do_not_see_it(internal_health, path, params):
    base, tokens = internal_health
    for headers in ({}, bearer(tokens.education_editor)):
        r = requests.get(f"{base}{path}", params=params, headers=headers, timeout=30)
        assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_public_layers_stay_publicly_cacheable(internal_health):
    base, tokens = internal_health
    r = requests.get(f"{base}/api/collections/education/items", params={"limit": 1},
                     headers=bearer(tokens.health_viewer), timeout=30)
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("public")
