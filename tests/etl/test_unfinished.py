"""A load commits its table before indexing it: what a crash leaves is dropped by the next load or db migrate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import psycopg2
import shapely

from common.settings import DEFAULTS
from etl import load
from etl.pipeline import LoadOptions, load_file
from tests import pg
from tests.etl.conftest import leftovers, published, rows_of

AREA = DEFAULTS["AREA_BBOX"]
MAPSERVER = str(Path(sys.executable).with_name("mapserver"))


def _health_file(tmp_path: Path, n: int = 3) -> Path:
    frame = gpd.GeoDataFrame({"id": [f"h{i}" for i in range(n)], "name": [f"Trạm y tế {i}" for i in range(n)],
                              "kind": ["clinic"] * n},
                             geometry=shapely.points([106.70 + i * 0.001 for i in range(n)], [10.78] * n),
                             crs="EPSG:4326")
    path = tmp_path / "health.geojson"
    frame.to_file(path)
    return path


def _scalar(url: str, query: str, params=()) -> object:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_a_killed_load_leaves_its_table_recorded_and_db_migrate_drops_it(fresh_db_url, tmp_path):
    conn = psycopg2.connect(fresh_db_url)
    before = published(conn, "health")
    blocker = psycopg2.connect(fresh_db_url)
    with blocker.cursor() as cur:  # the loader fills and indexes its table, then waits to record the version
        cur.execute("LOCK TABLE mapserver.layer_versions IN SHARE MODE")
    loader = subprocess.Popen([MAPSERVER, "etl", "load", str(_health_file(tmp_path)), "--layer", "health"],
                              env={**os.environ, "DATABASE_URL": fresh_db_url},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pg.wait_for(lambda: _scalar(fresh_db_url, "SELECT count(*) FROM pg_locks WHERE NOT granted "
                                    "AND relation = 'mapserver.layer_versions'::regclass") == 1, "the loader to wait")
        loader.send_signal(signal.SIGKILL)
        loader.wait()
    finally:
        blocker.rollback()
        blocker.close()
    pg.wait_for(lambda: _scalar(fresh_db_url, "SELECT pg_try_advisory_lock(%s, hashtext('health'))",
                                (load.LOCK_CLASS,)),
                "the loader's sessions to end")  # the lock goes with _scalar's connection
    try:
        assert leftovers(conn, "health") == (["health_v1", "health_v2"], [(2, "health_v2")])
        assert published(conn, "health") == before
        result = subprocess.run([MAPSERVER, "db", "migrate"], env={**os.environ, "DATABASE_URL": fresh_db_url},
                                capture_output=True, text=True, timeout=120, check=True)
        assert "dropped the unfinished load(s) of health: version(s) 2" in result.stdout
        assert leftovers(conn, "health") == (["health_v1"], [])
    finally:
        conn.close()


def test_the_next_load_drops_what_a_crashed_one_left(db, catalog, tmp_path):
    with db.cursor() as cur:  # what a load killed after committing its table leaves
        cur.execute("INSERT INTO mapserver.unfinished_loads (layer_slug, version, table_name) "
                    "VALUES ('health', 2, 'health_v2')")
        load.create_version_table(cur, catalog["health"], "health_v2")
    db.commit()
    report = load_file(db, catalog["health"], _health_file(tmp_path), LoadOptions(area=AREA))
    assert report.version == 2 and report.published
    assert leftovers(db, "health") == (["health_v1", "health_v2"], [])
    assert rows_of(db, "health", "gid, id") == [(1, "h0"), (2, "h1"), (3, "h2")]


def test_gid_is_the_row_number_in_the_file(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    path.write_text("id,name,kind,lon,lat\nh1,Trạm 1,clinic,106.70,10.78\nh2,,clinic,106.71,10.78\n"
                    "h3,Trạm 3,clinic,106.72,10.78\n", encoding="utf-8")
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA, chunk_rows=2))
    assert [(r.row, r.field) for r in report.rejections] == [(2, "name")]
    assert rows_of(db, "health", "gid, id") == [(1, "h1"), (3, "h3")]
