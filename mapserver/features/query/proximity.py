"""Nearest, nearby and within: KNN index order for candidates, exact geodesic distance to finish.

Exactness: the k nearest by planar `<->` (on the geom GiST index) bound the search: the largest
geodesic distance among them, r, is at least the true k-th nearest distance, so every true answer
lies within r. A second scan takes the features within r (the geometry index finds r's lon/lat box,
`ST_DWithin` on the spheroid decides) and ranks them by exact distance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from layers import Layer
from mapserver.features.query import clauses as c
from mapserver.web.catalog import Published
from mapserver.web.db import ONCE
from mapserver.web.state import fetch_guarded

DISTANCE = sql.SQL("round(d.m::numeric, 1)")
PLAN = ONCE  # see _run


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

    def shape(self) -> tuple:
        return self.n, self.published.table_name, tuple(self.filters)

    def params(self) -> dict[str, Any]:
        return {**c.filter_params(self.filters, self.param("f_")), self.param("slug"): self.layer.slug}


def _feature(target: Target, with_layer: bool) -> sql.Composable:
    extra = [("distance_m", DISTANCE)]
    if with_layer:
        extra.insert(0, ("layer", sql.SQL("{}::text").format(sql.Placeholder(target.param("slug")))))
    return c.feature(target.layer, target.layer.field_names, extra)


def _distance_join() -> sql.Composable:
    return sql.SQL("CROSS JOIN LATERAL (SELECT {} AS m) d").format(c.geodesic_distance())


def nearest_rows(target: Target, limit: str, max_distance: str | None, with_layer: bool = False) -> sql.Composable:
    """(feature, m, id) rows of the `limit` nearest features, exact by geodesic distance."""
    conditions = c.equality(target.layer, target.filters, target.param("f_"))
    table = c.table(target.published.table_name)
    # + 1 m: ST_DWithin's spheroid test may exclude the farthest candidate by rounding; extra rows only re-rank.
    reach = sql.SQL("(SELECT max({dist}) + 1 FROM (SELECT t.geom FROM {table} {where} "
                    "ORDER BY t.geom <-> {pt} LIMIT {limit}) t)").format(
        dist=c.geodesic_distance(), table=table, where=c.where(conditions), pt=c.point(),
        limit=sql.Placeholder(limit))
    if max_distance:
        reach = sql.SQL("least({}, {})").format(reach, sql.Placeholder(max_distance))
    # OFFSET 0 fences the radius scan: the filters apply to its few rows instead of tempting the
    # planner into AND-ing a bitmap of every row of that kind (15 ms of 31 at 1M points).
    # The reach is computed once (`q`, kept apart by OFFSET 0: flattened, it would be run for the box and
    # again for the exact test), then bounds the radius scan's box and its test.
    return sql.SQL(
        "(SELECT {feature} AS feature, d.m, t.id FROM (SELECT {reach} AS r OFFSET 0) q "
        "CROSS JOIN LATERAL (SELECT t.* FROM {table} WHERE {within} OFFSET 0) t "
        "{distance} {where} ORDER BY d.m, t.id LIMIT {limit})").format(
        feature=_feature(target, with_layer), reach=reach, table=table, within=c.within(sql.SQL("q.r")),
        distance=_distance_join(), where=c.where(conditions), limit=sql.Placeholder(limit))


def within_rows(target: Target, limit: str, radius: str) -> sql.Composable:
    conditions = c.equality(target.layer, target.filters, target.param("f_"))
    conditions.append(c.within(sql.Placeholder(radius)))
    return sql.SQL(
        "(SELECT {feature} AS feature, d.m, t.id FROM {table} {distance} {where} ORDER BY d.m, t.id LIMIT {limit})"
    ).format(feature=_feature(target, False), table=c.table(target.published.table_name),
             distance=_distance_join(), where=c.where(conditions), limit=sql.Placeholder(limit))


def _collection(rows: sql.Composable, order: sql.Composable = sql.SQL("s.m, s.id")) -> sql.Composable:
    return sql.SQL(
        "SELECT json_build_object('type', 'FeatureCollection', 'numberReturned', count(*), "
        "'features', coalesce(json_agg(s.feature ORDER BY {}), '[]'::json))::text FROM ({}) s").format(order, rows)


EMPTY = sql.SQL("SELECT json_build_object('type', 'FeatureCollection', 'numberReturned', 0, "
                "'features', '[]'::json)::text")


def nearest_statement(target: Target, bounded: bool) -> sql.Composable:
    return _collection(nearest_rows(target, "limit", "max_distance" if bounded else None))


def nearby_statement(targets: list[Target]) -> sql.Composable:
    """One statement for every layer: a UNION ALL of each layer's nearest within the radius."""
    if not targets:
        return EMPTY
    parts = [sql.SQL("SELECT {} AS n, q.* FROM {} q").format(
        sql.Literal(t.n), nearest_rows(t, "per_layer", "radius", with_layer=True)) for t in targets]
    return _collection(sql.SQL(" UNION ALL ").join(parts), sql.SQL("s.n, s.m, s.id"))


def within_statement(target: Target) -> sql.Composable:
    return _collection(within_rows(target, "limit", "radius"))


def _run(key: tuple, build, params: dict[str, Any], targets: list[Target]) -> bytes:
    """Planned once per connection: whatever the place, radius or filter values, the plan is the same
    (KNN order on the geometry index, then the radius's box on the same index)."""
    return fetch_guarded(key, build, params, [t.published for t in targets], PLAN)


def nearest_json(target: Target, place: Place, limit: int, max_distance: float | None) -> bytes:
    bounded = max_distance is not None
    params = {**target.params(), "lon": place.lon, "lat": place.lat, "limit": limit, "max_distance": max_distance}
    return _run(("nearest", target.shape(), bounded), lambda: nearest_statement(target, bounded), params,
                [target])


def nearby_json(targets: list[Target], place: Place, per_layer: int, radius: float) -> bytes:
    params = {"lon": place.lon, "lat": place.lat, "per_layer": per_layer, "radius": radius}
    for target in targets:
        params.update(target.params())
    return _run(("nearby", tuple(t.shape() for t in targets)), lambda: nearby_statement(targets), params, targets)


def within_json(target: Target, place: Place, limit: int, radius: float) -> bytes:
    params = {**target.params(), "lon": place.lon, "lat": place.lat, "limit": limit, "radius": radius}
    return _run(("within", target.shape()), lambda: within_statement(target), params, [target])
