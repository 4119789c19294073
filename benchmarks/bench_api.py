"""Read API under load on a 1,000,000-point layer: ours over HTTP beside tipg 1.6.1 and the SQL floors, one run.

The app runs under gunicorn exactly as `make run` starts it (gunicorn.conf.py) with the tile cache off
(`TILE_CACHE_MAX_ZOOM=-1`: every tile is cut); tipg runs under uvicorn with as many worker processes, in a
virtual environment of its own that this benchmark makes once (var/bench/tipg-1.6.1), on the same database
and the same version table. wrk drives both with 8 keep-alive connections; each request draws a fresh box,
place, page or tile. The floors are SQL sent straight to PostGIS by 8 psycopg2 threads:

- naive: what a hand-written server sends (issue 20): the GiST box filter, `ORDER BY id LIMIT 100`, the
  properties as `to_jsonb` of their columns and the geometry as `ST_AsGeoJSON`, rows fetched by psycopg2;
- ours: the app's own statement (built by the same query functions), and the same prepared and planned as the
  app plans it (mapserver.web.db.ONCE or PER_CALL; no JIT, as in the app's sessions).

Each side runs in ROUNDS short rounds taken in turn, and each prints its median round: on a shared machine
a burst of someone else's load then lands on one round of one side instead of deciding the ratio. Items:
ours >= 1.0x the naive floor and >= 10x tipg; nearest >= 50 % of our floor. Filters, sorts, deep pages,
search and tiles are printed to compare runs (`BENCH_FILE_ORDER=1` rewrites the table in file order first,
as the ETL wrote it before issue 20, for the "before").
"""

from __future__ import annotations

import json
import os
import re
import runpy
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import psycopg2
import requests
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

from common.settings import DEFAULTS
from etl.load import table_ident
from etl.pipeline import LoadOptions, load_file
from etl.schema import bring_up
from layers import load_catalog
from mapserver.features.query.features import ItemsQuery, items_params, items_plan, items_statement
from mapserver.features.query.proximity import PLAN as NEAREST_PLAN
from mapserver.features.query.proximity import Target, nearest_statement
from mapserver.web.catalog import published
from mapserver.web.compiled import Compiled
from mapserver.web.db import ONCE
from tests import pg
from tests.serving import gunicorn

ROOT = Path(__file__).resolve().parent.parent
FEATURES = int(os.environ.get("BENCH_FEATURES", 1_000_000))
SECONDS = float(os.environ.get("BENCH_SECONDS", 9))  # per side, split into ROUNDS
FILE_ORDER = os.environ.get("BENCH_FILE_ORDER") == "1"
ROUNDS = 3
CLIENTS = 8
KINDS = ("hospital", "clinic", "commune_health_station", "vaccination", "pharmacy")
HALF_BOX = (0.00915, 0.009)  # ~2 km x 2 km at 10.8 degrees N
TILE_ZOOMS = (12, 16)
DEEP_OFFSETS = (10_000, 50_000)
LINKS = [{"href": "http://127.0.0.1/api/collections/health/items", "rel": "self", "type": "application/geo+json"}]
TIPG = ROOT / "var" / "bench" / "tipg-1.6.1"
TIPG_PACKAGES = ("tipg==1.6.1", "uvicorn==0.55.0")
TARGETS = {"naive": 1.0, "tipg": 10.0}

NAIVE_ITEMS = (
    "SELECT t.id, ST_AsGeoJSON(t.geom) AS geometry, to_jsonb(p) AS properties FROM {table} t,"
    " LATERAL (SELECT {columns}) p"
    " WHERE t.geom && ST_MakeEnvelope(%(bbox_w)s, %(bbox_s)s, %(bbox_e)s, %(bbox_n)s, 4326)"
    " ORDER BY t.id LIMIT 100")

