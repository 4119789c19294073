"""The change-stream service over real HTTP: events reach clients, dropped streams resume from Last-Event-ID
with nothing lost or repeated, a PostgreSQL restart loses nothing, several processes all deliver, and
features expire on the stream when their `valid_to` passes."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time

import psycopg2
import pytest
import requests
from aiohttp import web

from common.settings import DEFAULTS
from etl.live.events import events_after
from etl.live.writes import Actor, create
from etl.schema import bring_up
from mapserver.live.stream.hub import Hub
from mapserver.live.stream.queries import Queries
from mapserver.live.stream.server import create_app
from tests import pg
from tests.live.conftest import SseClient, add_events, stream_service
from tests.live.writers import alert

CHANGES = "/api/collections/{}/changes"


def changes(base: str, slug: str = "alerts") -> str:
    return base + CHANGES.format(slug)


def table_events(dsn: str, after: int, slug: str = "alerts") -> list[dict]:
    """What the change table holds: the truth each stream is compared with."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            return [e.as_json() for e in events_after(cur, after, 10_000, slug)]
    finally:
        conn.close()


def newest(dsn: str) -> int:
    return pg.fetch(dsn, "SELECT coalesce(max(id), 0) FROM mapserver.live_events")[0][0]


def followed(base: str, event_id: int) -> None:
    """Until the service has read the change table up to `event_id` (its "now" may trail the table a little:
    a stream opened at now gets a few events it may know already, never misses one)."""
    deadline = time.monotonic() + 30
    while int(requests.get(f"{base}/healthz", timeout=10).json()["last"]) < event_id:
        assert time.monotonic() < deadline, f"the stream service never read event {event_id}"
        time.sleep(0.05)


def test_events_reach_a_client_as_server_sent_events(live_stream, live_db):
    dsn = live_db[0]
    before = add_events(dsn, "alerts", ["old-1"])  # history: a stream without Last-Event-ID starts after it
    followed(live_stream, before[0])
    client = SseClient(changes(live_stream))
    try:
        r = client.response
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert r.headers["Access-Control-Allow-Origin"] == "*" and r.headers["Cache-Control"] == "no-cache"
        add_events(dsn, "outages", ["cut-1"])  # another layer's event is not this stream's
        ids = add_events(dsn, "alerts", ["flood-1", "flood-2"]) + add_events(dsn, "alerts", ["flood-1"], "delete")
        got = client.events(3)
    finally:
        client.close()
    assert [e["id"] for e in got] == [str(i) for i in ids]
    assert [e["event"] for e in got] == ["create", "create", "delete"]
    assert [e["data"] for e in got] == table_events(dsn, before[0])
    assert client.retry_ms == 1000 and int(client.last_id) == ids[-1]


def test_a_dropped_stream_resumes_from_last_event_id_with_nothing_lost_or_repeated(live_stream, live_db):
    dsn = live_db[0]
    first = SseClient(changes(live_stream)).opened()
    start = int(first.last_id)
    seen = add_events(dsn, "alerts", ["a-1", "a-2"])
    assert [int(e["id"]) for e in first.events(2)] == seen
    first.close()
    missed = add_events(dsn, "alerts", ["a-3", "a-4", "a-5"])  # while no stream is open
    again = SseClient(changes(live_stream), last_event_id=first.last_id)
    try:
        backlog = again.events(3)
        live = add_events(dsn, "alerts", ["a-6"])
        after = again.events(1)
    finally:
        again.close()
    assert [int(e["id"]) for e in backlog + after] == missed + live
    assert [e["data"] for e in backlog + after] == table_events(dsn, seen[-1])
    assert start < seen[0]


def test_the_first_request_resumes_from_the_last_event_id_query_parameter(live_stream, live_db):
    dsn = live_db[0]
    ids = add_events(dsn, "alerts", ["q-1", "q-2"])
    client = SseClient(changes(live_stream) + f"?lastEventId={ids[0]}")
    try:
        assert [int(e["id"]) for e in client.events(1)] == ids[1:]
    finally:
        client.close()


