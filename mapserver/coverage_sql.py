"""The coverage statement: for every ward, the nearest matching facility and how many lie within a radius.

One statement, exact on the spheroid (WGS 84, as pyproj.Geod measures), served by the geometry GiST index
alone. Nearest: the facility nearest in lon/lat (`<->`) lies at some geodesic distance r from the ward, so
the geodesically nearest lies within r; the lon/lat box holding that circle (`mapserver.geodesic_box`), then
ST_DWithin on geography, gives the candidates (r + 1 m: the spheroid test may round the farthest one out),
and the nearest of them by exact distance (then id) wins. Count: the same box and test for the radius.
Wards are points (their centres), as the box needs.
"""

from __future__ import annotations

from psycopg2 import sql

from etl.load import table_ident

CSV_COLUMNS = ("ward_code", "ward", "ward_kind", "province_code", "area_km2", "lon", "lat",
               "nearest_id", "nearest_name", "nearest_m", "within_radius")


def _facility_filter(kind: str | None, alias: str = "f") -> sql.Composable:
    return sql.SQL("AND {}.kind = %(kind)s").format(sql.Identifier(alias)) if kind else sql.SQL("")


def _within(radius: sql.Composable) -> sql.Composable:
    return sql.SQL("f.geom && mapserver.geodesic_box(w.geom, {r})"
                   " AND ST_DWithin(f.geom::geography, w.geom::geography, {r})").format(r=radius)


def _ward_filter(province: str | None) -> sql.Composable:
    return sql.SQL("WHERE w.province_code = %(province)s") if province else sql.SQL("")


def rows_query(wards_table: str, facilities_table: str, kind: str | None, province: str | None) -> sql.Composed:
    """One row per ward with its nearest facility and the count within %(radius)s metres."""
    return sql.SQL(
        "SELECT w.code AS ward_code, w.name AS ward, w.kind AS ward_kind, w.province_code, w.area_km2, w.geom,"
        " n.id AS nearest_id, n.name AS nearest_name, round(n.distance_m::numeric, 2) AS nearest_m,"
        " c.within AS within_radius"
        " FROM {wards} w"
        " LEFT JOIN LATERAL (SELECT f.id, f.name, ST_Distance(f.geom::geography, w.geom::geography) AS distance_m"
        "   FROM (SELECT ST_Distance(k.geom::geography, w.geom::geography) + 1 AS m FROM {facilities} k"
        "         WHERE true {kind_k} ORDER BY k.geom <-> w.geom LIMIT 1) reach, {facilities} f"
        "   WHERE {within_reach} {kind} ORDER BY distance_m, f.id LIMIT 1) n ON true"
        " CROSS JOIN LATERAL (SELECT count(*) AS within FROM {facilities} f WHERE {within_radius} {kind}) c"
        " {province}"
    ).format(wards=table_ident(wards_table), facilities=table_ident(facilities_table), kind=_facility_filter(kind),
             kind_k=_facility_filter(kind, "k"), within_reach=_within(sql.SQL("reach.m")),
             within_radius=_within(sql.SQL("%(radius)s")), province=_ward_filter(province))


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
