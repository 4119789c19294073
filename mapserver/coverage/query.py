"""The coverage statement: for every ward, the nearest matching facility and how many lie within a radius.

One statement. Each ward takes its CANDIDATES nearest facilities from the geography GiST index (`<->` on
geography measures on the sphere), then keeps the one nearest on the spheroid (WGS 84, as pyproj.Geod measures).
The sphere and the spheroid order two facilities differently only when their distances differ by less than
about 0.7 %, so the spheroid's nearest is among the sphere's first three unless three others crowd into that
band; each extra candidate costs a deeper walk of the index, measured in benchmarks/bench_coverage.py.
"""

from __future__ import annotations

from psycopg2 import sql

from etl.load import table_ident

CANDIDATES = 3
CSV_COLUMNS = ("ward_code", "ward", "ward_kind", "province_code", "area_km2", "lon", "lat",
               "nearest_id", "nearest_name", "nearest_m", "within_radius")


def _facility_filter(kind: str | None) -> sql.Composable:
    return sql.SQL("AND f.kind = %(kind)s") if kind else sql.SQL("")


def _ward_filter(province: str | None) -> sql.Composable:
    return sql.SQL("WHERE w.province_code = %(province)s") if province else sql.SQL("")


def rows_query(wards_table: str, facilities_table: str, kind: str | None, province: str | None) -> sql.Composed:
    """One row per ward with its nearest facility and the count within %(radius)s metres."""
    return sql.SQL(
        "SELECT w.code AS ward_code, w.name AS ward, w.kind AS ward_kind, w.province_code, w.area_km2, w.geom,"
        " n.id AS nearest_id, n.name AS nearest_name, round(n.distance_m::numeric, 2) AS nearest_m,"
        " c.within AS within_radius"
        " FROM {wards} w"
        " LEFT JOIN LATERAL (SELECT cand.id, cand.name, cand.distance_m FROM ("
        "   SELECT f.id, f.name, ST_Distance(f.geom::geography, w.geom::geography) AS distance_m"
        "   FROM {facilities} f WHERE true {kind}"
        "   ORDER BY f.geom::geography <-> w.geom::geography LIMIT {k}) cand"
        "   ORDER BY cand.distance_m, cand.id LIMIT 1) n ON true"
        " CROSS JOIN LATERAL (SELECT count(*) AS within FROM {facilities} f"
        "   WHERE ST_DWithin(f.geom::geography, w.geom::geography, %(radius)s) {kind}) c"
        " {province}"
    ).format(wards=table_ident(wards_table), facilities=table_ident(facilities_table), kind=_facility_filter(kind),
             k=sql.Literal(CANDIDATES), province=_ward_filter(province))


_ORDER = sql.SQL("nearest_m DESC NULLS FIRST, ward_code")


def geojson_query(rows: sql.Composed) -> sql.Composed:
    """A FeatureCollection as text, worst-served wards first."""
    return sql.SQL(
        "SELECT json_build_object('type', 'FeatureCollection', 'layer', %(layer)s::text, 'kind', %(kind)s::text,"
        " 'province', %(province)s::text, 'radius_m', %(radius)s::float8, 'numberReturned', count(*),"
        " 'features', coalesce(json_agg(json_build_object('type', 'Feature', 'id', r.ward_code,"
        "   'geometry', ST_AsGeoJSON(r.geom, 6)::json,"
        "   'properties', json_build_object('ward_code', r.ward_code, 'ward', r.ward, 'ward_kind', r.ward_kind,"
        "     'province_code', r.province_code, 'area_km2', r.area_km2, 'nearest_id', r.nearest_id,"
        "     'nearest_name', r.nearest_name, 'nearest_m', r.nearest_m, 'within_radius', r.within_radius))"
        "   ORDER BY {order}), '[]'::json))::text"
        " FROM ({rows}) r"
    ).format(rows=rows, order=_ORDER)


def csv_query(rows: sql.Composed) -> sql.Composed:
    """The same rows flat, for COPY ... TO STDOUT (CSV)."""
    return sql.SQL(
        "SELECT r.ward_code, r.ward, r.ward_kind, r.province_code, r.area_km2,"
        " round(ST_X(r.geom)::numeric, 6) AS lon, round(ST_Y(r.geom)::numeric, 6) AS lat,"
        " r.nearest_id, r.nearest_name, r.nearest_m, r.within_radius FROM ({rows}) r ORDER BY {order}"
    ).format(rows=rows, order=_ORDER)


# The statement's cost estimate trips PostgreSQL's JIT, which then spends longer compiling than the query runs.
NO_JIT = "SET LOCAL jit = off"