# Our routes and tipg's, as templates the wrk script fills per request: {w},{s},{e},{n} a ~2 km box,
# {lon},{lat} a place, {z}/{x}/{y} a tile of TILE_ZOOMS over the area, {offset} a deep page, {word} the number
# in one name (every name is "Điểm y tế N": those three words alone match the whole layer).
OURS = {
    "items": "/api/collections/health/items?bbox={w},{s},{e},{n}&limit=100",
    "items kind=": "/api/collections/health/items?bbox={w},{s},{e},{n}&limit=100&kind=vaccination",
    "items sortby=-name": "/api/collections/health/items?bbox={w},{s},{e},{n}&limit=100&sortby=-name",
    "items deep page": "/api/collections/health/items?limit=100&offset={offset}",
    "nearest": "/api/nearest?layer=health&lon={lon}&lat={lat}&limit=5&kind=vaccination",
    "search": "/api/search?q={word}&layer=health&limit=10",
    "tiles (cold)": "/api/tiles/health/v{version}/{z}/{x}/{y}.mvt",
}
TIPG_ROUTES = {
    "items": "/collections/layer_data.{table}/items?bbox={w},{s},{e},{n}&limit=100&properties={properties}",
    "tiles (cold)": "/collections/layer_data.{table}/tiles/WebMercatorQuad/{z}/{x}/{y}",
}


def write_points(path: Path, n: int, area: tuple[float, float, float, float], seed: int = 5) -> None:
    """n health points spread over the deployment's area in random file order, every fifth a vaccination point."""
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
        catalog = load_catalog()
        bring_up(conn, catalog)
        report = load_file(conn, catalog["health"], csv, LoadOptions(area=DEFAULTS["AREA_BBOX"], progress=False))
        table = published(conn.cursor(), "health").table_name
        if FILE_ORDER:
            _cluster(conn, table, f"{table}_pkey")
        _vacuum(conn, table)
    finally:
        conn.close()
    print(f"loaded {report.rows_loaded:,} points through the ETL in {time.monotonic() - t0:.0f} s"
          + (" (then rewritten in file order)" if FILE_ORDER else ""), flush=True)
    return dsn


def _cluster(conn, table_name: str, index: str) -> None:
    """The table rewritten in its index's order (the primary key: the file's order, as before issue 20)."""
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CLUSTER {} USING {}").format(table_ident(table_name), sql.Identifier(index)))
    conn.commit()


def _vacuum(conn, table_name: str) -> None:
    """What autovacuum does to a freshly loaded table within the minute (PostgreSQL 13+ vacuums after
    inserts): done now, so that its pass does not land in some rounds of one side."""
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("VACUUM (ANALYZE) {}").format(table_ident(table_name)))


def heap_pages_per_box(dsn: str, table_name: str, samples: int = 20) -> float:
    """Heap pages a ~2 km box's rows lie on (EXPLAIN's exact heap blocks), averaged over random boxes."""
    rng, pages = np.random.default_rng(11), []
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for _ in range(samples):
            cur.execute(sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM {} t WHERE {}").format(
                table_ident(table_name), sql.SQL("t.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")), boxes(rng))
            pages.append(_exact_heap_blocks(cur.fetchone()[0][0]["Plan"]))
    conn.close()
    return float(np.mean(pages))


def _exact_heap_blocks(plan: dict) -> int:
    return plan.get("Exact Heap Blocks", 0) + sum(_exact_heap_blocks(p) for p in plan.get("Plans", []))


def boxes(rng) -> tuple[float, float, float, float]:
    area = DEFAULTS["AREA_BBOX"]
    lon, lat = rng.uniform(area[0] + 0.05, area[2] - 0.05), rng.uniform(area[1] + 0.05, area[3] - 0.05)
    return (round(lon - HALF_BOX[0], 6), round(lat - HALF_BOX[1], 6), round(lon + HALF_BOX[0], 6),
            round(lat + HALF_BOX[1], 6))


def place(rng) -> tuple[float, float]:
    area = DEFAULTS["AREA_BBOX"]
    return round(rng.uniform(area[0] + 0.05, area[2] - 0.05), 6), round(rng.uniform(area[1] + 0.05, area[3] - 0.05), 6)


Measure = tuple[float, dict[str, float]]


def hammer(make_worker: Callable[[int], Callable[[], None]], seconds: float) -> Measure:
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


