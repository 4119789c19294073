"""Vector tiles z12-16 over a 1M-point layer: the app cold and warm, against bare ST_AsMVT SQL, in one run.

The bare query is what most tile servers do with a table stored in EPSG:4326: transform every row
to EPSG:3857 on the fly and put every row in the tile. Ours reads the pre-projected column,
clusters points below z15, and keeps finished tiles in PostgreSQL. Also prints the map page's
first-view bytes (headless Chromium, on the demo city, before the 1M points are published).

    make bench BENCH_ARGS=tiles          # BENCH_POINTS=200000 for a quicker run
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
from psycopg2 import sql
from werkzeug.serving import make_server

from common.settings import DEFAULTS
from etl import indexes, load
from etl.demo import generate_demo_city
from etl.pipeline import LoadOptions, load_file
from etl.publish import publish
from etl.schema import bring_up
from layers import load_catalog
from mapserver import create_app
from tests import pg

POINTS = int(os.environ.get("BENCH_POINTS", 1_000_000))
DENSE = (106.45, 10.62, 106.95, 11.07)  # where the points fall: the urban core and its ring
ZOOMS = range(12, 17)
TILES_PER_ZOOM = 24
SLUG = "health"
DEAD_BASEMAP = "http://127.0.0.1:9/{z}/{x}/{y}.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

BARE_SQL = (
    "SELECT ST_AsMVT(q, 'health', 4096, 'geom') FROM ("
    " SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom,"
    " t.id, t.name, t.kind, t.address, t.district, t.phone, t.opening_hours"
    " FROM {table} t WHERE t.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326)"
    ") q")


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _sample_tiles(rng: random.Random) -> list[tuple[int, int, int]]:
    tiles = []
    for z in ZOOMS:
        x0, y1 = _tile_of(DENSE[0], DENSE[1], z)
        x1, y0 = _tile_of(DENSE[2], DENSE[3], z)
        every = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        tiles += rng.sample(every, min(TILES_PER_ZOOM, len(every)))
    return tiles


def _load_demo(conn, catalog, outdir: Path) -> None:
    files = generate_demo_city(outdir)
    for slug, path in files.items():
        load_file(conn, catalog[slug], path, LoadOptions(area=DEFAULTS["AREA_BBOX"]))


def _publish_points(conn, layer, count: int) -> str:
    """A new version of the layer with `count` random points, built in SQL (the ETL's table and indexes)."""
    with conn.cursor() as cur:
        version = load.next_version(cur, layer)
        table = layer.version_table(version)
        load.create_version_table(cur, layer, table)
        cur.execute("SELECT setseed(0.42)")
        cur.execute(sql.SQL(
            "INSERT INTO {} (gid, id, name, kind, address, district, phone, opening_hours, geom)"
            " SELECT i, 'P' || i, 'Điểm tiêm chủng số ' || i,"
            " (ARRAY['hospital','clinic','commune_health_station','vaccination','pharmacy'])[1 + i %% 5],"
            " i %% 300 || ' Nguyễn Trãi, Phường ' || i %% 40 || ', Thành phố Hồ Chí Minh', 'Quận ' || i %% 24,"
            " '028 ' || lpad((i %% 100000000)::text, 8, '0'), 'Mo-Fr 07:00-17:00',"
            " ST_SetSRID(ST_MakePoint(%s + random() * %s, %s + random() * %s), 4326)"
            " FROM generate_series(1, %s) i").format(load.table_ident(table)),
            (DENSE[0], DENSE[2] - DENSE[0], DENSE[1], DENSE[3] - DENSE[1], count))
    conn.commit()
    with load.sibling(conn) as other:
        indexes.build(conn, other, layer, table)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.layer_versions (layer_slug, version, table_name, feature_count, bbox)"
                    " VALUES (%s, %s, %s, %s, %s)", (layer.slug, version, table, count, list(DENSE)))
    conn.commit()
    publish(conn, layer.slug, version, actor="bench")
    return table


