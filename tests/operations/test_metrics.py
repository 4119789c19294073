"""GET /metrics under gunicorn as `make run` serves it: two workers' counts added up (prometheus_client's
multi-process mode), latency buckets, the pools, the job queue read from the database; a dead worker's
gauges dropped and its counts kept; the folder of each run; who may scrape."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector

from mapserver import create_app
from mapserver.operations.exposition import written_files
from mapserver.operations.metrics import LATENCY_BUCKETS
from tests import pg
from tests.operations.scrape import parse, scrape, value
from tests.serving import ROOT, gunicorn, serving

ROUTE, MISSING = "/api/collections", "/api/collections/<collectionId>"
COUNTER = "mapserver_http_requests_total"
JOBS = """
INSERT INTO mapserver.jobs (layer_slug, file_path, source_name, created_by, state, created_at, started_at, finished_at)
VALUES ('health', 'f', 'a.csv', 'test', 'queued', now() - interval '10 minutes', NULL, NULL),
       ('health', 'f', 'b.csv', 'test', 'queued', now(), NULL, NULL),
       ('education', 'f', 'c.csv', 'test', 'running', now(), now(), NULL),
       ('health', 'f', 'd.csv', 'test', 'done', now(), now() - interval '3 s', now()),
       ('health', 'f', 'e.csv', 'test', 'done', now(), now() - interval '40 s', now()),
       ('health', 'f', 'g.csv', 'test', 'done', now(), now() - interval '700 s', now()),
       ('education', 'f', 'h.csv', 'test', 'done', now(), now() - interval '2 s', now()),
       ('education', 'f', 'i.csv', 'test', 'failed', now(), now() - interval '1 s', now())
"""


@pytest.fixture(scope="module")
def jobs_db(template_db):
    """A clone of the template with upload jobs in every state, and loads of known durations."""
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_test", template=template_db[0])
    dsn = pg.dsn_for(url, name)
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute(JOBS)
    conn.close()
    yield dsn
    pg.drop_database(url, name)


def _leave_counts_of_a_previous_run(folder: Path) -> None:
    """What a run that was killed leaves in the operator's folder: counts of its own."""
    code = ("from mapserver.operations.metrics import REQUESTS\n"
            "REQUESTS.labels('/from-a-previous-run', 'GET', '200').inc(1000)\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                   env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)})


@pytest.fixture(scope="module")
def two_workers(jobs_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prometheus")
    _leave_counts_of_a_previous_run(folder)
    assert list(folder.glob("counter_*.db"))
    with gunicorn(jobs_db, WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(folder)) as server:
        yield server, folder


def per_process(folder: Path, name: str, **labels: str) -> dict[int, float]:
    """One sample's value in each process's own files."""
    by_pid = defaultdict(list)
    for path in written_files(folder):
        by_pid[int(Path(path).stem.rsplit("_", 1)[1])].append(path)
    values = {}
    for pid, files in by_pid.items():
        samples = {(s.name, frozenset(s.labels.items())): s.value
                   for metric in MultiProcessCollector.merge(files) for s in metric.samples}
        values[pid] = value(samples, name, default=0.0, **labels)
    return values


def _get_many(base: str, path: str, count: int) -> list[int]:
    """`count` requests, each on a connection of its own, 16 at a time: gunicorn hands them to both workers."""
    def one(_):
        return requests.get(f"{base}{path}", timeout=30).status_code
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(count)))


def _until_both_workers_answered(base: str, folder: Path, path: str, labels: dict) -> int:
    """Requests until each of the two workers has answered some; returns how many were sent."""
    sent = 0
    for _ in range(50):
        statuses = _get_many(base, path, 32)
        sent += len(statuses)
        served = [n for n in per_process(folder, COUNTER, **labels).values() if n > 0]
        if len(served) >= 2:
            return sent
    raise AssertionError("one worker answered every request")


def test_a_previous_run_s_counts_are_gone(two_workers):
    server, folder = two_workers
    samples = scrape(server.base)
    assert value(samples, COUNTER, default=None, route="/from-a-previous-run", method="GET", status="200") is None


