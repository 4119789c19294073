"""ETL speed and memory: our full load path against GDAL's ogr2ogr, on the same generated GeoPackage.

Both run as child processes into one throwaway database, so their wall time and peak memory (VmHWM,
sampled from /proc) are measured the same way. Ours is `mapserver etl load`: read, reproject, validate,
COPY through two sessions (PostgreSQL computes the EPSG:3857 and search columns), the indexes built by
the two sessions at once (keys, GiST on geom and on geography, trigram GIN, a btree per filterable
field), ANALYZE, publish; ogr2ogr does a plain COPY plus one GiST index. A smaller file is loaded too,
to show whether our peak memory grows with the file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg2
import shapely
from psycopg2.extensions import parse_dsn

from common.migrations import apply_migrations, sync_catalog
from common.settings import DEFAULTS
from layers import load_catalog
from tests import pg

SIZES = (200_000, 1_000_000)
HEALTH = load_catalog()["health"]
CHUNK = 100_000
KINDS = np.array(["hospital", "clinic", "commune_health_station", "vaccination", "pharmacy"])
DISTRICTS = np.array(["Quận 1", "Quận 3", "Bình Thạnh", "Gò Vấp", "Thủ Đức", "Tân Bình", "Phú Nhuận", "Quận 7"])


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Health points inside the default deployment area, written in chunks (the generator stays small too)."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = DEFAULTS["AREA_BBOX"]
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        ids = np.char.add("h-", np.arange(start, start + n).astype(str))
        frame = gpd.GeoDataFrame({
            "id": ids,
            "name": np.char.add("Phòng khám Đa khoa số ", np.arange(start, start + n).astype(str)),
            "kind": rng.choice(KINDS, n),
            "address": np.char.add(rng.integers(1, 999, n).astype(str), " Đường Nguyễn Thị Minh Khai"),
            "district": rng.choice(DISTRICTS, n),
            "phone": np.char.add("028 38", rng.integers(100000, 999999, n).astype(str)),
            "opening_hours": np.full(n, "Mo-Fr 07:00-17:00"),
        }, geometry=shapely.points(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)), crs="EPSG:4326")
        frame.to_file(path, layer="health", driver="GPKG", engine="pyogrio", append=start > 0)


def _high_water_mib(pid: int) -> float | None:
    """VmHWM of a running process. Not ru_maxrss: Linux carries that over fork+exec from this (large) parent."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            line = next((row for row in fh if row.startswith("VmHWM:")), None)
    except OSError:
        return None
    return int(line.split()[1]) / 1024 if line else None


def run_child(args: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, sampled every 20 ms) of one child; fails loudly when the child does."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _high_water_mib(proc.pid) or 0.0)
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{args[0]} failed ({proc.returncode}):\n{log.read().decode(errors='replace')}")
    return seconds, peak


def pg_connection_string(dsn: str) -> str:
    """libpq key=value form, which every GDAL build's PG: prefix accepts."""
    return " ".join(f"{k}={v}" for k, v in parse_dsn(dsn).items())


def ours(path: Path, dsn: str) -> tuple[float, float, float]:
    """Wall seconds, peak RSS, and the seconds the load spent indexing (from its own report)."""
    mapserver = str(Path(sys.executable).with_name("mapserver"))
    env = {**os.environ, "DATABASE_URL": dsn, "MAPSERVER_MAX_UPLOAD_BYTES": str(1 << 40)}
    report = path.with_suffix(".json")
    seconds, rss = run_child([mapserver, "etl", "load", str(path), "--layer", "health", "--report", str(report)], env)
    return seconds, rss, json.loads(report.read_text())["seconds_indexing"]


def ogr2ogr(path: Path, dsn: str, table: str) -> tuple[float, float]:
    args = ["ogr2ogr", "-f", "PostgreSQL", f"PG:{pg_connection_string(dsn)}", str(path), "health",
            "-nln", table, "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST", "-overwrite"]
    return run_child(args, dict(os.environ))


def _throwaway_database() -> tuple[str, str]:
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_bench")
    dsn = pg.dsn_for(url, name)
    conn = psycopg2.connect(dsn)
    try:
        apply_migrations(conn)
        sync_catalog(conn, load_catalog())
    finally:
        conn.close()
    return name, dsn


def main() -> None:
    if shutil.which("ogr2ogr") is None:
        raise SystemExit("ogr2ogr not found: install GDAL's command-line tools (Debian: gdal-bin)")
    sizes = [int(s) for s in os.environ.get("BENCH_ETL_SIZES", "").split(",") if s] or list(SIZES)
    name, dsn = _throwaway_database()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-etl-") as tmp:
            results = []
            for rows in sizes:
                path = Path(tmp) / f"health_{rows}.gpkg"
                generate(path, rows)
                mb = path.stat().st_size / 2**20
                our_s, our_rss, our_index_s = ours(path, dsn)
                ogr_s, ogr_rss = ogr2ogr(path, dsn, f"ogr_health_{rows}")
                results.append((rows, mb, our_s, our_index_s, our_rss, ogr_s, ogr_rss))
                path.unlink()
        print(f"{'rows':>9} {'file MB':>8} {'ours s':>7} {'(indexing)':>10} {'ogr2ogr s':>10} {'ratio':>6} "
              f"{'ratio w/o indexing':>18} {'ours peak RSS MB':>17} {'ogr2ogr peak RSS MB':>20}")
        for rows, mb, our_s, our_index_s, our_rss, ogr_s, ogr_rss in results:
            print(f"{rows:>9} {mb:>8.1f} {our_s:>7.1f} {our_index_s:>10.1f} {ogr_s:>10.1f} {our_s / ogr_s:>6.2f} "
                  f"{(our_s - our_index_s) / ogr_s:>18.2f} {our_rss:>17.0f} {ogr_rss:>20.0f}")
        print(f"ratio = ours / ogr2ogr (target <= 1). Ours: read, validate, COPY (with generated EPSG:3857 and search "
              f"columns), then PRIMARY KEY + UNIQUE(id) + 2 GiST + trigram GIN + {len(HEALTH.filterable)} btree "
              f"(two sessions) + ANALYZE, publish; ogr2ogr: COPY + 1 GiST.")
    finally:
        pg.drop_database(pg.server_url(), name)