def test_a_stream_opened_at_now_resumes_from_where_it_started(live_stream, live_db):
    """The stream's first message names the newest event (an id without data): a client dropped before its
    first event comes back from there, not from a later "now"."""
    followed(live_stream, newest(live_db[0]))
    client = SseClient(changes(live_stream)).opened()
    client.close()
    assert int(client.last_id) == newest(live_db[0])
    missed = add_events(live_db[0], "alerts", ["n-1"])
    again = SseClient(changes(live_stream), last_event_id=client.last_id)
    try:
        assert [int(e["id"]) for e in again.events(1)] == missed
    finally:
        again.close()


@pytest.mark.parametrize(("slug", "headers", "status", "code"), [
    ("no_such_layer", {}, 404, "NotFound"),
    ("health", {}, 404, "NotFound"),  # not live: it changes by whole versions
    ("alerts", {"Last-Event-ID": "12abc"}, 400, "InvalidParameterValue"),
])
def test_refusals_are_bilingual_json(live_stream, slug, headers, status, code):
    r = requests.get(changes(live_stream, slug), timeout=10,
                     headers={"Accept": "text/event-stream", "Accept-Language": "en", **headers})
    assert r.status_code == status
    body = r.json()
    assert body["code"] == code and body["messages"]["vi"] and body["description"] == body["messages"]["en"]