def test_requests_are_counted_by_route_and_status_over_both_workers(two_workers):
    server, folder = two_workers
    ok = {"route": ROUTE, "method": "GET", "status": "200"}
    missing = {"route": MISSING, "method": "GET", "status": "404"}
    before = scrape(server.base)
    sent = _until_both_workers_answered(server.base, folder, ROUTE, ok)
    assert set(_get_many(server.base, "/api/collections/no_such_layer", 10)) == {404}
    after = scrape(server.base)
    assert value(after, COUNTER, **ok) - value(before, COUNTER, default=0.0, **ok) == sent
    assert value(after, COUNTER, **missing) - value(before, COUNTER, default=0.0, **missing) == 10
    assert sum(per_process(folder, COUNTER, **ok).values()) == value(after, COUNTER, **ok)


def test_a_scrape_while_a_worker_creates_its_file_still_answers(two_workers):
    server, folder = two_workers
    being_born = folder / "histogram_999999999.db"  # opened, not yet sized: what a starting worker leaves
    being_born.touch()
    try:
        samples = scrape(server.base)
    finally:
        being_born.unlink()
    assert value(samples, COUNTER, route="/healthz", method="GET", status="200", default=None) is not None


def test_latency_is_a_histogram_per_route(two_workers):
    server, _ = two_workers
    _get_many(server.base, ROUTE, 5)
    samples = scrape(server.base)
    name = "mapserver_http_request_duration_seconds"
    buckets = [value(samples, f"{name}_bucket", route=ROUTE, le=str(bound)) for bound in LATENCY_BUCKETS]
    total = value(samples, f"{name}_bucket", route=ROUTE, le="+Inf")
    assert buckets == sorted(buckets) and buckets[-1] <= total
    assert total == value(samples, f"{name}_count", route=ROUTE) == value(samples, COUNTER, route=ROUTE,
                                                                           method="GET", status="200")
    assert value(samples, f"{name}_sum", route=ROUTE) > 0


def test_the_pools_are_counted_over_the_live_workers(two_workers):
    server, _ = two_workers
    samples = scrape(server.base)
    assert value(samples, "mapserver_db_pool_max_connections", pool="pool") == 2 * 8
    assert value(samples, "mapserver_db_pool_connections_in_use", pool="pool") == 1  # the scrape's own
    assert value(samples, "mapserver_db_pool_waiting", pool="pool") == 0
    assert value(samples, "mapserver_db_pool_refused_total", pool="pool") == 0


def test_the_job_queue_and_load_durations_come_from_the_database(two_workers):
    server, _ = two_workers
    samples = scrape(server.base)
    assert value(samples, "mapserver_database_up") == 1
    states = {state: value(samples, "mapserver_jobs", state=state)
              for state in ("queued", "running", "needs_mapping", "done", "failed")}
    assert states == {"queued": 2, "running": 1, "needs_mapping": 0, "done": 4, "failed": 1}
    assert value(samples, "mapserver_jobs_oldest_queued_seconds") >= 600
    name = "mapserver_job_load_duration_seconds"
    health = {le: value(samples, f"{name}_bucket", layer="health", le=le) for le in ("1.0", "5.0", "60.0", "600.0",
                                                                                        "1800.0", "+Inf")}
    assert health == {"1.0": 0, "5.0": 1, "60.0": 2, "600.0": 2, "1800.0": 3, "+Inf": 3}
    assert value(samples, f"{name}_count", layer="health") == 3
    assert value(samples, f"{name}_sum", layer="health") == pytest.approx(743)
    assert value(samples, f"{name}_count", layer="education") == 1


def _gauge_files(folder: Path) -> set[Path]:
    return set(folder.glob("gauge_livesum_*.db"))


