"""GET /readyz: ready while the read database answers and, on a replica, is not too far behind; 503 naming
the check that failed; /healthz keeps saying only whether the process answers."""

from __future__ import annotations

import time

import psycopg2
import pytest
import requests

from common.migrations import apply_migrations
from mapserver import create_app
from tests import pg
from tests.cluster.standby import servers
from tests.serving import gunicorn, serving


def _readyz(base: str, **headers: str) -> requests.Response:
    r = requests.get(f"{base}/readyz", headers=headers, timeout=30)
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Content-Type"] == "application/json"
    return r


def test_ready_on_a_primary(server):
    r = _readyz(server)
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "failed": None, "database": "up", "replica": False, "replica_lag_s": 0.0,
                        "max_replica_lag_s": 30.0}


def test_not_ready_when_the_lag_is_not_below_the_limit(db_url):
    with serving(create_app({"DATABASE_URL": db_url, "MAX_REPLICA_LAG_S": -1})) as base:
        r = _readyz(base)
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable" and body["failed"] == "replica_lag" and body["database"] == "up"
    assert body["max_replica_lag_s"] == -1


@pytest.fixture
def own_cluster(tmp_path):
    """A migrated cluster of its own, which the test may stop and start."""
    with pg.throwaway_cluster() as cluster:
        conn = psycopg2.connect(cluster("url"))
        apply_migrations(conn)
        conn.close()
        yield cluster


def test_not_ready_while_the_database_is_down_and_ready_again(own_cluster, tmp_path):
    log = tmp_path / "gunicorn.log"
    with gunicorn(own_cluster("url"), log=log, WORKERS="1") as server:
        assert _readyz(server.base).status_code == 200
        own_cluster("stop")
        down = _readyz(server.base, **{"X-Request-ID": "readiness-probe-7"})
        assert down.status_code == 503 and down.headers["X-Request-ID"] == "readiness-probe-7"
        assert down.json() == {"status": "unavailable", "failed": "database", "database": "down"}
        assert requests.get(f"{server.base}/healthz", timeout=30).status_code == 503  # as before /readyz
        own_cluster("start")
        assert _readyz(server.base).status_code == 200
    # The app's own lines name the request they were written for.
    assert "[readiness-probe-7]: database unavailable" in log.read_text()


def _received_by(standby, primary) -> None:
    """Until `standby` has received (not necessarily replayed) all the WAL `primary` has written."""
    lsn = primary.query("SELECT pg_current_wal_lsn()::text")[0][0]
    for _ in range(600):
        if standby.query("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", (lsn,))[0][0]:
            return
        time.sleep(0.05)
    raise TimeoutError("the standby received nothing")


def test_a_replica_is_ready_while_it_keeps_up_and_not_when_its_replay_falls_behind():
    with servers() as found:
        primary = found.primary()
        standby = found.standby(primary)
        primary.query("CREATE TABLE replayed ()")
        primary.wait_replayed_by(standby)
        app = create_app({"DATABASE_URL": primary.url(), "DATABASE_READ_URL": standby.url(), "MAX_REPLICA_LAG_S": 1})
        with serving(app) as base:
            caught_up = _readyz(base)
            assert caught_up.status_code == 200
            assert caught_up.json()["replica"] is True
            standby.query("SELECT pg_wal_replay_pause()")
            time.sleep(1.2)  # whatever the standby replayed last is now older than the limit
            primary.query("CREATE TABLE waiting ()")
            _received_by(standby, primary)
            behind = _readyz(base)
            assert behind.status_code == 503
            assert behind.json()["failed"] == "replica_lag" and behind.json()["replica_lag_s"] >= 1.2
            standby.query("SELECT pg_wal_replay_resume()")
            primary.wait_replayed_by(standby)
            assert _readyz(base).status_code == 200
