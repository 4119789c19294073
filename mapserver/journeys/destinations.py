"""The places of a layer a citizen may be sent to: each feature with a point to walk to.

One statement per question, read from the layer's published version like any feature query (guarded the
same way, see mapserver.web.state); a line or an area is reached at its point on surface.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg2 import sql

from mapserver.features.query import clauses as c
from mapserver.features.query.proximity import Target
from mapserver.web.state import fetch_guarded


@dataclass
class Destinations:
    features: list[dict[str, Any]]
    lon: np.ndarray
    lat: np.ndarray


def _statement(target: Target, limit: str) -> sql.Composable:
    at = sql.SQL("ST_PointOnSurface(t.geom)")
    return sql.SQL(
        "SELECT coalesce(json_agg(json_build_array({feature}, ST_X({at}), ST_Y({at})) ORDER BY t.id), '[]'::json)"
        "::text FROM (SELECT t.* FROM {table} {where} ORDER BY t.id LIMIT {limit}) t").format(
        feature=c.feature(target.layer, target.layer.field_names), at=at, table=c.table(target.published.table_name),
        where=c.where(c.equality(target.layer, target.filters, target.param("f_"))), limit=sql.Placeholder(limit))


def destinations(target: Target, most: int) -> Destinations:
    """At most `most` features of the layer matching its filters, by id."""
    text = fetch_guarded(("destinations", target.shape()), lambda: _statement(target, "most"),
                         {**target.params(), "most": most}, [target.published])
    rows = json.loads(text or "[]")
    return Destinations([r[0] for r in rows], np.array([r[1] for r in rows], dtype=float),
                        np.array([r[2] for r in rows], dtype=float))