# wrk (C, keep-alive) drives the HTTP sides, so the load generator does not take the CPU the servers need.
# The script gets its path template and the area as arguments, and fills the template afresh per request.
WRK_SCRIPT = """
local template, area, half, zooms, offsets, features
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args)
  math.randomseed(100 + seed)
  template = args[1]
  area = {tonumber(args[2]), tonumber(args[3]), tonumber(args[4]), tonumber(args[5])}
  half = {tonumber(args[6]), tonumber(args[7])}
  zooms = {tonumber(args[8]), tonumber(args[9])}
  offsets = {tonumber(args[10]), tonumber(args[11])}
  features = tonumber(args[12])
end
local function uniform(lo, hi) return lo + math.random() * (hi - lo) end
request = function()
  local lon, lat = uniform(area[1] + 0.05, area[3] - 0.05), uniform(area[2] + 0.05, area[4] - 0.05)
  local z = math.random(zooms[1], zooms[2])
  local n, r = 2 ^ z, math.rad(lat)
  local v = {
    w = string.format("%.6f", lon - half[1]), s = string.format("%.6f", lat - half[2]),
    e = string.format("%.6f", lon + half[1]), n = string.format("%.6f", lat + half[2]),
    lon = string.format("%.6f", lon), lat = string.format("%.6f", lat), z = tostring(z),
    x = tostring(math.floor((lon + 180) / 360 * n)),
    y = tostring(math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)),
    offset = tostring(math.random(offsets[1] / 100, offsets[2] / 100) * 100),
    word = tostring(math.random(10000, features - 1)),
  }
  local path = template:gsub("{(%w+)}", v)
  return wrk.format("GET", path, {["Accept-Encoding"] = "gzip"})
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def http_load(base: str, template: str, script: Path, seconds: float) -> Measure:
    """(requests/s, {"p50", "p99"} in ms) from one wrk run of `seconds` with CLIENTS connections."""
    area = DEFAULTS["AREA_BBOX"]
    args = [template, *map(str, area), *map(str, HALF_BOX), *map(str, TILE_ZOOMS), *map(str, DEEP_OFFSETS),
            str(FEATURES)]
    out = subprocess.run(["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{seconds:.0f}s", "--latency",
                          "-s", str(script), base, "--", *args], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    found = re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)
    # No quantiles when no request finished within wrk's 2 s timeout (a server swamped by other load).
    quantiles = {"p50": float("nan"), "p99": float("nan"), **{f"p{q}": float(v) * _UNITS[u] for q, v, u in found}}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if errors:
        raise RuntimeError(f"{base}{template}: {errors.group(1)} answers were not 2xx")
    timeouts = re.search(r"timeout (\d+)", out)
    if timeouts and int(timeouts.group(1)):
        print(f"  ({template.split('?')[0]}: {timeouts.group(1)} requests took longer than wrk's 2 s)", flush=True)
    return rate, quantiles


def sql_worker(dsn: str, kind: str, prepared: bool = False) -> Callable[[int], Callable[[], None]]:
    """Our floor: the app's own statement text, composed once, bound and executed per call; `prepared`, the
    same statement prepared once per connection and planned as the app plans it (no JIT, as in the app)."""
    layer = load_catalog()["health"]

    def make(i: int) -> Callable[[], None]:
        conn, rng = psycopg2.connect(dsn), np.random.default_rng(100 + i)
        conn.autocommit = True
        cur = conn.cursor()
        pub = published(cur, "health")
        target = Target(layer, pub, {"kind": "vaccination"})
        first = ItemsQuery(limit=100, bbox=boxes(rng), properties=layer.field_names)
        plan = items_plan(pub, first) if kind == "items" else NEAREST_PLAN
        text = (items_statement(layer, pub.table_name, first, one_scan=plan == ONCE) if kind == "items"
                else nearest_statement(target, False)).as_string(conn)
        if prepared:
            compiled = Compiled.from_text(text)
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


def naive_worker(dsn: str, table_name: str) -> Callable[[int], Callable[[], None]]:
    """The naive floor of issue 20, its rows fetched (psycopg2 decodes the jsonb properties, as a client must)."""
    names = load_catalog()["health"].field_names
    columns = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(n)) for n in names)
    statement = sql.SQL(NAIVE_ITEMS).format(table=table_ident(table_name), columns=columns)

    def make(i: int) -> Callable[[], None]:
        conn, rng = psycopg2.connect(dsn), np.random.default_rng(100 + i)
        conn.autocommit = True
        cur = conn.cursor()
        text = statement.as_string(conn)

        def call() -> None:
            w, s, e, n = boxes(rng)
            cur.execute(text, {"bbox_w": w, "bbox_s": s, "bbox_e": e, "bbox_n": n})
            cur.fetchall()

        return call

    return make


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


def summary(name: str, measure: Measure, note: str = "") -> str:
    rate, q = measure
    return f"  {name:<30} {rate:8.1f} req/s   p50 {q['p50']:7.1f} ms   p99 {q['p99']:7.1f} ms   {note}"


def verdict(ratio: float, target: float, of: str) -> str:
    return f"{ratio:5.2f}x {of} ({'meets' if ratio >= target else 'MISSES'} {target:.1f}x)"


@contextmanager
def tipg_server(dsn: str, table_name: str, workers: int, log: Path) -> Iterator[str]:
    """tipg 1.6.1 under uvicorn with `workers` processes, serving only the bench table; yields its base URL."""
    python = _tipg_venv()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _asyncpg_url(dsn), "TIPG_DB_SCHEMAS": '["layer_data"]',
           "TIPG_DB_TABLES": json.dumps([f"layer_data.{table_name}"]), "TIPG_DB_SPATIAL_EXTENT": "false",
           "TIPG_DB_DATETIME_EXTENT": "false"}
    with log.open("wb") as out:
        proc = subprocess.Popen([str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port",
                                 str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
                                env=env, cwd=log.parent, stdout=out, stderr=out, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(f"{base}/collections/layer_data.{table_name}", proc)
            yield base
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=60)


def _tipg_venv() -> Path:
    """tipg's own virtual environment (var/bench/tipg-1.6.1), made and installed on first use only."""
    python = TIPG / "bin" / "python"
    if not (TIPG / ".installed").exists():
        print(f"installing {' '.join(TIPG_PACKAGES)} into {TIPG.relative_to(ROOT)} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TIPG)], check=True)
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", *TIPG_PACKAGES],
                             capture_output=True, text=True)
        if pip.returncode:
            raise RuntimeError(f"pip could not install {' '.join(TIPG_PACKAGES)}:\n{pip.stdout}{pip.stderr}")
        (TIPG / ".installed").touch()
    return python


