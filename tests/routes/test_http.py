"""HTTP behaviour of the read API: strong ETags and 304, Cache-Control, gzip, CORS."""

from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from etl.pipeline import LoadOptions, load_file
from mapserver import create_app
from mapserver.config import DEFAULTS
from tests import pg


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
    httpd = make_server("127.0.0.1", 0, create_app({"DATABASE_URL": fresh_db_url}), threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", fresh_db_url
    httpd.shutdown()


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
