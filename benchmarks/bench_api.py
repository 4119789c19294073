"""Read API under load: items in ~2 km boxes and nearest-5 with a kind filter on a 1,000,000-point layer.

The app runs under gunicorn exactly as `make run` starts it; 8 concurrent clients for a fixed time.
The floor is the same SQL statement (built by the same query functions) sent straight to PostGIS
through psycopg2 by 8 threads, in the same run. Targets: items >= 70 % of the floor, nearest >= 50 %.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import psycopg2
import requests

from etl.pipeline import LoadOptions, load_file
from layers import load_catalog
from mapserver.catalog import published
from mapserver.config import DEFAULTS
from mapserver.migrations import apply_migrations, sync_catalog
from mapserver.query.features import ItemsQuery, items_params, items_statement
from mapserver.query.proximity import Target, nearest_statement
from tests import pg

ROOT = Path(__file__).resolve().parent.parent
FEATURES = int(os.environ.get("BENCH_FEATURES", 1_000_000))
SECONDS = float(os.environ.get("BENCH_SECONDS", 15))
CLIENTS = 8
WORKERS = os.environ.get("WORKERS", "2")
KINDS = ("hospital", "clinic", "commune_health_station", "vaccination", "pharmacy")
HALF_BOX = (0.00915, 0.009)  # ~2 km x 2 km at 10.8 degrees N
LINKS = [{"href": "http://127.0.0.1/api/collections/health/items", "rel": "self", "type": "application/geo+json"}]


def write_points(path: Path, n: int, area: tuple[float, float, float, float], seed: int = 5) -> None:
    """n health points spread over the deployment's area, every fifth a vaccination point."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "id": [f"B{i:07d}" for i in range(n)],
        "name": [f"Điểm y tế {i}" for i in range(n)],
        "kind": np.array(KINDS)[np.arange(n) % len(KINDS)],
        "lon": rng.uniform(area[0] + 0.01, area[2] - 0.01, n).round(6),
        "lat": rng.uniform(area[1] + 0.01, area[3] - 0.01, n).round(6),
    })
    frame.to_csv(path, index=False)


def load_bench_db(url: str, workdir: Path) -> str:
    name = pg.create_database(url, "mapserver_bench")
    dsn = pg.dsn_for(url, name)
    csv = workdir / "health_1m.csv"
    t0 = time.monotonic()
    write_points(csv, FEATURES, DEFAULTS["AREA_BBOX"])
    conn = psycopg2.connect(dsn)
    try:
        apply_migrations(conn)
        catalog = load_catalog()
        sync_catalog(conn, catalog)
        report = load_file(conn, catalog["health"], csv, LoadOptions(area=DEFAULTS["AREA_BBOX"], progress=False))
    finally:
        conn.close()
    print(f"loaded {report.rows_loaded:,} points through the ETL in {time.monotonic() - t0:.0f} s", flush=True)
    return dsn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(dsn: str, port: int) -> subprocess.Popen:
    """The same command line as `make run`."""
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", WORKERS, "--bind", f"127.0.0.1:{port}",
         "mapserver:create_app()"], cwd=ROOT, env={**os.environ, "DATABASE_URL": dsn},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def boxes(rng) -> tuple[float, float, float, float]:
    area = DEFAULTS["AREA_BBOX"]
    lon, lat = rng.uniform(area[0] + 0.05, area[2] - 0.05), rng.uniform(area[1] + 0.05, area[3] - 0.05)
    return (round(lon - HALF_BOX[0], 6), round(lat - HALF_BOX[1], 6), round(lon + HALF_BOX[0], 6),
            round(lat + HALF_BOX[1], 6))


def place(rng) -> tuple[float, float]:
    area = DEFAULTS["AREA_BBOX"]
    return round(rng.uniform(area[0] + 0.05, area[2] - 0.05), 6), round(rng.uniform(area[1] + 0.05, area[3] - 0.05), 6)