def _asyncpg_url(dsn: str) -> str:
    """The libpq DSN as the URL tipg's settings accept: a socket directory goes in the host, percent-encoded."""
    p = parse_dsn(dsn)
    auth = quote(p.get("user", "postgres"), safe="") + (f":{quote(p['password'], safe='')}" if "password" in p else "")
    return f"postgresql://{auth}@{quote(p.get('host', 'localhost'), safe='')}:{p.get('port', 5432)}/{p['dbname']}"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"tipg exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise RuntimeError("tipg did not start")


class Run:
    """One benchmark run: the database, both servers, and the wrk script; each case measured in turn."""

    def __init__(self, dsn: str, ours: str, tipg: str, script: Path):
        conn = psycopg2.connect(dsn)
        pub = published(conn.cursor(), "health")
        conn.close()
        self.dsn, self.ours, self.tipg, self.script = dsn, ours, tipg, script
        self.table, self.version = pub.table_name, str(pub.version)
        self.properties = ",".join(load_catalog()["health"].field_names)

    def http(self, base: str, template: str) -> Callable[[], Measure]:
        path = template.replace("{version}", self.version).replace("{table}", self.table).replace(
            "{properties}", self.properties)
        return lambda: http_load(base, path, self.script, SECONDS / ROUNDS)

    def items(self) -> dict:
        seconds = SECONDS / ROUNDS
        self.http(self.ours, OURS["items"])()  # warm both servers and the buffers
        naive, floor, prepared, tipg, ours = in_turn(
            lambda: hammer(naive_worker(self.dsn, self.table), seconds),
            lambda: hammer(sql_worker(self.dsn, "items"), seconds),
            lambda: hammer(sql_worker(self.dsn, "items", prepared=True), seconds),
            self.http(self.tipg, TIPG_ROUTES["items"]), self.http(self.ours, OURS["items"]))
        print("items, ~2 km box, limit=100", flush=True)
        print(summary("naive SQL floor (issue 20)", naive))
        print(summary("our SQL (psycopg2)", floor))
        print(summary("our SQL, prepared", prepared))
        print(summary("tipg 1.6.1 HTTP", tipg))
        print(summary("ours HTTP", ours, verdict(ours[0] / naive[0], TARGETS["naive"], "naive floor") + ", "
                      + verdict(ours[0] / tipg[0], TARGETS["tipg"], "tipg") + f", {ours[0] / floor[0]:.0%} of our SQL"),
              flush=True)
        return {"naive": naive[0], "tipg": tipg[0], "ours": ours[0], "ours_p99": ours[1]["p99"]}

    def nearest(self) -> dict:
        seconds = SECONDS / ROUNDS
        floor, prepared, ours = in_turn(
            lambda: hammer(sql_worker(self.dsn, "nearest"), seconds),
            lambda: hammer(sql_worker(self.dsn, "nearest", prepared=True), seconds),
            self.http(self.ours, OURS["nearest"]))
        print("nearest 5 vaccination points (KNN)   tipg: no nearest query (its items sort by columns only)")
        print(summary("our SQL (psycopg2)", floor))
        print(summary("our SQL, prepared", prepared))
        print(summary("ours HTTP", ours, f"{ours[0] / floor[0]:.0%} of our SQL (target 50 %)"), flush=True)
        return {"ours": ours[0], "ours_p99": ours[1]["p99"]}

    def tiles(self) -> dict:
        tipg, ours = in_turn(self.http(self.tipg, TIPG_ROUTES["tiles (cold)"]),
                             self.http(self.ours, OURS["tiles (cold)"]))
        print(f"tiles z{TILE_ZOOMS[0]}-{TILE_ZOOMS[1]}, cold (our tile cache off; ours clusters points below z15)")
        print(summary("tipg 1.6.1 HTTP", tipg))
        print(summary("ours HTTP", ours, f"{ours[0] / tipg[0]:.2f}x tipg"), flush=True)
        return {"tipg": tipg[0], "ours": ours[0], "ours_p99": ours[1]["p99"]}

    def ours_only(self, names: list[str]) -> dict:
        measures = in_turn(*(self.http(self.ours, OURS[n]) for n in names))
        print("ours HTTP only (compare runs: BENCH_FILE_ORDER=1 for the layout before issue 20)")
        for name, m in zip(names, measures, strict=True):
            print(summary(name, m), flush=True)
        return {n: {"rps": round(m[0], 1), "p99": round(m[1]["p99"], 1)} for n, m in zip(names, measures, strict=True)}


