"""Reads on a streaming hot standby, publishes reaching it whole, restarts and failover, on real servers.

A primary loaded through the ETL (a small health layer, the 2025 wards, a small timetable) and a
`pg_basebackup` standby streaming from it (tests/cluster/standby.py); the app over real HTTP, reading the
standby (DATABASE_READ_URL), or with the standby as its only database.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg2
import pytest
import requests

from common.settings import DEFAULTS, database_read_urls
from etl.admin_units import wards_area
from etl.pipeline import LoadOptions, load_file
from etl.schema import bring_up
from etl.timetable import load_feed
from mapserver import create_app
from mapserver.accounts import tokens
from mapserver.web import compiled
from mapserver.web.db import db_cursor, read_db, read_query
from mapserver.web.errors import DatabaseUnavailable
from tests.cluster.standby import Server, Servers, multi_host_url, servers
from tests.journeys.feeds import write_feed
from tests.routes.test_tiles import db_features, decode, tile_of
from tests.serving import serving

AREA = DEFAULTS["AREA_BBOX"]
HERE = (106.6945, 10.7705)
VERSIONS = {"A": 30, "B": 12}  # the health layer's versions: id prefix -> rows
Z, X, Y = tile_of(*HERE, 15)
DEPART = "2026-12-03T07:30:00+07:00"  # a weekday of the generated feed


def _health_file(folder: Path, tag: str) -> Path:
    """Points on a 10 x n grid around HERE, ids `<tag>-000`...: each version's rows are told apart by the tag."""
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [106.690 + 0.001 * (i % 10), 10.770 + 0.001 * (i // 10)]},
                 "properties": {"id": f"{tag}-{i:03d}", "name": f"Điểm tiêm chủng {tag} {i}", "kind": "vaccination"}}
                for i in range(VERSIONS[tag])]
    path = folder / f"health-{tag}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def _load_health(server: Server, catalog, folder: Path, tag: str):
    conn = psycopg2.connect(server.url())
    try:
        return load_file(conn, catalog["health"], _health_file(folder, tag), LoadOptions(area=AREA))
    finally:
        conn.close()


def _loaded_primary(found: Servers, catalog, folder: Path, wards_file: Path | None = None) -> Server:
    """A primary migrated, with health version A published (and the wards and a timetable when asked)."""
    primary = found.primary()
    conn = psycopg2.connect(primary.url())
    try:
        bring_up(conn, catalog)
        if wards_file:
            load_file(conn, catalog["wards"], wards_file, LoadOptions(area=wards_area(wards_file)))
            load_feed(conn, write_feed(folder / "grid.zip", seed=3, lines=4), LoadOptions(area=AREA))
    finally:
        conn.close()
    _load_health(primary, catalog, folder, "A")
    return primary


@pytest.fixture(scope="module")
def module_servers():
    with servers() as found:
        yield found


@pytest.fixture(scope="module")
def pair(module_servers, catalog, wards_file, tmp_path_factory):
    """(primary, standby): the standby has replayed everything loaded."""
    primary = _loaded_primary(module_servers, catalog, tmp_path_factory.mktemp("replicas"), wards_file)
    standby = module_servers.standby(primary)
    primary.wait_replayed_by(standby)
    return primary, standby


@contextmanager
def node(database_url: str, read_url: str | None = None, **config):
    """An app node over HTTP; its base URL."""
    app = create_app({"DATABASE_URL": database_url, "DATABASE_READ_URL": read_url, "TESTING": True, **config})
    with serving(app) as base:
        yield base


