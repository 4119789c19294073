"""Items and item of one collection: one statement each, PostGIS writes the whole GeoJSON text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from layers import Layer
from mapserver.catalog import Published
from mapserver.db import run_query
from mapserver.query import clauses as c


@dataclass(frozen=True)
class ItemsQuery:
    limit: int
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    properties: tuple[str, ...] = ()
    sortby: tuple[tuple[str, bool], ...] = ()


def _conditions(layer: Layer, query: ItemsQuery) -> tuple[list[sql.Composable], dict[str, Any]]:
    conditions = c.equality(layer, query.filters)
    params = c.filter_params(query.filters)
    if query.bbox:
        condition, box_params = c.bbox(query.bbox)
        conditions.append(condition)
        params.update(box_params)
    return conditions, params


def _matched(published: Published, conditions: list[sql.Composable]) -> sql.Composable:
    """The catalog's feature count when nothing filters: no count(*) over a whole layer."""
    if not conditions:
        return sql.SQL("SELECT {}::bigint AS n").format(sql.Literal(published.feature_count))
    return sql.SQL("SELECT count(*) AS n FROM {} {}").format(c.table(published.table_name), c.where(conditions))


def items_sql(layer: Layer, published: Published, query: ItemsQuery, links: list[dict],
              next_link: dict) -> tuple[sql.Composable, dict[str, Any]]:
    """The page as a FeatureCollection; the `next` link only when features remain after it."""
    conditions, params = _conditions(layer, query)
    statement = sql.SQL(
        "WITH page AS (SELECT {feature} AS feature FROM {table} {where} {order} LIMIT %(limit)s OFFSET %(offset)s), "
        "matched AS ({matched}) "
        "SELECT json_build_object('type', 'FeatureCollection', 'numberMatched', matched.n, "
        "'numberReturned', (SELECT count(*) FROM page), "
        "'links', CASE WHEN %(offset)s + (SELECT count(*) FROM page) < matched.n "
        "THEN %(links)s::jsonb || %(next)s::jsonb ELSE %(links)s::jsonb END, "
        "'features', coalesce((SELECT json_agg(feature) FROM page), '[]'::json))::text FROM matched"
    ).format(feature=c.feature(layer, query.properties), table=c.table(published.table_name),
             where=c.where(conditions), order=c.order_by(query.sortby), matched=_matched(published, conditions))
    params.update(limit=query.limit, offset=query.offset, links=json.dumps(links), next=json.dumps([next_link]))
    return statement, params


def items_json(layer: Layer, published: Published, query: ItemsQuery, links: list[dict], next_link: dict) -> str:
    with run_query(*items_sql(layer, published, query, links, next_link)) as cur:
        return cur.fetchone()[0]


def item_json(layer: Layer, published: Published, feature_id: str, links: list[dict]) -> str | None:
    """One feature by its stable `id`, or None."""
    statement = sql.SQL("SELECT {}::text FROM {} WHERE t.id = %(id)s").format(
        c.feature(layer, layer.field_names, members=[("links", sql.SQL("%(links)s::json"))]),
        c.table(published.table_name))
    with run_query(statement, {"id": feature_id, "links": json.dumps(links)}) as cur:
        row = cur.fetchone()
    return row[0] if row else None
