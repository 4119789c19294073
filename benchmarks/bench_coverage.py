"""Service coverage for every ward of the country (3,321) against the demo city's health facilities.

The statement is the one `/api/coverage` runs (built by the same functions in mapserver.coverage.query), timed
straight against PostGIS on a throwaway database with the whole country's wards and the demo health layer. Beside it,
in the same run, the naive form: every ward against every facility (a cross join with exact distances), which is
what the lateral KNN join avoids. Target: all 3,321 wards well under a second.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import psycopg2

from common.settings import DEFAULTS
from etl.admin_units import wards_area, write_wards_file
from etl.demo import generate_demo_city
from etl.pipeline import LoadOptions, load_file
from etl.schema import bring_up
from layers import load_catalog
from mapserver.coverage import query as coverage_sql
from tests import pg

REPEAT = 5
PARAMS = {"layer": "health", "kind": "vaccination", "radius": 2000.0, "province": None}
# Every ward against every facility: the exact nearest, to time and to check the KNN answer against.
NAIVE = (
    "SELECT json_object_agg(code, d) FROM (SELECT DISTINCT ON (w.code) w.code,"
    " round(ST_Distance(f.geom::geography, w.geom::geography)::numeric, 2) AS d"
    " FROM layer_data.wards_v1 w CROSS JOIN layer_data.health_v1 f WHERE f.kind = %(kind)s"
    " ORDER BY w.code, d) nearest"
)


def _load(conn, workdir: Path) -> None:
    catalog = load_catalog()
    bring_up(conn, catalog)
    wards = write_wards_file(workdir / "wards.geojson", "all")
    load_file(conn, catalog["wards"], wards, LoadOptions(area=wards_area(wards), progress=False))
    health = generate_demo_city(workdir / "demo")["health"]
    load_file(conn, catalog["health"], health, LoadOptions(area=DEFAULTS["AREA_BBOX"], progress=False))


def _time(cur, statement, params) -> tuple[float, object]:
    runs = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        cur.execute(statement, params)
        result = cur.fetchone()[0]
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def main() -> None:
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_bench")
    try:
        conn = psycopg2.connect(pg.dsn_for(url, name))
        with tempfile.TemporaryDirectory() as tmp:
            _load(conn, Path(tmp))
        with conn.cursor() as cur:
            cur.execute(coverage_sql.NO_JIT)
            cur.execute("SELECT count(*) FROM layer_data.wards_v1")
            wards = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM layer_data.health_v1 WHERE kind = %(kind)s", PARAMS)
            facilities = cur.fetchone()[0]
            rows = coverage_sql.rows_query("wards_v1", "health_v1", PARAMS["kind"], None)
            knn, collection = _time(cur, coverage_sql.geojson_query(rows), PARAMS)
            one_city, _ = _time(cur, coverage_sql.geojson_query(
                coverage_sql.rows_query("wards_v1", "health_v1", PARAMS["kind"], "79")), PARAMS | {"province": "79"})
            naive, exact = _time(cur, NAIVE, PARAMS)
        conn.close()
        print(f"coverage of {wards} wards by {facilities} vaccination points (radius 2 km), median of {REPEAT}:")
        print(f"  lateral KNN join, whole country (GeoJSON): {knn * 1000:8.1f} ms")
        print(f"  lateral KNN join, Ho Chi Minh City (168):  {one_city * 1000:8.1f} ms")
        print(f"  naive cross join, nearest only:            {naive * 1000:8.1f} ms")
        found = {f["id"]: f["properties"]["nearest_m"] for f in json.loads(collection)["features"]}
        off = [abs(found[code] - float(d)) for code, d in exact.items()]
        print(f"  lateral KNN join vs exact: {sum(o > 0.01 for o in off)} of {len(off)} wards"
              f" differ (largest difference {max(off):.2f} m)")
        print(f"  ratio naive / KNN: {naive / knn:.1f}x; target < 1000 ms for the country: "
              f"{'met' if knn < 1.0 else 'NOT met'}")
    finally:
        pg.drop_database(url, name)
