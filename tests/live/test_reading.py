"""Reading live layers: valid now by default, `datetime` for another time, ETags that follow writes and time,
the `?since=` feed, expire events from the sweep, tiles cut fresh."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import psycopg2
import pytest
import requests

from etl.live.sweep import sweep
from layers import load_catalog
from tests.live.test_writes import ITEMS, post
from tests.live.writers import alert, iso

CHANGES = "/api/collections/alerts/changes"


def ids(base: str, **params) -> set[str]:
    answer = requests.get(base + ITEMS, params={"limit": 1000, **params}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {f["id"] for f in answer.json()["features"]}


def test_valid_now_by_default_and_datetime_for_other_times(live_server, writers):
    post(live_server, writers.alerts, alert("now-1"))
    post(live_server, writers.alerts, alert("later-1", starts=24, hours=30))
    post(live_server, writers.alerts, alert("past-1", starts=-30, hours=-24))
    now = ids(live_server)
    assert "now-1" in now and not {"later-1", "past-1"} & now
    tomorrow = iso(datetime.now(UTC) + timedelta(hours=26))
    assert {"later-1"} <= ids(live_server, datetime=tomorrow) and "now-1" not in ids(live_server, datetime=tomorrow)
    yesterday = iso(datetime.now(UTC) - timedelta(hours=27))
    assert "past-1" in ids(live_server, datetime=f"{yesterday}/..")
    assert {"now-1", "later-1", "past-1"} <= ids(live_server, datetime=f"../{tomorrow}")
    assert ids(live_server, datetime=f"{tomorrow}/..") >= {"later-1"}
    matched = requests.get(live_server + ITEMS, params={"limit": 1}, timeout=10).json()["numberMatched"]
    assert matched == len(ids(live_server))


@pytest.mark.parametrize("value", ["yesterday", "2026-12-03T10:00:00", "../..", "a/b/c",
                                   "2026-12-04T00:00:00Z/2026-12-03T00:00:00Z"])
def test_bad_datetime_is_a_400(live_server, value):
    answer = requests.get(live_server + ITEMS, params={"datetime": value}, timeout=10)
    assert answer.status_code == 400 and answer.json()["messages"]["vi"]


def test_other_layers_take_datetime_as_timeless(live_server):
    answer = requests.get(live_server + "/api/collections/health/items", params={"datetime": "2020-01-01T00:00:00Z",
                                                                                  "limit": 3}, timeout=10)
    assert answer.status_code == 200 and len(answer.json()["features"]) == 3


def test_items_etag_follows_writes(live_server, writers):
    first = requests.get(live_server + ITEMS, timeout=10)
    assert first.headers["Cache-Control"] == "public, max-age=0"
    same = requests.get(live_server + ITEMS, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert same.status_code == 304
    post(live_server, writers.alerts, alert("etag-1"))
    after = requests.get(live_server + ITEMS, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert after.status_code == 200 and "etag-1" in {f["id"] for f in after.json()["features"]}


def test_since_feed_pages_through_events_in_order(live_server, writers):
    start = requests.get(live_server + CHANGES, timeout=10).json()
    assert start["events"] == []
    made = [post(live_server, writers.alerts, alert(f"feed-{i}")).json()["id"] for i in range(3)]
    page = requests.get(live_server + CHANGES, params={"since": start["last"], "limit": 2}, timeout=10).json()
    assert [e["featureId"] for e in page["events"]] == made[:2]
    assert page["links"][0]["rel"] == "next"
    rest = requests.get(page["links"][0]["href"], timeout=10).json()
    assert [e["featureId"] for e in rest["events"]] == made[2:]
    assert rest["events"][0]["type"] == "create" and rest["events"][0]["feature"]["id"] == made[2]
    assert int(rest["last"]) > int(page["last"]) > int(start["last"])


def test_changes_of_a_layer_that_is_not_live_is_a_404(live_server):
    assert requests.get(live_server + "/api/collections/health/changes", timeout=10).status_code == 404


def test_a_stream_without_stream_service_says_to_poll(live_server):
    answer = requests.get(live_server + CHANGES, headers={"Accept": "text/event-stream"}, timeout=10,
                          allow_redirects=False)
    assert answer.status_code == 503 and "since" in answer.json()["messages"]["en"]


def test_sweep_adds_one_expire_event_per_feature(live_server, live_db, writers):
    post(live_server, writers.alerts, alert("short-1", hours=1 / 3600))
    time.sleep(1.2)
    conn = psycopg2.connect(live_db[0])
    try:
        catalog = load_catalog()
        assert sweep(conn, catalog) >= 1
        assert sweep(conn, catalog) == 0
        with conn.cursor() as cur:
            cur.execute("SELECT kind FROM mapserver.live_events WHERE feature_id = 'short-1' ORDER BY id")
            assert [r[0] for r in cur.fetchall()] == ["create", "expire"]
    finally:
        conn.close()
    assert "short-1" not in ids(live_server)


def test_tiles_of_a_live_layer_are_cut_fresh(live_server, writers):
    tilejson = requests.get(live_server + "/api/tiles/alerts.json", timeout=10).json()
    assert "/v" not in tilejson["tiles"][0].split("/api/tiles/alerts")[1]
    url = live_server + "/api/tiles/alerts/14/13047/7697.mvt"  # over lon 106.70, lat 10.78
    before = requests.get(url, timeout=10)
    post(live_server, writers.alerts, alert("tile-1", lon=106.6865, lat=10.7905, headline="Ô tile"))
    after = requests.get(url, headers={"If-None-Match": before.headers["ETag"]}, timeout=10)
    assert after.status_code == 200 and after.headers["Cache-Control"] == "no-cache"
    names = [f["properties"]["headline"] for f in mapbox_vector_tile.decode(after.content)["alerts"]["features"]]
    assert "Ô tile" in names
