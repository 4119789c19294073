"""HTTP behaviour of the read API: strong ETags and 304, Cache-Control, gzip, CORS."""

from __future__ import annotations

import json

import pytest
import requests

from etl.pipeline import LoadOptions, load_file
from mapserver import create_app
from mapserver.config import DEFAULTS
from tests import pg
from tests.serving import serving


def test_etag_and_304(server):
    url = f"{server}/api/collections/health/items?limit=3&kind=hospital"
    first = requests.get(url, timeout=30)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and not etag.startswith("W/")
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=30)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = requests.get(f"{server}/api/collections/health/items?limit=4&kind=hospital",
                         headers={"If-None-Match": etag}, timeout=30)
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_equal_queries_spelled_differently_share_the_etag(server):
    a = requests.get(f"{server}/api/nearest?layer=health&lon=106.7&lat=10.78&limit=5", timeout=30)
    b = requests.get(f"{server}/api/nearest?lat=10.780&limit=05&layer=health&lon=106.70", timeout=30)
    assert a.headers["ETag"] == b.headers["ETag"] and a.content == b.content


def test_cache_control_per_route(server):
    meta = requests.get(f"{server}/api/conformance", timeout=30).headers["Cache-Control"]
    data = requests.get(f"{server}/api/collections/health/items", timeout=30).headers["Cache-Control"]
    assert meta == f"public, max-age={DEFAULTS['CACHE_METADATA_S']}"
    assert data == f"public, max-age={DEFAULTS['CACHE_FEATURES_S']}"


def test_json_is_gzipped_for_clients_that_accept_it(server):
    r = requests.get(f"{server}/api/collections/health/items?limit=100", headers={"Accept-Encoding": "gzip"},
                     timeout=30)
    assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
    assert r.json()["numberReturned"] == 100
    revalidated = requests.get(r.url, headers={"If-None-Match": r.headers["ETag"], "Accept-Encoding": "gzip"},
                               timeout=30)
    assert revalidated.status_code == 304


def test_cors_for_get_from_other_origins(server):
    r = requests.get(f"{server}/api/collections", headers={"Origin": "https://app.example.vn"}, timeout=30)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in r.headers["Access-Control-Expose-Headers"]
    pre = requests.options(f"{server}/api/nearest", headers={
        "Origin": "https://app.example.vn", "Access-Control-Request-Method": "GET"}, timeout=30)
    assert pre.status_code == 200 and "GET" in pre.headers["Access-Control-Allow-Methods"]


@pytest.fixture
def private_server(fresh_db_url):
    with serving(create_app({"DATABASE_URL": fresh_db_url})) as base:
        yield base, fresh_db_url


def test_a_new_published_version_changes_the_etag(private_server, catalog, demo_files):
    base, dsn = private_server
    url = f"{base}/api/collections/health/items?limit=2"
    before = requests.get(url, timeout=30).headers["ETag"]
    conn = pg.psycopg2.connect(dsn)
    try:
        load_file(conn, catalog["health"], demo_files["health"], LoadOptions(area=DEFAULTS["AREA_BBOX"]))
    finally:
        conn.close()
    after = requests.get(url, headers={"If-None-Match": before}, timeout=30)
    assert after.status_code == 200 and after.headers["ETag"] != before


def _load(dsn: str, layer, path, keep_versions: int = 5) -> None:
    conn = pg.psycopg2.connect(dsn)
    try:
        load_file(conn, layer, path, LoadOptions(area=DEFAULTS["AREA_BBOX"], keep_versions=keep_versions))
    finally:
        conn.close()


@pytest.mark.parametrize("keep_versions", [5, 1], ids=["old-version-kept", "old-version-dropped"])
def test_after_a_publish_plain_requests_answer_from_the_new_version(private_server, catalog, demo_files, tmp_path,
                                                                     keep_versions):
    """The server remembers which version it last read; a publish since must still show at once."""
    base, dsn = private_server
    few = tmp_path / "few.geojson"
    features = requests.get(f"{base}/api/collections/health/items?limit=3", timeout=30).json()["features"]
    few.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    urls = {"items": f"{base}/api/collections/health/items?limit=10",
            "nearest": f"{base}/api/nearest?layer=health&lon=106.7&lat=10.78&limit=10",
            "search": f"{base}/api/search?q=benh vien&layer=health&limit=50",
            "item": f"{base}/api/collections/health/items/{features[0]['id']}"}
    before = {name: requests.get(url, timeout=30) for name, url in urls.items()}
    assert before["items"].json()["numberMatched"] > 3 and before["nearest"].json()["numberReturned"] == 10

    _load(dsn, catalog["health"], few, keep_versions)
    after = {name: requests.get(url, timeout=30) for name, url in urls.items()}
    assert all(r.status_code == 200 for r in after.values()), {n: r.text for n, r in after.items()}
    assert after["items"].json()["numberMatched"] == 3
    assert after["nearest"].json()["numberReturned"] == 3
    assert {f["id"] for f in after["search"].json()["features"]} <= {f["id"] for f in features}
    assert after["item"].json()["id"] == features[0]["id"]
    assert all(after[n].headers["ETag"] != before[n].headers["ETag"] for n in urls)