def _ids(base: str) -> set[str]:
    r = requests.get(f"{base}/api/collections/health/items", timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["numberMatched"] == len(body["features"])
    return {f["id"] for f in body["features"]}


def _whole(ids: set[str]) -> str:
    """The version all these ids come from, asserting they are all of one, and all of it."""
    tags = {i.split("-")[0] for i in ids}
    assert len(tags) == 1, f"a mix of versions: {sorted(ids)}"
    tag = tags.pop()
    assert ids == {f"{tag}-{i:03d}" for i in range(VERSIONS[tag])}
    return tag


def _tile_ids(base: str, path: str = f"/api/tiles/health/{Z}/{X}/{Y}.mvt") -> set[str]:
    r = requests.get(base + path, timeout=30)
    assert r.status_code == 200, r.text
    return {f["properties"]["id"] for f in decode(r.content)["health"]["features"]}


def _in_tile(server: Server) -> set[str]:
    """The ids the published health version has inside the tile and its buffer, by the server's own reckoning."""
    with closing(psycopg2.connect(server.url())) as conn, conn.cursor() as cur:
        return set(db_features(cur, "health", Z, X, Y))


def _web_sessions(server: Server) -> int:
    return server.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mapserver-web'")[0][0]


def _get(base: str, path: str, **params) -> requests.Response:
    return requests.get(base + path, params=params, timeout=30)


READS = [  # every read route: the API's, the pages, /healthz
    ("/api/collections/health/items", {}), ("/api/collections/health/items/A-000", {}),
    ("/api/nearest", {"layer": "health", "lon": HERE[0], "lat": HERE[1], "limit": 5}),
    ("/api/nearby", {"lon": HERE[0], "lat": HERE[1], "radius": 500}),
    ("/api/within", {"layer": "health", "lon": HERE[0], "lat": HERE[1], "radius": 300}),
    ("/api/search", {"q": "diem tiem chung", "layer": "health"}),
    ("/api/coverage", {"layer": "health"}), ("/api/coverage", {"layer": "health", "f": "csv"}),
    ("/api/journeys", {"from": "106.66,10.74", "to": "106.67,10.75", "depart": DEPART}),
    ("/api/collections", {}), ("/api/collections/health", {}), ("/api/tiles/health.json", {}),
    ("/", {}), ("/coverage", {}), ("/healthz", {}),
]


def test_a_node_reading_the_standby_answers_from_it(pair):
    primary, standby = pair
    with node(primary.url(), standby.url()) as base:
        assert _whole(_ids(base)) in VERSIONS
        nearest = _get(base, "/api/nearest", layer="health", lon=HERE[0], lat=HERE[1], limit=5)
        assert nearest.status_code == 200 and len(nearest.json()["features"]) == 5
        assert _tile_ids(base) == _in_tile(standby) != set()
        assert _web_sessions(standby) >= 1
    cut = primary.query("SELECT count(*) FROM mapserver.tile_cache WHERE layers = 'health' AND z = %s AND x = %s "
                        "AND y = %s", (Z, X, Y))[0][0]
    assert cut == 0  # the tile was cut on the standby, which keeps no tile cache


def test_a_node_whose_only_database_is_the_standby_serves_every_read_route(pair):
    _, standby = pair
    with node(standby.url()) as base:
        for path, params in READS:
            r = _get(base, path, **params)
            assert r.status_code == 200, (path, r.text)
        template = _get(base, "/api/tiles/health.json").json()["tiles"][0]
        versioned = template.format(z=Z, x=X, y=Y).removeprefix(base)
        assert _tile_ids(base, versioned) == _tile_ids(base) == _in_tile(standby)
        assert "immutable" in _get(base, versioned).headers["Cache-Control"]


def test_a_publish_on_the_primary_reaches_the_replica_node_whole(pair, catalog, tmp_path):
    """Replay paused: the replica node answers the old version whole, and a tile URL of the new one (handed out by
    a node on the primary) is a 503 to retry, not a 404; replay resumed: the new version, never a mix."""
    primary, standby = pair
    with node(primary.url()) as on_primary, node(primary.url(), standby.url(), VERSION_RECHECK_S=0) as on_replica:
        before = _whole(_ids(on_replica))
        standby.query("SELECT pg_wal_replay_pause()")
        try:
            after = "B" if before == "A" else "A"
            report = _load_health(primary, catalog, tmp_path, after)
            assert report.published
            new_tile = _get(on_primary, "/api/tiles/health.json").json()["tiles"][0].format(z=Z, x=X, y=Y)
            assert _whole(_ids(on_primary)) == after
            assert _whole(_ids(on_replica)) == before
            ahead = requests.get(new_tile.replace(on_primary, on_replica), timeout=30)
            assert ahead.status_code == 503 and ahead.headers["Retry-After"] == "1", ahead.text
        finally:
            standby.query("SELECT pg_wal_replay_resume()")
        seen, deadline = [], time.monotonic() + 30  # the versions answered, in the order asked
        while (not seen or seen[-1] != after) and time.monotonic() < deadline:
            seen.append(_whole(_ids(on_replica)))
            tile_versions = {i.split("-")[0] for i in _tile_ids(on_replica)}
            assert len(tile_versions) == 1
            seen += tile_versions
        assert seen[-1] == after and seen == sorted(seen, key=[before, after].index)  # never back once replayed
        assert _tile_ids(on_replica, new_tile.removeprefix(on_primary)) == _in_tile(standby)


def test_a_restart_of_the_read_database_costs_no_reader_an_error(pair):
    """Eight pooled connections to the standby, all broken by its restart: every read after it answers."""
    primary, standby = pair
    paths = [f"/api/tiles/health/{Z}/{X}/{Y}.mvt", "/api/collections/health/items",
             f"/api/nearest?layer=health&lon={HERE[0]}&lat={HERE[1]}", "/api/collections/health"] * 4
    with node(primary.url(), standby.url()) as base, ThreadPoolExecutor(8) as clients:
        def statuses() -> list[int]:
            return [r.status_code for r in clients.map(lambda path: requests.get(base + path, timeout=30), paths)]
        assert set(statuses()) == {200}
        standby.restart()
        assert statuses() == [200] * len(paths)


def test_a_read_on_a_connection_lost_to_a_restart_runs_again_on_a_fresh_one(pair):
    primary, standby = pair
    app = create_app({"DATABASE_URL": primary.url(), "DATABASE_READ_URL": standby.url(), "TESTING": True})
    with app.test_request_context("/"):
        lost = read_db()
        with read_query("SELECT pg_backend_pid()") as cur:
            before = cur.fetchone()[0]
        standby.restart()
        with read_query("SELECT pg_backend_pid(), pg_is_in_recovery()") as cur:
            after, in_recovery = cur.fetchone()
        assert lost.closed and read_db() is not lost and after != before and in_recovery
    with app.test_request_context("/"):  # a lost transaction of the request's own is not quietly begun anew
        with db_cursor() as cur:
            cur.execute("SET LOCAL statement_timeout = 1000")
        standby.restart()
        with pytest.raises(DatabaseUnavailable), read_query("SELECT 1"):
            pass


def test_read_connections_take_turns_over_the_replicas_and_skip_one_that_is_down(pair, module_servers):
    primary, standby = pair
    other = module_servers.standby(primary, "standby2")
    primary.wait_replayed_by(other)
    app = create_app({"DATABASE_URL": primary.url(), "DATABASE_READ_URL": f"{standby.url()}, {other.url()}",
                      "TESTING": True})
    pool = app.extensions["mapserver.read_pool"]
    taken = [pool.getconn() for _ in range(4)]
    assert [c.info.port for c in taken] == [standby.port, other.port] * 2 and pool.usage() == (4, 0)
    for conn in taken:
        pool.putconn(conn)
    with serving(app) as base:
        other.stop()
        try:
            assert _whole(_ids(base)) and _tile_ids(base) == _in_tile(standby)
            taken = [pool.getconn(fresh=True) for _ in range(2)]
            assert [c.info.port for c in taken] == [standby.port] * 2
        finally:
            other.start()


def test_several_read_urls_are_told_apart_from_one_multi_host_url():
    one, two = "postgresql://u@a:5432/db", "postgres://u@b/db?sslmode=require"
    multi = "postgresql://u@a:5432,b:5433/db?target_session_attrs=prefer-standby"
    assert database_read_urls({"DATABASE_READ_URL": f"{one}, {two}"}) == [one, two]
    assert database_read_urls({"DATABASE_READ_URL": f" {one}\n{two} "}) == [one, two]
    assert database_read_urls({"DATABASE_READ_URL": f"{one},{multi}"}) == [one, multi]
    assert database_read_urls({"DATABASE_READ_URL": [one, two]}) == [one, two]
    assert database_read_urls({"DATABASE_READ_URL": "host=a port=5432 dbname=db"}) == ["host=a port=5432 dbname=db"]
    assert database_read_urls({"DATABASE_READ_URL": None}) == database_read_urls({}) == []


def _admin_token(server: Server) -> str:
    with closing(psycopg2.connect(server.url())) as conn, conn, conn.cursor() as cur:
        return tokens.create(cur, name="failover", role="admin", agency=None, days=1, created_by="test")[0]


def test_after_failover_writes_work_again_and_reads_never_stopped(catalog, tmp_path):
    """DATABASE_URL lists primary and standby (read-write wanted); the primary stops, the standby is promoted:
    the same app process publishes again, and its reads from the standby answered throughout."""
    with servers() as found:
        primary = _loaded_primary(found, catalog, tmp_path)
        _load_health(primary, catalog, tmp_path, "B")
        admin = {"Authorization": f"Bearer {_admin_token(primary)}"}
        standby = found.standby(primary)
        primary.wait_replayed_by(standby)
        url = multi_host_url([primary, standby], target_session_attrs="read-write")
        with node(url, standby.url(), RATELIMIT_WRITE_TOKEN="1000 per minute", VERSION_RECHECK_S=0) as base:
            def publish(version: int) -> requests.Response:
                return requests.post(f"{base}/api/layers/health/publish", json={"version": version}, headers=admin,
                                     timeout=30)

            assert publish(1).status_code == 200
            primary.wait_replayed_by(standby)
            primary.stop()
            compiled._compiled.clear()  # statements composed anew, as in a process that starts during the outage
            assert _whole(_ids(base)) == "A" and _tile_ids(base) == _in_tile(standby)
            refused = publish(2)
            assert refused.status_code == 503 and refused.json()["code"] == "ServiceUnavailable"
            standby.promote()
            deadline = time.monotonic() + 30
            while (done := publish(2)).status_code != 200 and time.monotonic() < deadline:
                assert done.status_code == 503, done.text
                time.sleep(0.5)
            assert done.status_code == 200 and done.json()["published_version"] == 2
            assert not standby.in_recovery() and _whole(_ids(base)) == "B"
