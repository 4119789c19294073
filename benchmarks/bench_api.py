"""Read API under load: items in ~2 km boxes and nearest-5 with a kind filter on a 1,000,000-point layer.

The app runs under gunicorn exactly as `make run` starts it (gunicorn.conf.py); 8 concurrent
connections from wrk for a fixed time.
The floor is the same SQL statement (built by the same query functions) sent straight to PostGIS
through psycopg2 by 8 threads, in the same run. Targets: items >= 70 % of the floor, nearest >= 50 %.
Each side runs in ROUNDS short rounds taken in turn (floor, HTTP, prepared floor, again), and each
prints its median round: on a shared machine a burst of someone else's load then lands on one round
of one side instead of deciding the ratio.
The app prepares its statements (mapserver.web.compiled), so a second floor prepares them too and
the ratio to it is printed beside: the app's overhead measured against the best the database does.
"""

from __future__ import annotations

import os
import re
import runpy
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
from psycopg2 import sql

from common.migrations import apply_migrations, sync_catalog
from common.settings import DEFAULTS
from etl.load import table_ident
from etl.pipeline import LoadOptions, load_file
from layers import load_catalog
from mapserver.features.query.features import ItemsQuery, items_params, items_plan, items_statement
from mapserver.features.query.proximity import PLAN as NEAREST_PLAN
from mapserver.features.query.proximity import Target, nearest_statement
from mapserver.web.catalog import published
from mapserver.web.compiled import Compiled
from tests import pg
from tests.serving import gunicorn

ROOT = Path(__file__).resolve().parent.parent
FEATURES = int(os.environ.get("BENCH_FEATURES", 1_000_000))
SECONDS = float(os.environ.get("BENCH_SECONDS", 15))  # per side, split into ROUNDS
ROUNDS = 3
CLIENTS = 8
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
        _vacuum(conn, published(conn.cursor(), "health").table_name)
    finally:
        conn.close()
    print(f"loaded {report.rows_loaded:,} points through the ETL in {time.monotonic() - t0:.0f} s", flush=True)
    return dsn


def _vacuum(conn, table_name: str) -> None:
    """What autovacuum does to a freshly loaded table within the minute (PostgreSQL 13+ vacuums after
    inserts): done now, so that its pass does not land in some rounds of one side."""
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("VACUUM (ANALYZE) {}").format(table_ident(table_name)))


def boxes(rng) -> tuple[float, float, float, float]:
    area = DEFAULTS["AREA_BBOX"]
    lon, lat = rng.uniform(area[0] + 0.05, area[2] - 0.05), rng.uniform(area[1] + 0.05, area[3] - 0.05)
    return (round(lon - HALF_BOX[0], 6), round(lat - HALF_BOX[1], 6), round(lon + HALF_BOX[0], 6),
            round(lat + HALF_BOX[1], 6))


def place(rng) -> tuple[float, float]:
    area = DEFAULTS["AREA_BBOX"]
    return round(rng.uniform(area[0] + 0.05, area[2] - 0.05), 6), round(rng.uniform(area[1] + 0.05, area[3] - 0.05), 6)


