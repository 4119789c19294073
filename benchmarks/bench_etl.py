"""ETL speed and memory: our full load path against a hand pipeline (ogr2ogr, then the indexes a hand pipeline
builds to serve the same search and filters), on the same generated GeoPackage, side by side in one run.

Ours is `mapserver etl load` as a child process: read, reproject, validate, normalise addresses, put the
rows in space order (Hilbert, etl.space_order), COPY through two sessions (PostgreSQL computes the EPSG:3857
and search columns), the indexes built by two sessions at once (keys, GiST on geom, the trigram GIN on the
search text in two partial halves, a btree per filterable field), ANALYZE, publish. The hand pipeline is `ogr2ogr`
(COPY and its GiST) as a child, then a trigram GIN on the name, a btree on the kind and ANALYZE in one
psql-like session with the server's settings. Peak memory is each child's VmHWM and its peak anonymous memory
(RssAnon, what it allocated, without the pages of the libraries it maps; both sampled from /proc). Two sizes
show whether our peak memory grows with the file; the pages a ~2 km box's rows lie on show the space order.

Each point's address names its ward as agencies write it: three in four in the 2025 form (the 2025 ward
nearest the point, then the province), one in four in the old form (the nearest pre-2025 ward, its district,
the province), so that the load's address normalisation does its real work.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg2
import shapely
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

from common.settings import DEFAULTS
from etl.admin_units import legacy_wards, wards
from etl.load import table_ident
from etl.schema import bring_up
from layers import load_catalog
from tests import pg

SIZES = (200_000, 1_000_000)
HEALTH = load_catalog()["health"]
CHUNK = 100_000
KINDS = np.array(["hospital", "clinic", "commune_health_station", "vaccination", "pharmacy"])
CITY = "79"  # Ho Chi Minh City's province code, in 2025 and before
OLD_FORM_SHARE = 0.25


def _nearest(units: pd.DataFrame, points: np.ndarray) -> np.ndarray:
    """The row of `units` (lon, lat centroids) nearest each point."""
    tree = shapely.STRtree(shapely.points(units["lon"].to_numpy(), units["lat"].to_numpy()))
    return tree.query_nearest(points, all_matches=False)[1]


def _addresses(rng: np.random.Generator, points: np.ndarray, new: pd.DataFrame, old: pd.DataFrame
               ) -> tuple[np.ndarray, np.ndarray]:
    """Each point's address (a street, then its ward in the 2025 or the old form) and its old district."""
    new_tail = (", " + new["name"] + ", " + new["province"]).to_numpy(str)[_nearest(new, points)]
    at = _nearest(old, points)
    old_tail = (", " + old["ward"] + ", " + old["district"] + ", " + old["province"]).to_numpy(str)[at]
    street = np.char.add(rng.integers(1, 999, len(points)).astype(str), " Đường Nguyễn Thị Minh Khai")
    tail = np.where(rng.random(len(points)) < OLD_FORM_SHARE, old_tail, new_tail)
    return np.char.add(street, tail), old["district"].to_numpy(str)[at]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Health points inside the default deployment area, written in chunks (the generator stays small too)."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = DEFAULTS["AREA_BBOX"]
    units = wards(CITY), legacy_wards([CITY])
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        ids = np.char.add("h-", np.arange(start, start + n).astype(str))
        points = shapely.points(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n))
        addresses, districts = _addresses(rng, points, *units)
        frame = gpd.GeoDataFrame({
            "id": ids,
            "name": np.char.add("Phòng khám Đa khoa số ", np.arange(start, start + n).astype(str)),
            "kind": rng.choice(KINDS, n),
            "address": addresses,
            "district": districts,
            "phone": np.char.add("028 38", rng.integers(100000, 999999, n).astype(str)),
            "opening_hours": np.full(n, "Mo-Fr 07:00-17:00"),
        }, geometry=points, crs="EPSG:4326")
        frame.to_file(path, layer="health", driver="GPKG", engine="pyogrio", append=start > 0)


def _memory_mib(pid: int) -> tuple[float, float]:
    """VmHWM and RssAnon of a running process (0 once it has gone). Not ru_maxrss: Linux carries that over
    fork+exec from this (large) parent."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            fields = dict(row.split(":", 1) for row in fh if row.startswith(("VmHWM:", "RssAnon:")))
    except OSError:
        return 0.0, 0.0
    return tuple(int(fields[k].split()[0]) / 1024 if k in fields else 0.0 for k in ("VmHWM", "RssAnon"))


def run_child(args: list[str], env: dict) -> tuple[float, tuple[float, float], str]:
    """Wall seconds, peak (VmHWM, RssAnon) in MiB sampled every 20 ms, and output of one child; fails loudly
    when the child does."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak = (0.0, 0.0)
        while proc.poll() is None:
            peak = tuple(map(max, peak, _memory_mib(proc.pid)))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({proc.returncode}):\n{output}")
    return seconds, peak, output


def pg_connection_string(dsn: str) -> str:
    """libpq key=value form, which every GDAL build's PG: prefix accepts."""
    return " ".join(f"{k}={v}" for k, v in parse_dsn(dsn).items())


# The load's own account of its phases (etl.pipeline logs it).
_PHASES = re.compile(r"read and validated in ([\d.]+) s, copied in space order in ([\d.]+) s, indexed in ([\d.]+) s")