def test_a_dead_worker_s_gauges_go_and_its_counts_stay(db_url, tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    labels = {"route": ROUTE, "method": "GET", "status": "200"}
    with gunicorn(db_url, WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(folder)) as server:
        sent = _until_both_workers_answered(server.base, folder, ROUTE, labels)
        assert len(_gauge_files(folder)) == 2
        os.kill(server.proc.pid, signal.SIGTTOU)  # one worker fewer: gunicorn stops one, child_exit runs
        for _ in range(300):
            if len(_gauge_files(folder)) == 1:
                break
            time.sleep(0.1)
        samples = scrape(server.base)
        assert len(_gauge_files(folder)) == 1
        assert value(samples, COUNTER, **labels) == sent
        assert value(samples, "mapserver_db_pool_max_connections", pool="pool") == 8


def test_each_run_without_a_folder_of_the_operator_s_gets_its_own(db_url):
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    runs = ROOT / "var" / "metrics"
    stale = runs / "gunicorn-999999999"  # a run whose master was killed (no such process can exist)
    stale.mkdir(parents=True, exist_ok=True)
    with gunicorn(db_url, WORKERS="2") as server:
        own = runs / f"gunicorn-{server.proc.pid}"
        assert own.is_dir() and list(own.glob("counter_*.db"))
        assert not stale.exists()
        samples = scrape(server.base)
        assert value(samples, COUNTER, route="/healthz", method="GET", status="200") >= 1
    assert not own.exists()


@pytest.fixture(scope="module")
def behind_nginx(db_url):
    """A node whose proxy is on this machine (its X-Forwarded-For is believed)."""
    with serving(create_app({"DATABASE_URL": db_url, "TRUSTED_PROXIES": ["127.0.0.1/32"]})) as base:
        yield base


def _metrics_status(base: str, **headers: str) -> int:
    return requests.get(f"{base}/metrics", headers=headers, timeout=30).status_code


def test_metrics_are_refused_to_an_internet_client_behind_the_proxy(behind_nginx):
    r = requests.get(f"{behind_nginx}/metrics", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30)
    assert r.status_code == 404 and r.json()["code"] == "NotFound" and "mapserver_" not in r.text
    assert _metrics_status(behind_nginx, **{"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}) == 404
    assert _metrics_status(behind_nginx, **{"X-Forwarded-For": "10.1.2.3"}) == 200
    assert _metrics_status(behind_nginx) == 200  # the proxy's machine itself


def test_without_trusted_proxies_a_forwarded_request_is_refused(server):
    """An nginx in front that nobody declared: every request comes from its (private) address, so the
    forwarding header is what gives the Internet away."""
    assert _metrics_status(server) == 200
    assert _metrics_status(server, **{"X-Forwarded-For": "10.1.2.3"}) == 404
    assert _metrics_status(server, **{"X-Real-IP": "10.1.2.3"}) == 404


def test_metrics_allow_narrows_who_may_scrape(db_url):
    with serving(create_app({"DATABASE_URL": db_url, "METRICS_ALLOW": "192.0.2.0/24"})) as base:
        assert _metrics_status(base) == 404


def test_metrics_in_one_process_have_the_same_names(server):
    """The development server and the tests' own: one process, the default registry."""
    requests.get(f"{server}{ROUTE}", timeout=30)
    # A request is counted as its answer closes, which the client may see after its body: scrape until it is.
    deadline = time.monotonic() + 10
    while True:
        samples = parse(requests.get(f"{server}/metrics", timeout=30).text)
        counted = value(samples, COUNTER, default=0, route=ROUTE, method="GET", status="200")
        if counted >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert counted >= 1
    assert value(samples, "mapserver_jobs", state="queued") == 0


def test_tile_cache_hits_and_misses_are_counted(two_workers):
    server, _ = two_workers
    tile = "/api/tiles/health/14/13045/7686.mvt"  # central Ho Chi Minh City
    before = scrape(server.base)
    assert requests.get(f"{server.base}{tile}", timeout=30).status_code in (200, 204)
    for _ in range(3):  # whichever worker answers, the cache is the database's: hits from here on
        assert requests.get(f"{server.base}{tile}", timeout=30).status_code in (200, 204)
    after = scrape(server.base)
    counted = {result: value(after, "mapserver_tile_cache_lookups_total", default=0.0, result=result)
               - value(before, "mapserver_tile_cache_lookups_total", default=0.0, result=result)
               for result in ("hit", "miss")}
    assert counted == {"miss": 1, "hit": 3}
