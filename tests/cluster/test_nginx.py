"""The reference nginx (deploy/nginx/mapserver.conf) in front of the app under gunicorn: what it caches, for how
long, what it never caches, and what it tells the app about the client."""

from __future__ import annotations

import gzip
import time

import psycopg2
import pytest
import requests

from common.settings import DEFAULTS
from etl.pipeline import LoadOptions, load_file
from tests.agency.conftest import bearer, health_geojson, make_accounts
from tests.cluster.nginx import TRUSTED_PROXIES, nginx
from tests.live.conftest import SseClient, add_events, stream_service
from tests.routes.test_tiles import tile_of
from tests.serving import gunicorn

TILE_MAX_AGE_S = 2  # the unversioned URLs' lifetime in the publishing test (300 s by default)
NODE_ENV = {"MAPSERVER_TRUSTED_PROXIES": TRUSTED_PROXIES, "WORKERS": "1"}


def versioned_tile_url(front_base: str, spec: str, z: int, x: int, y: int) -> str:
    """The versioned tile URL the TileJSON (through nginx) hands out."""
    (template,) = requests.get(f"{front_base}/api/tiles/{spec}.json", timeout=10).json()["tiles"]
    return template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def raw_get(url: str, encoding: str, **headers: str) -> tuple[requests.Response, bytes]:
    """The answer and its bytes as sent (not decompressed)."""
    response = requests.get(url, headers={"Accept-Encoding": encoding, **headers}, stream=True, timeout=30)
    return response, response.raw.read(decode_content=False)


@pytest.fixture(scope="module")
def node(db_url, tmp_path_factory):
    with gunicorn(db_url, tmp_path_factory.mktemp("node") / "gunicorn.log", **NODE_ENV) as server:
        yield server


@pytest.fixture(scope="module")
def front(node):
    with nginx([node.base]) as proxy:
        yield proxy


@pytest.fixture
def writable(fresh_db_url, tmp_path):
    """A private database (with accounts) behind its own node and nginx, unversioned URLs short-lived:
    (front, database URL, admin token)."""
    admin = make_accounts(fresh_db_url).admin
    env = {**NODE_ENV, "MAPSERVER_TILE_MAX_AGE_S": str(TILE_MAX_AGE_S),
           "MAPSERVER_RATELIMIT_WRITE_TOKEN": "1000 per minute"}
    with gunicorn(fresh_db_url, tmp_path / "gunicorn.log", **env) as server, nginx([server.base]) as proxy:
        yield proxy, fresh_db_url, admin


def test_a_versioned_tile_is_a_miss_then_a_hit_with_the_apps_gzip(front, node):
    z, x, y = tile_of(*DEFAULTS["MAP_CENTER"], 12)
    url = versioned_tile_url(front.base, "health", z, x, y)
    assert url.startswith(f"{front.base}/api/tiles/health/v")  # the host asked for, not the node's
    plain = requests.get(url.replace(front.base, node.base), headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200 and len(plain.content) > DEFAULTS["COMPRESS_MIN_SIZE"]

    first, first_bytes = raw_get(url, "gzip")
    second, second_bytes = raw_get(url, "gzip")
    assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == ("MISS", "HIT")
    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == "gzip"
    assert first_bytes == second_bytes and gzip.decompress(second_bytes) == plain.content
    assert second.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "accept-encoding" in second.headers["Vary"].lower()

    identity, identity_bytes = raw_get(url, "identity")  # another variant: never the gzip bytes
    again, _ = raw_get(url, "identity")
    assert "Content-Encoding" not in identity.headers and identity_bytes == plain.content
    assert again.headers["X-Cache-Status"] == "HIT"


def test_an_unchanged_cached_answer_is_a_304(front):
    z, x, y = tile_of(*DEFAULTS["MAP_CENTER"], 13)
    url = versioned_tile_url(front.base, "health", z, x, y)
    etag = requests.get(url, timeout=30).headers["ETag"]
    held = requests.get(url, headers={"If-None-Match": etag}, timeout=30)
    assert held.status_code == 304 and held.headers["X-Cache-Status"] == "HIT"


def test_requests_with_credentials_and_the_agency_area_are_never_cached(front):
    url = f"{front.base}/api/collections/education"
    with_token = [requests.get(url, headers=bearer("ms_nobody"), timeout=10) for _ in range(2)]
    with_cookie = [requests.get(url, cookies={"session": "x"}, timeout=10) for _ in range(2)]
    assert [r.headers["X-Cache-Status"] for r in with_token + with_cookie] == ["BYPASS"] * 4
    anonymous = [requests.get(url, timeout=10).headers["X-Cache-Status"] for _ in range(2)]
    assert anonymous == ["MISS", "HIT"]  # the same URL is cacheable: the credentials kept it out

    pages = [requests.get(f"{front.base}/agency/login", timeout=10) for _ in range(2)]
    assert [p.status_code for p in pages] == [200, 200]
    assert all("X-Cache-Status" not in p.headers for p in pages)
    assert [line["cache"] for line in front.logged("/agency/login", 2)] == ["", ""]


def test_metrics_are_not_served_through_the_front(front):
    assert requests.get(f"{front.base}/metrics", timeout=10).status_code == 404
    (line,) = front.logged("/metrics")
    assert line["upstream"] == ""  # nginx answered itself: the nodes are scraped directly


def test_the_request_id_is_nginxs_or_the_clients_and_comes_back(front):
    made = requests.get(f"{front.base}/healthz", timeout=10)
    (logged,) = front.logged("/healthz")
    assert len(logged["request_id"]) == 32 and made.headers["X-Request-ID"] == logged["request_id"]
    own = requests.get(f"{front.base}/healthz", headers={"X-Request-ID": "test-own-id-1"}, timeout=10)
    assert own.headers["X-Request-ID"] == "test-own-id-1"


def test_the_app_audits_the_clients_address_not_nginxs(writable):
    front, url, admin = writable
    published = requests.post(f"{front.base}/api/layers/health/publish", headers=bearer(admin),
                              json={"version": 1}, timeout=30)
    assert published.status_code == 200 and "X-Cache-Status" not in published.headers
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT host(client_addr) FROM mapserver.audit_log WHERE action = 'layer.publish' "
                    "ORDER BY id DESC LIMIT 1")
        (client_addr,) = cur.fetchone()
    conn.close()
    assert client_addr == "127.0.0.1"  # the test client; nginx connects from 127.0.0.2


