"""GET /healthz: 200 while the database answers, 503 while it is stopped, 200 again after a restart."""

from __future__ import annotations

import threading

import psycopg2
import pytest
import requests
from werkzeug.serving import make_server

from common.migrations import apply_migrations
from mapserver import create_app
from tests import pg


def test_healthz_is_200_with_the_database_up(server, demo_reports, catalog):
    r = requests.get(f"{server}/healthz", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    live = sum(layer.live for layer in catalog.values())  # published from the start
    assert body["status"] == "ok" and body["published_layers"] == len(demo_reports) + live
    assert body["postgis"].startswith("3.")


@pytest.fixture
def own_cluster_server():
    """An app on a cluster of its own, which the test may stop and start."""
    with pg.throwaway_cluster() as cluster:
        url = cluster("url")
        conn = psycopg2.connect(url)
        apply_migrations(conn)
        conn.close()
        httpd = make_server("127.0.0.1", 0, create_app({"DATABASE_URL": url}), threaded=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{httpd.server_port}", cluster
        httpd.shutdown()


def test_healthz_is_503_with_the_database_stopped_and_recovers(own_cluster_server):
    base, cluster = own_cluster_server
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    cluster("stop")
    down = requests.get(f"{base}/healthz", timeout=10)
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "down"}
    cluster("start")
    up = requests.get(f"{base}/healthz", timeout=10)
    assert up.status_code == 200 and up.json()["status"] == "ok"


def test_unknown_routes_answer_json_not_html(server):
    r = requests.get(f"{server}/no/such/page", timeout=10, headers={"Accept-Language": "en"})
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "NotFound" and body["messages"]["vi"] and body["description"] == body["messages"]["en"]
