"""Journey planning on the demo city: 500 random journeys and `reachable` within 30 minutes, timed in-process
(the planner on arrays already held) and over HTTP (gunicorn as `make run` starts it, one client at a time,
so each figure is one citizen's wait). Targets: a journey's median <= 20 ms and p95 <= 60 ms; reachable
<= 100 ms. Also printed: how long a process takes to read the network, and the memory it holds per process.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import psycopg2
import requests
from psycopg2 import sql

from common.settings import DEFAULTS
from etl.demo import generate_demo_city
from etl.demo.generate import FEED_FILE
from etl.load import table_ident
from etl.pipeline import LoadOptions, load_file
from etl.schema import bring_up
from etl.timetable import NETWORK, load_feed
from layers import load_catalog
from mapserver.journeys import planner
from mapserver.journeys.days import DAYS_CACHED, build_day
from mapserver.journeys.network import load_network
from mapserver.web.catalog import published
from tests import pg
from tests.serving import gunicorn

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = int(os.environ.get("BENCH_JOURNEYS", 500))
REACHABLE = 100
DAY = date(2026, 12, 3)  # a Thursday
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TARGETS = {"journey median": 20.0, "journey p95": 60.0, "reachable median": 100.0}


def _load(url: str, workdir: Path) -> str:
    name = pg.create_database(url, "mapserver_bench_journeys")
    dsn = pg.dsn_for(url, name)
    files = generate_demo_city(workdir)
    conn = psycopg2.connect(dsn)
    try:
        catalog = load_catalog()
        bring_up(conn, catalog)
        options = LoadOptions(area=DEFAULTS["AREA_BBOX"], progress=False)
        load_file(conn, catalog["health"], files["health"], options)
        started = time.monotonic()
        report = load_feed(conn, workdir / FEED_FILE, options)
        print(f"timetable: {report.rows_loaded:,} rows of the feed loaded and published in "
              f"{time.monotonic() - started:.1f} s", flush=True)
    finally:
        conn.close()
    return dsn


def _queries(network, n: int, seed: int = 17) -> list[tuple[planner.Place, planner.Place, int]]:
    """Random journeys between places up to 300 m off random stops, leaving between 06:00 and 20:00."""
    rng = np.random.default_rng(seed)
    stops = rng.integers(0, len(network.stop_ids), (n, 2))
    jitter = rng.normal(0, 0.0015, (n, 4))
    departs = rng.integers(6 * 3600, 20 * 3600, n)
    return [(planner.Place(float(network.lon[a] + j[0]), float(network.lat[a] + j[1])),
             planner.Place(float(network.lon[b] + j[2]), float(network.lat[b] + j[3])), int(t))
            for (a, b), j, t in zip(stops, jitter, departs, strict=True)]


def _figures(name: str, seconds: list[float], target: str | None = None) -> None:
    ms = np.array(seconds) * 1000
    line = f"{name:<34} median {np.median(ms):7.2f} ms   p95 {np.percentile(ms, 95):7.2f} ms   " \
           f"max {ms.max():7.1f} ms   (n={len(ms)})"
    for key in (target,) if target else ():
        for stat, value in (("median", np.median(ms)), ("p95", np.percentile(ms, 95))):
            goal = TARGETS.get(f"{key} {stat}")
            if goal is not None:
                line += f"  {stat} {'meets' if value <= goal else 'MISSES'} <= {goal:.0f} ms"
    print(line, flush=True)


def _timed(calls) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def in_process(dsn: str) -> list:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT published_version FROM mapserver.networks WHERE slug = %s", (NETWORK,))
            started = time.perf_counter()
            network = load_network(cur, NETWORK, cur.fetchone()[0])
            read_s = time.perf_counter() - started
            cur.execute(sql.SQL("SELECT ST_X(geom), ST_Y(geom) FROM {} WHERE kind = 'vaccination'").format(
                table_ident(published(cur, "health").table_name)))
            points = np.array(cur.fetchall())
    finally:
        conn.close()
    started = time.perf_counter()
    day = build_day(network, DAY)
    print(f"network: {len(network.stop_ids):,} stops, {len(network.patterns):,} patterns, {len(network.trip_ids):,} "
          f"trips; read in {read_s * 1000:.0f} ms, {network.nbytes() / 1e6:.1f} MB of arrays; one day's table "
          f"built in {(time.perf_counter() - started) * 1000:.0f} ms, {day.nbytes() / 1e6:.1f} MB "
          f"(a process keeps {DAYS_CACHED} days)", flush=True)
    queries = _queries(network, JOURNEYS)
    walking = planner.Walking()
    found = []
    seconds = _timed(lambda q=q: found.append(planner.journeys(network, day, q[0], q[1], q[2], walking))
                     for q in queries)
    rides = sum(any(it.rides for it in f) for f in found)
    _figures("journey, in-process", seconds, "journey")
    print(f"  {rides} of {len(found)} journeys ride something; {sum(not f for f in found)} found nothing", flush=True)
    lon, lat = points[:, 0], points[:, 1]
    seconds = _timed(lambda q=q: planner.soonest(network, day, q[0], lon, lat, q[2], walking)
                     for q in queries[:REACHABLE])
    _figures(f"reachable ({len(lon)} places), in-process", seconds, "reachable")
    return queries


def _when(seconds: int) -> str:
    return (datetime.combine(DAY, clock(0), ZONE) + timedelta(seconds=seconds)).isoformat()


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(c) for c in children]


def over_http(dsn: str, queries: list) -> None:
    with gunicorn(dsn) as server:
        session = requests.Session()
        before = {pid: _rss_kb(pid) for pid in _workers(server.proc.pid)}

        def journey(q):
            r = session.get(f"{server.base}/api/journeys", params={
                "from": f"{q[0].lon},{q[0].lat}", "to": f"{q[1].lon},{q[1].lat}", "depart": _when(q[2])}, timeout=60)
            assert r.status_code == 200, r.text

        def reachable(q):
            r = session.get(f"{server.base}/api/reachable", params={
                "from": f"{q[0].lon},{q[0].lat}", "depart": _when(q[2]), "minutes": 30, "layer": "health",
                "kind": "vaccination"}, timeout=60)
            assert r.status_code == 200, r.text

        for q in queries[:20]:  # every worker reads the network and builds the day before timing
            journey(q)
        seconds = _timed(lambda q=q: journey(q) for q in queries)
        _figures("journey, HTTP", seconds, "journey")
        seconds = _timed(lambda q=q: reachable(q) for q in queries[:REACHABLE])
        _figures("reachable 30 min, HTTP", seconds, "reachable")
        after = {pid: _rss_kb(pid) for pid in _workers(server.proc.pid)}
        for pid in sorted(after):
            grown = (after[pid] - before.get(pid, 0)) / 1024
            print(f"  worker {pid}: resident {after[pid] / 1024:.0f} MB, {grown:+.0f} "
                  "MB since before its first journey", flush=True)


def main() -> None:
    url = os.environ.get("DATABASE_URL") or pg.server_url()
    print(f"bench_journeys: demo city, {JOURNEYS} random journeys on {DAY}, one client at a time", flush=True)
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as workdir:
        dsn = _load(url, Path(workdir))
        try:
            queries = in_process(dsn)
            over_http(dsn, queries)
        finally:
            pg.drop_database(url, pg.current_dbname(dsn))