def test_closed_streams_leave_the_service(live_stream):
    clients = [SseClient(changes(live_stream)).opened() for _ in range(5)]
    assert requests.get(f"{live_stream}/healthz", timeout=10).json()["streams"] >= 5
    for client in clients:
        client.close()
    deadline = time.monotonic() + 30
    while requests.get(f"{live_stream}/healthz", timeout=10).json()["streams"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert requests.get(f"{live_stream}/healthz", timeout=10).json()["streams"] == 0


def ids_of(events: list[dict]) -> list[int]:
    return [int(e["id"]) for e in events]


def test_a_stream_that_cannot_keep_up_is_closed_and_resumes_with_nothing_lost(live_stream, live_db):
    """A client that stops reading while events pile up (more than its queue and the sockets' buffers hold):
    its stream ends, and it resumes from the last event it got."""
    dsn = live_db[0]
    followed(live_stream, newest(dsn))
    client = SseClient(changes(live_stream), timeout_s=60).opened()
    queue_max = DEFAULTS["LIVE_STREAM_QUEUE_MAX"]
    burst = add_events(dsn, "alerts", [f"burst-{i}" for i in range(3 * queue_max)], padding=4000)
    followed(live_stream, burst[-1])
    first = client.read_to_end()
    again = SseClient(changes(live_stream), last_event_id=client.last_id, timeout_s=60)
    try:
        rest = again.events(len(burst) - len(first))
    finally:
        again.close()
    assert 0 < len(first) < len(burst)
    assert ids_of(first + rest) == burst


def test_an_idle_stream_gets_a_comment_as_often_as_the_settings_say(fresh_db_url, tmp_path):
    """Behind a proxy whose read timeout is shorter than the default keep-alive, the operator lowers it."""
    with (stream_service(fresh_db_url, tmp_path / "stream.log", MAPSERVER_LIVE_STREAM_KEEPALIVE_S="0.2") as service,
          requests.get(changes(service.base), headers={"Accept": "text/event-stream"}, stream=True,
                       timeout=30) as response):
        received, started = b"", time.monotonic()
        for chunk in response.iter_content(chunk_size=None):
            received += chunk
            if received.count(b": keep-alive") >= 3:
                break
        waited = time.monotonic() - started
    assert received.count(b": keep-alive") >= 3 and b"data:" not in received
    assert waited < DEFAULTS["LIVE_STREAM_KEEPALIVE_S"]


def test_two_processes_both_deliver(fresh_db_url, tmp_path):
    with stream_service(fresh_db_url, tmp_path / "stream.log", processes=2) as service:
        clients: list[SseClient] = []
        while len(clients) < 64 and len({c.response.headers["X-Stream-Process"] for c in clients}) < 2:
            clients.append(SseClient(changes(service.base)).opened())
        try:
            assert {c.response.headers["X-Stream-Process"] for c in clients} == {"1/2", "2/2"}
            ids = add_events(fresh_db_url, "alerts", ["p-1", "p-2", "p-3"])
            assert all(ids_of(c.events(3)) == ids for c in clients)
        finally:
            for c in clients:
                c.close()
        listeners = pg.fetch(fresh_db_url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                           "AND application_name = 'mapserver-stream' AND query LIKE 'LISTEN%%'")
    assert listeners[0][0] == 2  # one LISTEN connection per process, however many streams


def test_a_postgresql_restart_loses_no_event(tmp_path, catalog):
    """On a cluster of the test's own: events committed while the database restarts, and before the service
    has reconnected, reach the stream that stayed open through it, in order, once."""
    with pg.throwaway_cluster() as cluster:
        url = cluster("url")
        conn = psycopg2.connect(url)
        bring_up(conn, catalog)
        conn.close()
        with stream_service(url, tmp_path / "stream.log") as service:
            client = SseClient(changes(service.base), timeout_s=60).opened()
            try:
                before = add_events(url, "alerts", ["r-1"])
                assert ids_of(client.events(1)) == before
                cluster("stop")
                cluster("start")
                during = add_events(url, "alerts", ["r-2", "r-3"])
                followed(service.base, during[-1])
                after = add_events(url, "alerts", ["r-4"])
                assert ids_of(client.events(3)) == during + after
            finally:
                client.close()
            assert "lost the LISTEN connection" in service.log.read_text()


def test_a_feature_expires_on_the_stream_when_its_valid_to_passes(fresh_db_url, tmp_path, catalog):
    with stream_service(fresh_db_url, tmp_path / "stream.log", MAPSERVER_LIVE_SWEEP_S="0.2") as service:
        client = SseClient(changes(service.base)).opened()
        conn = psycopg2.connect(fresh_db_url)
        try:
            create(conn, catalog["alerts"], [alert("soon-1", hours=2 / 3600)], Actor("token:test"),
                   DEFAULTS["AREA_BBOX"])
            got = client.events(2)
        finally:
            conn.close()
            client.close()
    assert [(e["event"], e["data"]["featureId"]) for e in got] == [("create", "soon-1"), ("expire", "soon-1")]
    assert got[0]["data"]["feature"]["id"] == "soon-1" and got[1]["data"]["feature"] is None


@pytest.fixture(scope="module")
def internal_stream(live_db, catalog):
    """The stream app in a thread of its own over a catalog where `alerts` is internal (the shipped catalog
    has no internal live layer)."""
    catalog = {**catalog, "alerts": dataclasses.replace(catalog["alerts"], visibility="internal")}
    loop = asyncio.new_event_loop()
    queries = Queries(live_db[0], 2, 10_000, 5)
    hub = Hub(live_db[0], queries, 5, DEFAULTS["LIVE_STREAM_KEEPALIVE_S"], DEFAULTS["LIVE_STREAM_QUEUE_MAX"])

    async def start() -> web.AppRunner:
        await hub.start()
        runner = web.AppRunner(create_app(hub, catalog, "1/1"), handler_cancellation=True)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    hub.close_all()
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    queries.close()


@pytest.mark.parametrize(("who", "status"), [
    (None, 404),       # for anyone else an internal layer does not exist
    ("bogus", 401),    # an Authorization header that is no live token is refused, as in the read API
    ("health", 404),   # another agency's editor
    ("viewer", 200),   # the layer's agency, any role
    ("admin", 200),
])
def test_an_internal_live_layer_streams_to_its_agency_only(internal_stream, writers, who, status):
    token = {"bogus": "msk_00000000_nope"}.get(who) or (getattr(writers, who) if who else None)
    headers = {"Accept": "text/event-stream", **({"Authorization": f"Bearer {token}"} if token else {})}
    with requests.get(changes(internal_stream), headers=headers, stream=True, timeout=10) as r:
        assert r.status_code == status
        if status == 200:
            assert "Access-Control-Allow-Origin" not in r.headers and r.headers["Vary"] == "Authorization"
        else:
            assert r.json()["messages"]["vi"]