def _layout() -> tuple[int, str]:
    """What gunicorn.conf.py sets under this environment: its worker count, and a line for the report."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return conf["workers"], f"{conf['workers']} processes x {conf['threads']} threads, {conf['worker_class']}"


def main() -> None:
    url = os.environ.get("DATABASE_URL") or pg.server_url()
    workers, layout = _layout()
    print(f"bench_api: {FEATURES:,} points, {CLIENTS} concurrent clients, {SECONDS:.0f} s per side in {ROUNDS} "
          f"rounds taken in turn (medians printed); ours: gunicorn -c gunicorn.conf.py ({layout}); "
          f"tipg 1.6.1: uvicorn, {workers} workers; HTTP load from wrk", flush=True)
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as workdir:
        work = Path(workdir)
        dsn = load_bench_db(url, work)
        try:
            run_all(dsn, work, workers)
        finally:
            pg.drop_database(url, pg.current_dbname(dsn))


def run_all(dsn: str, work: Path, workers: int) -> None:
    script = work / "requests.lua"
    script.write_text(WRK_SCRIPT)
    table = Run(dsn, "", "", script).table
    order = "file order" if FILE_ORDER else "as the ETL writes it"
    print(f"heap pages per ~2 km box ({order}): {heap_pages_per_box(dsn, table):.0f}", flush=True)
    with gunicorn(dsn, MAPSERVER_TILE_CACHE_MAX_ZOOM="-1") as ours, \
            tipg_server(dsn, table, workers, work / "tipg.log") as tipg:
        run = Run(dsn, ours.base, tipg, script)
        figures = {"items": run.items(), "nearest": run.nearest(), "tiles": run.tiles(),
                   "ours": run.ours_only(["items kind=", "items sortby=-name", "items deep page", "search"])}
    print(json.dumps({"bench": "api", "features": FEATURES, "file_order": FILE_ORDER, **figures}))
