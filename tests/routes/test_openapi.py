"""/api/openapi.json comes from the route declarations: it documents exactly what the server accepts."""

from __future__ import annotations

import re

import requests


def test_openapi_document(server, app, catalog):
    r = requests.get(f"{server}/api/openapi.json", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    spec = r.json()
    assert spec["openapi"].startswith("3.0")
    rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
             for rule in app.url_map.iter_rules() if rule.rule.startswith("/api")}
    generic = {p for p in spec["paths"] if "{" in p or not p.startswith("/api/collections/")}
    assert rules == generic
    items = spec["paths"]["/api/collections/health/items"]["get"]["parameters"]
    names = {p["name"] for p in items}
    assert {"bbox", "limit", "offset", "properties", "sortby", "f"} <= names
    assert {f.name for f in catalog["health"].filterable} <= names
    limit = next(p for p in items if p["name"] == "limit")
    assert limit["schema"]["maximum"] == app.config["PAGE_LIMIT_MAX"]


def test_documented_limits_are_the_enforced_ones(server):
    spec = requests.get(f"{server}/api/openapi.json", timeout=30).json()
    nearest = {p["name"]: p for p in spec["paths"]["/api/nearest"]["get"]["parameters"]}
    top = nearest["limit"]["schema"]["maximum"]
    params = {"layer": "health", "lon": 106.7, "lat": 10.78}
    assert requests.get(f"{server}/api/nearest", params={**params, "limit": top}, timeout=30).status_code == 200
    assert requests.get(f"{server}/api/nearest", params={**params, "limit": top + 1}, timeout=30).status_code == 400
    assert all(p["required"] for n, p in nearest.items() if n in ("layer", "lon", "lat"))


def test_docs_page_shows_every_path(server):
    spec = requests.get(f"{server}/api/openapi.json", timeout=30).json()
    page = requests.get(f"{server}/api/docs", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "<script" not in page.text and "cdn" not in page.text.lower()
    for path, item in spec["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in page.text
    assert requests.get(f"{server}/api/openapi.json?f=html", timeout=30).text == page.text