def test_a_publish_is_seen_through_the_front_once_the_unversioned_lifetime_is_over(writable, catalog, tmp_path):
    front, url, admin = writable
    tilejson = f"{front.base}/api/tiles/health.json"
    z, x, y = tile_of(106.6, 10.75, 14)  # where the second version's points are
    unversioned = f"{front.base}/api/tiles/health/{z}/{x}/{y}.mvt"
    before = [requests.get(tilejson, timeout=10) for _ in range(2)]
    assert [r.headers["X-Cache-Status"] for r in before] == ["MISS", "HIT"]
    assert requests.get(unversioned, timeout=10).headers["ETag"].startswith('"health/v1/')
    cached_at = time.monotonic()

    conn = psycopg2.connect(url)
    report = load_file(conn, catalog["health"], health_geojson(tmp_path / "v2.geojson", 50, "V2"),
                       LoadOptions(area=DEFAULTS["AREA_BBOX"], publish=False))
    conn.close()
    published = requests.post(f"{front.base}/api/layers/health/publish", headers=bearer(admin),
                              json={"version": report.version}, timeout=30)
    published_at = time.monotonic()
    assert published.status_code == 200 and published.json()["published_version"] == report.version == 2

    # Past the lifetime the app gave (nginx counts whole seconds) and the app's own VERSION_RECHECK_S, the
    # next answer is the new version's.
    time.sleep(max(0.0, cached_at + TILE_MAX_AGE_S + 1.5 - time.monotonic(),
                   published_at + DEFAULTS["VERSION_RECHECK_S"] + 0.5 - time.monotonic()))
    after = requests.get(tilejson, timeout=10)
    assert after.headers["X-Cache-Status"] in ("EXPIRED", "MISS")
    assert "/health/v2/" in after.json()["tiles"][0]
    assert requests.get(unversioned, timeout=10).headers["ETag"].startswith('"health/v2/')
    new_tile = requests.get(after.json()["tiles"][0].replace("{z}/{x}/{y}", f"{z}/{x}/{y}"), timeout=10)
    assert new_tile.status_code == 200 and new_tile.headers["X-Cache-Status"] == "MISS"


def test_a_stream_through_the_front_comes_from_the_stream_service_as_each_event_is_written(fresh_db_url, tmp_path):
    """The reference's `changes` rule: a stream goes to the stream service, unbuffered; `since` to the app."""
    with (gunicorn(fresh_db_url, tmp_path / "gunicorn.log", **NODE_ENV) as node,
          stream_service(fresh_db_url, tmp_path / "stream.log") as streams,
          nginx([node.base], [streams.base]) as front):
        url = f"{front.base}/api/collections/alerts/changes"
        polled = requests.get(url, params={"since": 0}, timeout=10)
        client = SseClient(url, timeout_s=30).opened()
        try:
            from_the_service = client.response.headers.get("X-Stream-Process")
            written = add_events(fresh_db_url, "alerts", ["front-1", "front-2"])
            received = [int(e["id"]) for e in client.events(2)]
        finally:
            client.close()
    assert polled.status_code == 200 and "X-Stream-Process" not in polled.headers and "events" in polled.json()
    assert from_the_service == "1/1" and received == written
