"""Nearest, nearby and within: KNN index order for candidates, exact geodesic distance to finish.

Exactness: the k nearest by planar `<->` (on the geom GiST index) bound the search: the largest
geodesic distance among them, r, is at least the true k-th nearest distance, so every true answer
lies within r. A second, index-backed `ST_DWithin(geography, r)` then ranks by exact distance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from layers import Layer
from mapserver.catalog import Published
from mapserver.db import run_query
from mapserver.query import clauses as c

DISTANCE = sql.SQL("round(d.m::numeric, 1)")


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float


@dataclass(frozen=True)
class Target:
    """One layer to look in, with its equality filters; `n` keeps placeholders apart in a UNION."""
    layer: Layer
    published: Published
    filters: dict[str, Any] = field(default_factory=dict)
    n: int = 0

    def param(self, name: str) -> str:
        return f"t{self.n}_{name}"


def _filters(target: Target) -> tuple[list[sql.Composable], dict[str, Any]]:
    prefix = target.param("f_")
    return c.equality(target.layer, target.filters, prefix), c.filter_params(target.filters, prefix)


def _feature(target: Target, with_layer: bool) -> sql.Composable:
    extra = [("distance_m", DISTANCE)]
    if with_layer:
        extra.insert(0, ("layer", sql.Placeholder(target.param("slug"))))
    return c.feature(target.layer, target.layer.field_names, extra)


def _distance_join() -> sql.Composable:
    return sql.SQL("CROSS JOIN LATERAL (SELECT {} AS m) d").format(c.geodesic_distance())


def nearest_rows(target: Target, limit: str, max_distance: str | None, with_layer: bool = False
                 ) -> tuple[sql.Composable, dict[str, Any]]:
    """(feature, m, id) rows of the `limit` nearest features, exact by geodesic distance."""
    conditions, params = _filters(target)
    table = c.table(target.published.table_name)
    # + 1 m: ST_DWithin's spheroid test may exclude the farthest candidate by rounding; extra rows only re-rank.
    reach = sql.SQL("(SELECT max({dist}) + 1 FROM (SELECT t.geom FROM {table} {where} "
                    "ORDER BY t.geom <-> {pt} LIMIT {limit}) t)").format(
        dist=c.geodesic_distance(), table=table, where=c.where(conditions), pt=c.point(),
        limit=sql.Placeholder(limit))
    if max_distance:
        reach = sql.SQL("least({}, {})").format(reach, sql.Placeholder(max_distance))
    statement = sql.SQL(
        "(SELECT {feature} AS feature, d.m, t.id FROM {table} {distance} {where} "
        "ORDER BY d.m, t.id LIMIT {limit})").format(
        feature=_feature(target, with_layer), table=table, distance=_distance_join(),
        where=c.where([*conditions, c.within(reach)]), limit=sql.Placeholder(limit))
    params[target.param("slug")] = target.layer.slug
    return statement, params


def within_rows(target: Target, limit: str, radius: str) -> tuple[sql.Composable, dict[str, Any]]:
    conditions, params = _filters(target)
    conditions.append(c.within(sql.Placeholder(radius)))
    statement = sql.SQL(
        "(SELECT {feature} AS feature, d.m, t.id FROM {table} {distance} {where} ORDER BY d.m, t.id LIMIT {limit})"
    ).format(feature=_feature(target, False), table=c.table(target.published.table_name),
             distance=_distance_join(), where=c.where(conditions), limit=sql.Placeholder(limit))
    return statement, params


def _collection(rows: sql.Composable, order: sql.Composable = sql.SQL("s.m, s.id")) -> sql.Composable:
    return sql.SQL(
        "SELECT json_build_object('type', 'FeatureCollection', 'numberReturned', count(*), "
        "'features', coalesce(json_agg(s.feature ORDER BY {}), '[]'::json))::text FROM ({}) s").format(order, rows)


def nearest_sql(target: Target, place: Place, limit: int, max_distance: float | None
                ) -> tuple[sql.Composable, dict[str, Any]]:
    rows, params = nearest_rows(target, "limit", "max_distance" if max_distance is not None else None)
    params.update(lon=place.lon, lat=place.lat, limit=limit, max_distance=max_distance)
    return _collection(rows), params


def nearby_sql(targets: list[Target], place: Place, per_layer: int, radius: float
               ) -> tuple[sql.Composable, dict[str, Any]]:
    """One statement for every layer: a UNION ALL of each layer's nearest within the radius."""
    parts, params = [], {"lon": place.lon, "lat": place.lat, "per_layer": per_layer, "radius": radius}
    for target in targets:
        rows, p = nearest_rows(target, "per_layer", "radius", with_layer=True)
        parts.append(sql.SQL("SELECT {} AS n, q.* FROM {} q").format(sql.Literal(target.n), rows))
        params.update(p)
    if not parts:
        return sql.SQL("SELECT json_build_object('type', 'FeatureCollection', 'numberReturned', 0, "
                       "'features', '[]'::json)::text"), params
    return _collection(sql.SQL(" UNION ALL ").join(parts), sql.SQL("s.n, s.m, s.id")), params


def within_sql(target: Target, place: Place, limit: int, radius: float) -> tuple[sql.Composable, dict[str, Any]]:
    rows, params = within_rows(target, "limit", "radius")
    params.update(lon=place.lon, lat=place.lat, limit=limit, radius=radius)
    return _collection(rows), params


def run(statement_and_params: tuple[sql.Composable, dict[str, Any]]) -> str:
    with run_query(*statement_and_params) as cur:
        return cur.fetchone()[0]
