"""Items and item of one collection: one statement each, PostGIS writes the whole GeoJSON text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from layers import Layer
from mapserver.catalog import Published
from mapserver.db import ONCE
from mapserver.query import clauses as c
from mapserver.query.state import fetch_guarded


@dataclass(frozen=True)
class ItemsQuery:
    limit: int
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    properties: tuple[str, ...] = ()
    sortby: tuple[tuple[str, bool], ...] = ()

    def shape(self) -> tuple:
        """What decides the SQL text (never the values)."""
        box = None if self.bbox is None else c.crosses_antimeridian(self.bbox)
        return tuple(self.filters), box, self.properties, self.sortby


def _conditions(layer: Layer, query: ItemsQuery) -> list[sql.Composable]:
    conditions = c.equality(layer, query.filters)
    if query.bbox:
        conditions.append(c.bbox(c.crosses_antimeridian(query.bbox)))
    return conditions


def _matched(table: str, conditions: list[sql.Composable]) -> sql.Composable:
    """The catalog's feature count when nothing filters: no count(*) over a whole layer."""
    if not conditions:
        return sql.SQL("SELECT %(feature_count)s::bigint AS n")
    return sql.SQL("SELECT count(*) AS n FROM {} {}").format(c.table(table), c.where(conditions))


def items_statement(layer: Layer, table: str, query: ItemsQuery) -> sql.Composable:
    """The page as a FeatureCollection; the `next` link only when features remain after it."""
    conditions = _conditions(layer, query)
    return sql.SQL(
        "WITH page AS (SELECT {feature} AS feature FROM {table} {where} {order} LIMIT %(limit)s OFFSET %(offset)s), "
        "matched AS ({matched}) "
        "SELECT json_build_object('type', 'FeatureCollection', 'numberMatched', matched.n, "
        "'numberReturned', (SELECT count(*) FROM page), "
        "'links', CASE WHEN %(offset)s + (SELECT count(*) FROM page) < matched.n "
        "THEN %(links)s::jsonb || %(next)s::jsonb ELSE %(links)s::jsonb END, "
        "'features', coalesce((SELECT json_agg(feature) FROM page), '[]'::json))::text FROM matched"
    ).format(feature=c.feature(layer, query.properties), table=c.table(table), where=c.where(conditions),
             order=c.order_by(query.sortby), matched=_matched(table, conditions))


def items_params(published: Published, query: ItemsQuery, links: list[dict], next_link: dict) -> dict[str, Any]:
    params = c.filter_params(query.filters)
    if query.bbox:
        params.update(c.bbox_params(query.bbox))
    params.update(limit=query.limit, offset=query.offset, feature_count=published.feature_count,
                  links=json.dumps(links), next=json.dumps([next_link]))
    return params


def items_json(layer: Layer, published: Published, query: ItemsQuery, links: list[dict], next_link: dict) -> bytes:
    """Planned for each call's values: how many features a bbox or a filter value selects decides the plan."""
    return fetch_guarded(("items", published.table_name, query.shape()),
                         lambda: items_statement(layer, published.table_name, query),
                         items_params(published, query, links, next_link), [published])


def item_json(layer: Layer, published: Published, feature_id: str, links: list[dict]) -> bytes | None:
    """One feature by its stable `id`, or None."""
    def build() -> sql.Composable:
        return sql.SQL("SELECT {}::text FROM {} WHERE t.id = %(id)s").format(
            c.feature(layer, layer.field_names, members=[("links", sql.SQL("%(links)s::json"))]),
            c.table(published.table_name))

    return fetch_guarded(("item", published.table_name), build, {"id": feature_id, "links": json.dumps(links)},
                         [published], ONCE)  # a primary-key lookup whatever the id