def ours(path: Path, dsn: str) -> dict:
    """Wall seconds, peak RSS, the phases the load reports and its table."""
    mapserver = str(Path(sys.executable).with_name("mapserver"))
    env = {**os.environ, "DATABASE_URL": dsn, "MAPSERVER_MAX_UPLOAD_BYTES": str(1 << 40)}
    report = path.with_suffix(".json")
    seconds, rss, output = run_child([mapserver, "etl", "load", str(path), "--layer", "health", "--report",
                                      str(report)], env)
    phases = _PHASES.search(output)
    if phases is None:
        raise SystemExit(f"the load did not report its phases:\n{output}")
    read, copy, index = (float(v) for v in phases.groups())
    loaded = json.loads(report.read_text())
    return {"seconds": seconds, "rss": rss, "read": read, "copy": copy, "index": index,
            "rest": seconds - loaded["seconds"], "publish": loaded["seconds"] - read - copy - index,
            "table": HEALTH.version_table(loaded["version"])}


def hand_pipeline(path: Path, dsn: str, table: str) -> dict:
    """ogr2ogr (COPY, GiST), then the trigram GIN on the name, the btree on the kind and ANALYZE."""
    args = ["ogr2ogr", "-f", "PostgreSQL", f"PG:{pg_connection_string(dsn)}", str(path), "health",
            "-nln", table, "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST", "-overwrite"]
    seconds, rss, _ = run_child(args, dict(os.environ))
    started = time.perf_counter()
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            ident = sql.Identifier("public", table)
            cur.execute(sql.SQL("CREATE INDEX ON {} USING gin (name gin_trgm_ops)").format(ident))
            cur.execute(sql.SQL("CREATE INDEX ON {} (kind)").format(ident))
            cur.execute(sql.SQL("ANALYZE {}").format(ident))
    finally:
        conn.close()
    indexing = time.perf_counter() - started
    return {"seconds": seconds + indexing, "rss": rss, "ogr2ogr": seconds, "index": indexing}


def box_pages(dsn: str, table: sql.Composable) -> tuple[int, int]:
    """(rows, distinct heap pages) of a 2 km box in the city centre: what an items page for it reads."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT count(*), count(DISTINCT (ctid::text::point)[0]) FROM {} "
                                "WHERE geom && ST_MakeEnvelope(106.69, 10.77, 106.708, 10.788, 4326)").format(table))
            return cur.fetchone()
    finally:
        conn.close()


def _throwaway_database() -> tuple[str, str]:
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_bench")
    dsn = pg.dsn_for(url, name)
    conn = psycopg2.connect(dsn)
    try:
        bring_up(conn, load_catalog())
    finally:
        conn.close()
    return name, dsn


def _measure(rows: int, folder: Path, dsn: str) -> tuple[dict, dict]:
    path = folder / f"health_{rows}.gpkg"
    generate(path, rows)
    try:
        mine = ours(path, dsn)
        hand = hand_pipeline(path, dsn, f"ogr_health_{rows}")
    finally:
        path.unlink()
    mine["pages"] = box_pages(dsn, table_ident(mine["table"]))
    hand["pages"] = box_pages(dsn, sql.Identifier("public", f"ogr_health_{rows}"))
    return mine, hand


def _print(results: list[tuple[int, dict, dict]]) -> None:
    print(f"{'rows':>9} {'ours s':>7} {'hand s':>7} {'ratio':>6} {'ours MB':>8} {'ogr2ogr MB':>10} "
          f"{'ours anon':>9} {'ogr2ogr anon':>12} {'box rows':>8} {'ours pages':>10} {'hand pages':>10}")
    for rows, mine, hand in results:
        print(f"{rows:>9} {mine['seconds']:>7.1f} {hand['seconds']:>7.1f} {mine['seconds'] / hand['seconds']:>6.2f} "
              f"{mine['rss'][0]:>8.0f} {hand['rss'][0]:>10.0f} {mine['rss'][1]:>9.0f} {hand['rss'][1]:>12.0f} "
              f"{mine['pages'][0]:>8} {mine['pages'][1]:>10} {hand['pages'][1]:>10}")
    print("ratio = ours / hand pipeline (target <= 1); MB: peak RSS of the child (target <= 250, flat in rows); "
          "anon: its peak anonymous memory (MB), the RSS without the libraries' file pages.")
    print(f"\n{'rows':>9} | ours: {'start':>5} {'read+validate':>13} {'space-order COPY':>16} {'indexes':>7} "
          f"{'record+publish':>14} | hand: {'ogr2ogr':>7} {'indexes+ANALYZE':>15}")
    for rows, mine, hand in results:
        print(f"{rows:>9} |       {mine['rest']:>5.1f} {mine['read']:>13.1f} {mine['copy']:>16.1f} "
              f"{mine['index']:>7.1f} {mine['publish']:>14.1f} |       {hand['ogr2ogr']:>7.1f} {hand['index']:>15.1f}")
    print(f"Ours indexes: PRIMARY KEY + UNIQUE(id) + GiST (geom) + trigram GIN (search text, two halves) + "
          f"{len(HEALTH.filterable)} btree, two sessions, then ANALYZE; start: the command's start-up and exit. "
          f"Hand: ogr2ogr's COPY + GiST, then trigram GIN (name) + btree (kind) + ANALYZE.")


def main() -> None:
    if shutil.which("ogr2ogr") is None:
        raise SystemExit("ogr2ogr not found: install GDAL's command-line tools (Debian: gdal-bin)")
    sizes = [int(s) for s in os.environ.get("BENCH_ETL_SIZES", "").split(",") if s] or list(SIZES)
    name, dsn = _throwaway_database()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-etl-") as tmp:
            _print([(rows, *_measure(rows, Path(tmp), dsn)) for rows in sizes])
    finally:
        pg.drop_database(pg.server_url(), name)
