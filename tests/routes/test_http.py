"""HTTP behaviour of the read API: strong ETags and 304, Cache-Control, gzip, CORS."""

from __future__ import annotations

import json
import time

import pytest
import requests

from common.settings import DEFAULTS
from etl.pipeline import LoadOptions, load_file
from mapserver import create_app
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
def private_server(fresh_db_url, request):
    """A server on its own database; `request.param` (indirect parametrisation) adds settings."""
    with serving(create_app({"DATABASE_URL": fresh_db_url, **getattr(request, "param", {})})) as base:
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


def _answers(base: str, features: list[dict]) -> dict[str, requests.Response]:
    urls = {"items": f"{base}/api/collections/health/items?limit=10",
            "nearest": f"{base}/api/nearest?layer=health&lon=106.7&lat=10.78&limit=10",
            "search": f"{base}/api/search?q=benh vien&layer=health&limit=50",
            "item": f"{base}/api/collections/health/items/{features[0]['id']}"}
    answers = {name: requests.get(url, timeout=30) for name, url in urls.items()}
    assert all(r.status_code == 200 for r in answers.values()), {n: r.text for n, r in answers.items()}
    return answers


def _publish_three(base: str, dsn: str, layer, tmp_path, keep_versions: int) -> tuple[list[dict], dict]:
    """Publish a version of three of the health layer's features; the answers read just before."""
    few = tmp_path / "few.geojson"
    features = requests.get(f"{base}/api/collections/health/items?limit=3", timeout=30).json()["features"]
    few.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    before = _answers(base, features)
    assert before["items"].json()["numberMatched"] > 3 and before["nearest"].json()["numberReturned"] == 10
    _load(dsn, layer, few, keep_versions)
    return features, before


def _assert_new_version(after: dict, before: dict, features: list[dict]) -> None:
    assert after["items"].json()["numberMatched"] == 3
    assert after["nearest"].json()["numberReturned"] == 3
    assert {f["id"] for f in after["search"].json()["features"]} <= {f["id"] for f in features}
    assert after["item"].json()["id"] == features[0]["id"]
    assert all(after[n].headers["ETag"] != before[n].headers["ETag"] for n in after)


@pytest.mark.parametrize("private_server", [{"VERSION_RECHECK_S": 0}], indirect=True)
def test_with_no_recheck_window_a_publish_shows_at_once(private_server, catalog, demo_files, tmp_path):
    """Every statement checks the version it reads against the catalog."""
    base, dsn = private_server
    features, before = _publish_three(base, dsn, catalog["health"], tmp_path, keep_versions=5)
    _assert_new_version(_answers(base, features), before, features)


RECHECK_S = 4.0


@pytest.mark.parametrize("private_server", [{"VERSION_RECHECK_S": RECHECK_S}], indirect=True)
def test_a_publish_shows_within_the_recheck_window_and_never_as_a_mix(private_server, catalog, demo_files, tmp_path):
    """Inside the window the server answers from the version it confirmed (whole: same bodies, same ETags);
    once the window has passed, from the new one."""
    base, dsn = private_server
    started = time.monotonic()
    features, before = _publish_three(base, dsn, catalog["health"], tmp_path, keep_versions=5)
    inside = _answers(base, features)
    assert time.monotonic() - started < RECHECK_S, "the load took longer than the window this test relies on"
    assert all(inside[n].content == before[n].content and inside[n].headers["ETag"] == before[n].headers["ETag"]
               for n in before)
    time.sleep(max(0.0, RECHECK_S - (time.monotonic() - started)) + 0.2)
    _assert_new_version(_answers(base, features), before, features)


@pytest.mark.parametrize("private_server", [{"VERSION_RECHECK_S": 3600}], indirect=True)
def test_a_pruned_version_is_never_answered_even_inside_the_window(private_server, catalog, demo_files, tmp_path):
    """Keeping one version drops the table the server remembers: it notices and reads the new one at once.

    The first load keeps the version the server remembers (a rollback would publish it); the second drops it."""
    base, dsn = private_server
    features, before = _publish_three(base, dsn, catalog["health"], tmp_path, keep_versions=1)
    _load(dsn, catalog["health"], tmp_path / "few.geojson", 1)
    _assert_new_version(_answers(base, features), before, features)
