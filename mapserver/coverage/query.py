"""The coverage statement: for every ward, the nearest matching facility and how many lie within a radius.

One statement, exact on the spheroid (WGS 84, as pyproj.Geod measures). Each ward's nearest facility by
planar `<->` on the geometry GiST index is at some geodesic distance r, at least the true nearest's, so the
true nearest lies within r: the facilities within r (their lon/lat box on the same index, see
sql/0013_radius_box.sql, then ST_DWithin on the spheroid) are ranked by exact distance. Counts within the
radius are the same box and test.
"""

from __future__ import annotations

from psycopg2 import sql

from etl.load import table_ident

CSV_COLUMNS = ("ward_code", "ward", "ward_kind", "province_code", "area_km2", "lon", "lat",
               "nearest_id", "nearest_name", "nearest_m", "within_radius")


def _facility_filter(kind: str | None) -> sql.Composable:
    return sql.SQL("AND f.kind = %(kind)s") if kind else sql.SQL("")


def _ward_filter(province: str | None) -> sql.Composable:
    return sql.SQL("WHERE w.province_code = %(province)s") if province else sql.SQL("")


def _within(radius: str) -> str:
    """A facility `f` within `radius` metres of the ward `w`: the box on the index, the spheroid deciding."""
    return (f"f.geom && mapserver.radius_box(w.geom, {radius})"
            f" AND ST_DWithin(f.geom::geography, w.geom::geography, {radius})")


def rows_query(wards_table: str, facilities_table: str, kind: str | None, province: str | None) -> sql.Composed:
    """One row per ward with its nearest facility and the count within %(radius)s metres."""
    # + 1 m: ST_DWithin's spheroid test may exclude the planar nearest by rounding.
    return sql.SQL(
        "SELECT w.code AS ward_code, w.name AS ward, w.kind AS ward_kind, w.province_code, w.area_km2, w.geom,"
        " n.id AS nearest_id, n.name AS nearest_name, round(n.distance_m::numeric, 2) AS nearest_m,"
        " c.within AS within_radius"
        " FROM {wards} w"
        " LEFT JOIN LATERAL (SELECT f.id, f.name, d.m AS distance_m"
        "   FROM (SELECT ST_Distance(f.geom::geography, w.geom::geography) + 1 AS r FROM {facilities} f"
        "         WHERE true {kind} ORDER BY f.geom <-> w.geom LIMIT 1) q"
        "   CROSS JOIN LATERAL (SELECT f.* FROM {facilities} f WHERE " + _within("q.r") + " {kind} OFFSET 0) f"
        "   CROSS JOIN LATERAL (SELECT ST_Distance(f.geom::geography, w.geom::geography) AS m) d"
        "   ORDER BY d.m, f.id LIMIT 1) n ON true"
        " CROSS JOIN LATERAL (SELECT count(*) AS within FROM {facilities} f"
        "   WHERE " + _within("%(radius)s") + " {kind}) c"
        " {province}"
    ).format(wards=table_ident(wards_table), facilities=table_ident(facilities_table), kind=_facility_filter(kind),
             province=_ward_filter(province))


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
