"""Several machines on one: a primary and its streaming standby, two app nodes under gunicorn (B reads the
standby), the reference nginx in front of both; a publish seen on both nodes, then a failover.

Both nodes' DATABASE_URL lists the primary and the standby (libpq multi-host, target_session_attrs=read-write):
the primary while it is up, the standby once promoted, without restarting anything. The tests run in file
order and the last one takes the primary away.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from common.settings import DEFAULTS
from etl.pipeline import LoadOptions, load_file
from etl.schema import bring_up
from tests.agency.conftest import bearer, health_geojson, make_accounts
from tests.cluster.nginx import FAIL_TIMEOUT_S, TRUSTED_PROXIES, Nginx, nginx
from tests.cluster.standby import Server, multi_host_url, servers
from tests.routes.test_tiles import tile_of
from tests.serving import Gunicorn, gunicorn

pytestmark = pytest.mark.topology

FAILOVER_S = 30  # the bound: writes again this long after the standby is promoted
AREA = DEFAULTS["AREA_BBOX"]


@dataclass
class Topology:
    primary: Server
    standby: Server
    a: Gunicorn  # reads and writes on DATABASE_URL
    b: Gunicorn  # reads on the standby (DATABASE_READ_URL)
    front: Nginx
    admin: str  # an admin's API token

    def node_of(self, line: dict) -> str:
        """Which node's answer nginx sent for an access-log line, 'a' or 'b' (the last it tried)."""
        last = line["upstream"].split(", ")[-1]
        return {urlsplit(self.a.base).netloc: "a", urlsplit(self.b.base).netloc: "b"}[last]


def _load_primary(primary: Server, catalog, demo_files) -> str:
    """The schema, the catalog and the demo health layer on the primary; returns an admin token."""
    conn = psycopg2.connect(primary.url())
    try:
        bring_up(conn, catalog)
        load_file(conn, catalog["health"], demo_files["health"], LoadOptions(area=AREA))
    finally:
        conn.close()
    return make_accounts(primary.url()).admin


@pytest.fixture(scope="module")
def topology(catalog, demo_files, tmp_path_factory):
    logs = tmp_path_factory.mktemp("topology")
    with servers() as s, ExitStack() as stack:
        primary = s.primary()
        admin = _load_primary(primary, catalog, demo_files)
        standby = s.standby(primary)
        primary.wait_replayed_by(standby)
        env = {"WORKERS": "1", "MAPSERVER_TRUSTED_PROXIES": TRUSTED_PROXIES,
               "MAPSERVER_RATELIMIT_WRITE_TOKEN": "1000 per minute",
               "MAPSERVER_RATELIMIT_WRITE_ADDRESS": "1000 per minute"}
        url = multi_host_url([primary, standby], target_session_attrs="read-write")
        a = stack.enter_context(gunicorn(url, logs / "a.log", **env))
        b = stack.enter_context(gunicorn(url, logs / "b.log", DATABASE_READ_URL=standby.url(), **env))
        front = stack.enter_context(nginx([a.base, b.base]))
        yield Topology(primary, standby, a, b, front, admin)


def _published_in_tilejson(base: str) -> int:
    """The health version a node's TileJSON (asked directly, not through the cache) hands out."""
    (template,) = requests.get(f"{base}/api/tiles/health.json", timeout=10).json()["tiles"]
    return int(template.split("/health/v")[1].split("/")[0])


def _wait_for_version(topo: Topology) -> None:
    """The standby has replayed what the primary committed; each node re-reads the catalog within
    VERSION_RECHECK_S (mapserver/web/state.py)."""
    topo.primary.wait_replayed_by(topo.standby)
    time.sleep(DEFAULTS["VERSION_RECHECK_S"] + 0.5)


def _client_backends(server: Server) -> int:
    return server.query("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                        "AND datname = 'mapserver' AND pid <> pg_backend_pid()")[0][0]


def _reads_through_front(topo: Topology, first_limit: int, count: int = 8) -> list[str]:
    """`count` reads through nginx, each a URL no earlier call asked for (none from the cache): the nodes that
    answered them."""
    uris = [f"/api/collections/health/items?limit={first_limit + i}" for i in range(count)]
    answers = [requests.get(f"{topo.front.base}{uri}", timeout=30) for uri in uris]
    lines = [topo.front.logged(uri)[0] for uri in uris]
    assert [r.status_code for r in answers] == [200] * count, lines  # each with the nodes tried and what they said
    assert [r.headers["X-Cache-Status"] for r in answers] == ["MISS"] * count
    return [topo.node_of(line) for line in lines]


def test_reads_through_nginx_reach_both_nodes_and_node_b_reads_the_standby(topology):
    assert set(_reads_through_front(topology, 1)) == {"a", "b"}
    assert topology.standby.in_recovery()
    assert _client_backends(topology.standby) > 0  # only node B has a reason to be connected there


def test_a_publish_on_the_primary_is_seen_through_both_nodes(topology, catalog, tmp_path):
    before = _published_in_tilejson(topology.a.base)
    conn = psycopg2.connect(topology.primary.url())
    report = load_file(conn, catalog["health"], health_geojson(tmp_path / "next.geojson", 40, "P"),
                       LoadOptions(area=AREA))
    conn.close()
    _wait_for_version(topology)
    assert report.version > before
    assert [_published_in_tilejson(n.base) for n in (topology.a, topology.b)] == [report.version] * 2

    z, x, y = tile_of(106.6, 10.75, 14)  # where the new version's points are
    path = f"/api/tiles/health/v{report.version}/{z}/{x}/{y}.mvt"
    direct = [requests.get(f"{n.base}{path}", timeout=30) for n in (topology.a, topology.b)]
    assert [r.status_code for r in direct] == [200, 200] and direct[0].content == direct[1].content
    assert requests.get(f"{topology.front.base}{path}", timeout=30).status_code == 200


def test_after_the_primary_stops_reads_go_on_and_writes_return_once_the_standby_is_promoted(topology):
    target = 1  # the first version, always kept (the second is published when the tests run in order)
    topology.primary.stop()
    # The standby alone, read-only: node B answers reads; through nginx, whatever node A says is retried on B.
    assert requests.get(f"{topology.b.base}/api/tiles/health.json", timeout=30).status_code == 200
    assert set(_reads_through_front(topology, 11)) == {"b"}

    topology.standby.promote()
    promoted_at = time.monotonic()
    statuses = []
    while time.monotonic() - promoted_at < FAILOVER_S:
        answer = requests.post(f"{topology.front.base}/api/layers/health/publish", headers=bearer(topology.admin),
                               json={"version": target}, timeout=30)
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            break
        time.sleep(0.5)
    assert statuses[-1] == 200, f"no write within {FAILOVER_S} s of the promotion: {statuses}"
    assert not topology.standby.in_recovery()

    time.sleep(DEFAULTS["VERSION_RECHECK_S"] + 0.5)
    assert [_published_in_tilejson(n.base) for n in (topology.a, topology.b)] == [target] * 2

    # nginx left node A out after its failures; it tries it again after fail_timeout, with no reload.
    answered, first_limit = set(), 21
    deadline = time.monotonic() + FAIL_TIMEOUT_S + 5
    while answered != {"a", "b"} and time.monotonic() < deadline:
        answered |= set(_reads_through_front(topology, first_limit, count=2))
        first_limit += 2
        time.sleep(0.5)
    assert answered == {"a", "b"}