def hammer(make_worker: Callable[[int], Callable[[], None]]) -> tuple[float, list[float]]:
    """CLIENTS threads call their worker until SECONDS pass; returns (requests/s, latencies in ms)."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    stop = time.monotonic() + SECONDS

    def run(i: int) -> None:
        call = make_worker(i)
        while time.monotonic() < stop:
            t = time.perf_counter()
            call()
            latencies[i].append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [x for lat in latencies for x in lat]
    return len(flat) / (time.monotonic() - started), flat


def http_worker(port: int, kind: str) -> Callable[[int], Callable[[], None]]:
    """A light client (http.client: the server's CPU, not the client's, should set the pace), gzip accepted."""
    def make(i: int) -> Callable[[], None]:
        rng = np.random.default_rng(100 + i)

        def call() -> None:
            if kind == "items":
                path = "/api/collections/health/items?" + urlencode(
                    {"bbox": ",".join(map(str, boxes(rng))), "limit": 100})
            else:
                lon, lat = place(rng)
                path = "/api/nearest?" + urlencode(
                    {"layer": "health", "lon": lon, "lat": lat, "limit": 5, "kind": "vaccination"})
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            response_body = response.read()
            conn.close()
            if response.status != 200 or not response_body:
                raise RuntimeError(f"{path}: HTTP {response.status}")

        return call

    return make


def sql_worker(dsn: str, kind: str) -> Callable[[int], Callable[[], None]]:
    """The floor: the app's own statement text, composed once, bound and executed per call."""
    layer = load_catalog()["health"]

    def make(i: int) -> Callable[[], None]:
        conn, rng = psycopg2.connect(dsn), np.random.default_rng(100 + i)
        conn.autocommit = True
        cur = conn.cursor()
        pub = published(cur, "health")
        target = Target(layer, pub, {"kind": "vaccination"})
        first = ItemsQuery(limit=100, bbox=boxes(rng), properties=layer.field_names)
        text = (items_statement(layer, pub.table_name, first) if kind == "items"
                else nearest_statement(target, False)).as_string(conn)

        def call() -> None:
            if kind == "items":
                query = ItemsQuery(limit=100, bbox=boxes(rng), properties=layer.field_names)
                params = items_params(pub, query, LINKS, LINKS[0])
            else:
                lon, lat = place(rng)
                params = {**target.params(), "lon": lon, "lat": lat, "limit": 5}
            cur.execute(text, params)
            cur.fetchone()

        return call

    return make


def summary(name: str, rate: float, lat: list[float], floor: float | None = None) -> str:
    q = statistics.quantiles(lat, n=100)
    ratio = f"{rate / floor:6.0%} of floor" if floor else ""
    return f"{name:<22} {rate:8.1f} req/s   p50 {q[49]:7.1f} ms   p99 {q[98]:7.1f} ms   {ratio}"


def main() -> None:
    url = os.environ.get("DATABASE_URL") or pg.server_url()
    print(f"bench_api: {FEATURES:,} points, {CLIENTS} concurrent clients, {SECONDS:.0f} s per measure, "
          f"gunicorn --workers {WORKERS}", flush=True)
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as workdir:
        dsn = load_bench_db(url, Path(workdir))
    proc = None
    try:
        port = free_port()
        proc = start_gunicorn(dsn, port)
        targets = {"items": 0.70, "nearest": 0.50}
        for kind, target in targets.items():
            hammer(http_worker(port, kind)) if SECONDS > 0 else None  # warm both sides' caches
            floor_rate, floor_lat = hammer(sql_worker(dsn, kind))
            app_rate, app_lat = hammer(http_worker(port, kind))
            print(summary(f"{kind} psycopg2 (floor)", floor_rate, floor_lat), flush=True)
            verdict = "meets" if app_rate >= target * floor_rate else "MISSES"
            print(summary(f"{kind} HTTP", app_rate, app_lat, floor_rate) + f"  ({verdict} target {target:.0%})",
                  flush=True)
    finally:
        if proc:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        pg.drop_database(url, pg.current_dbname(dsn))