def _first_view_bytes(dsn: str) -> int:
    """Bytes our server sends for the page's first view at 360 px (base-map tiles excluded)."""
    from playwright.sync_api import sync_playwright

    httpd = make_server("127.0.0.1", 0, create_app({"DATABASE_URL": dsn, "BASEMAP_URL": DEAD_BASEMAP}), threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    total = 0

    def count(req) -> None:
        nonlocal total
        if req.url.startswith(base):
            sizes = req.sizes()
            total += sizes["responseHeadersSize"] + sizes["responseBodySize"]

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 360, "height": 740}, locale="vi-VN")
            page.on("requestfinished", count)
            page.goto(base + "/")
            page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        httpd.shutdown()
    return total


def _timed(fn, tiles) -> list[float]:
    times = []
    for tile in tiles:
        started = time.perf_counter()
        fn(tile)
        times.append(time.perf_counter() - started)
    return times


def _summary(name: str, times: list[float]) -> float:
    rate = len(times) / sum(times)
    p99 = statistics.quantiles(times, n=100)[98] * 1000
    print(f"  {name:<28} {rate:9.1f} tiles/s   p50 {statistics.median(times) * 1000:8.2f} ms   p99 {p99:8.2f} ms")
    return rate


def main() -> None:
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_bench_tiles")
    dsn = pg.dsn_for(url, name)
    catalog = load_catalog()
    conn = psycopg2.connect(dsn)
    try:
        bring_up(conn, catalog)
        with tempfile.TemporaryDirectory() as tmp:
            _load_demo(conn, catalog, Path(tmp))
        print(f"  map page first view at 360 px (demo city): {_first_view_bytes(dsn) / 1000:.1f} kB from our server")
        started = time.perf_counter()
        table = _publish_points(conn, catalog[SLUG], POINTS)
        print(f"  {POINTS:,} points loaded and indexed in {time.perf_counter() - started:.0f} s ({table})")
        _run(conn, dsn, table)
    finally:
        conn.close()
        pg.drop_database(url, name)


def _run(conn, dsn: str, table: str) -> None:
    tiles = _sample_tiles(random.Random(7))
    bare = sql.SQL(BARE_SQL).format(table=load.table_ident(table)).as_string(conn)
    sizes: dict[str, list[int]] = {"bare": [], "app": []}

    def bare_tile(t) -> None:
        with conn.cursor() as cur:
            cur.execute(bare, dict(zip("zxy", t, strict=True)))
            sizes["bare"].append(len(cur.fetchone()[0] or b""))

    app = create_app({"DATABASE_URL": dsn})
    client = app.test_client()
    version = table.rsplit("_v", 1)[1]

    def app_tile(t) -> None:
        r = client.get(f"/api/tiles/{SLUG}/v{version}/{t[0]}/{t[1]}/{t[2]}.mvt")
        assert r.status_code in (200, 204), r.status_code
        sizes["app"].append(len(r.data))

    _timed(bare_tile, tiles)  # warm PostgreSQL's buffers for both sides
    sizes["bare"].clear()
    with conn.cursor() as cur:
        cur.execute("TRUNCATE mapserver.tile_cache")
    conn.commit()
    print(f"  {len(tiles)} tiles, z{ZOOMS.start}-{ZOOMS.stop - 1}, {TILES_PER_ZOOM} per zoom")
    runs = {"bare ST_AsMVT (transform)": _timed(bare_tile, tiles), "app, cold (cut + cache)": _timed(app_tile, tiles)}
    sizes["app"].clear()
    runs["app, warm (tile cache)"] = _timed(app_tile, tiles)
    bare_rate, cold_rate, warm_rate = (_summary(label, times) for label, times in runs.items())
    print("  mean ms per zoom:  " + "  ".join(f"z{z} " + "/".join(
        f"{statistics.mean(t for t, tile in zip(times, tiles, strict=True) if tile[0] == z) * 1000:.1f}"
        for times in runs.values()) for z in ZOOMS) + "   (bare/cold/warm)")
    print(f"  largest tile: bare {max(sizes['bare']) / 1000:.1f} kB, app {max(sizes['app']) / 1000:.1f} kB")
    print(f"  cold / bare SQL: {cold_rate / bare_rate:5.2f}x   (target >= 1.5x)")
    print(f"  warm / cold:     {warm_rate / cold_rate:5.2f}x   (target >= 20x)")
    print(json.dumps({"bench": "tiles", "points": POINTS, "bare_tps": round(bare_rate, 1),
                      "cold_tps": round(cold_rate, 1), "warm_tps": round(warm_rate, 1)}))