def hammer(make_worker: Callable[[int], Callable[[], None]], seconds: float) -> tuple[float, dict[str, float]]:
    """CLIENTS threads call their worker for `seconds`; returns (requests/s, {"p50", "p99"} in ms)."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    stop = time.monotonic() + seconds

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
    return len(flat) / (time.monotonic() - started), percentiles(flat)


# wrk (C, keep-alive) drives the HTTP side, so the load generator does not take the CPU the server needs;
# each request draws a fresh box or place, as the floor's threads do.
WRK_SCRIPT = """
local area = {%(area)s}
local half = {%(half)s}
local kind = "%(kind)s"
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args) math.randomseed(100 + seed) end
local function uniform(lo, hi) return lo + math.random() * (hi - lo) end
request = function()
  local lon, lat = uniform(area[1] + 0.05, area[3] - 0.05), uniform(area[2] + 0.05, area[4] - 0.05)
  local path
  if kind == "items" then
    path = string.format("/api/collections/health/items?bbox=%%.6f,%%.6f,%%.6f,%%.6f&limit=100",
                         lon - half[1], lat - half[2], lon + half[1], lat + half[2])
  else
    path = string.format("/api/nearest?layer=health&lon=%%.6f&lat=%%.6f&limit=5&kind=vaccination", lon, lat)
  end
  return wrk.format("GET", path, {["Accept-Encoding"] = "gzip"})
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def http_load(base: str, kind: str, workdir: Path, seconds: float) -> tuple[float, dict[str, float]]:
    """(requests/s, {"p50", "p99"} in ms) from one wrk run of `seconds` with CLIENTS connections."""
    script = workdir / f"{kind}.lua"
    area = DEFAULTS["AREA_BBOX"]
    script.write_text(WRK_SCRIPT % {"area": ", ".join(map(str, area)), "half": ", ".join(map(str, HALF_BOX)),
                                    "kind": kind})
    out = subprocess.run(["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{seconds:.0f}s", "--latency",
                          "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    found = re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)
    quantiles = {f"p{q}": float(v) * _UNITS[u] for q, v, u in found}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if errors:
        raise RuntimeError(f"{kind}: {errors.group(1)} answers were not 2xx")
    return rate, quantiles


def sql_worker(dsn: str, kind: str, prepared: bool = False) -> Callable[[int], Callable[[], None]]:
    """The floor: the app's own statement text, composed once, bound and executed per call; `prepared`,
    the same statement prepared once per connection and planned as the app plans it (mapserver.web.db.ONCE
    or PER_CALL; no JIT, as in the app's sessions)."""
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
        if prepared:
            compiled = Compiled.from_text(text)
            plan = items_plan(pub, first) if kind == "items" else NEAREST_PLAN
            cur.execute(f"SET jit = off; SET plan_cache_mode = {plan}")
            cur.execute(compiled.prepare)
            text = compiled.execute

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


Measure = tuple[float, dict[str, float]]


def in_turn(*sides: Callable[[], Measure]) -> list[Measure]:
    """Each side's median round (by rate) of ROUNDS, the sides measured in turn within each round."""
    runs: list[list[Measure]] = [[] for _ in sides]
    for _ in range(ROUNDS):
        for side, measure in zip(runs, sides, strict=True):
            side.append(measure())
    return [sorted(side, key=lambda m: m[0])[len(side) // 2] for side in runs]


def percentiles(latencies: list[float]) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    return {"p50": q[49], "p99": q[98]}


def summary(name: str, rate: float, q: dict[str, float], floor: float | None = None) -> str:
    ratio = f"{rate / floor:6.0%} of floor" if floor else ""
    return f"{name:<22} {rate:8.1f} req/s   p50 {q['p50']:7.1f} ms   p99 {q['p99']:7.1f} ms   {ratio}"


def compare(dsn: str, base: str, workdir: Path, kind: str, target: float) -> None:
    seconds = SECONDS / ROUNDS
    http_load(base, kind, workdir, seconds)  # warm both sides' caches
    floor, app, prepared = in_turn(
        lambda: hammer(sql_worker(dsn, kind), seconds),
        lambda: http_load(base, kind, workdir, seconds),
        lambda: hammer(sql_worker(dsn, kind, prepared=True), seconds))
    print(summary(f"{kind} psycopg2 (floor)", *floor), flush=True)
    verdict = "meets" if app[0] >= target * floor[0] else "MISSES"
    print(summary(f"{kind} HTTP", *app, floor[0]) + f"  ({verdict} target {target:.0%})", flush=True)
    print(summary(f"{kind} psycopg2 prepared", *prepared) + f"  (HTTP is {app[0] / prepared[0]:.0%} of it)",
          flush=True)


def _gunicorn_layout() -> str:
    """What gunicorn.conf.py sets under this environment (WORKERS, THREADS), for the header of the report."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return f"{conf['workers']} processes x {conf['threads']} threads, {conf['worker_class']}"


def main() -> None:
    url = os.environ.get("DATABASE_URL") or pg.server_url()
    print(f"bench_api: {FEATURES:,} points, {CLIENTS} concurrent clients, {SECONDS:.0f} s per side in {ROUNDS} "
          f"rounds taken in turn (medians printed), "
          f"gunicorn -c gunicorn.conf.py ({_gunicorn_layout()}), HTTP load from wrk", flush=True)
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as workdir:
        dsn = load_bench_db(url, Path(workdir))
        try:
            with gunicorn(dsn) as server:
                for kind, target in {"items": 0.70, "nearest": 0.50}.items():
                    compare(dsn, server.base, Path(workdir), kind, target)
        finally:
            pg.drop_database(url, pg.current_dbname(dsn))
