"""Small named SQL clauses shared by the read queries; identifiers only ever come from the catalog.

Every table is aliased `t`; values are named placeholders the caller binds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg2 import sql

from layers import Layer

SCHEMA = "layer_data"
COORD_DECIMALS = 7  # ~1 cm at the equator: enough for any city map, and smaller answers


def table(table_name: str) -> sql.Composable:
    return sql.SQL("{} t").format(sql.Identifier(SCHEMA, table_name))


def column(name: str) -> sql.Composable:
    return sql.SQL("t.{}").format(sql.Identifier(name))


def point(prefix: str = "") -> sql.Composable:
    """The request's place; constant within a statement, so the planner folds it once."""
    return sql.SQL("ST_SetSRID(ST_MakePoint({}, {}), 4326)").format(
        sql.Placeholder(f"{prefix}lon"), sql.Placeholder(f"{prefix}lat"))


def geodesic_distance(prefix: str = "") -> sql.Composable:
    """Metres on the WGS84 spheroid (geography), exact for points and lines alike."""
    return sql.SQL("ST_Distance(t.geom::geography, {}::geography)").format(point(prefix))


def properties(layer: Layer, names: Sequence[str], extra: Iterable[tuple[str, sql.Composable]] = ()) -> sql.Composable:
    pairs = [sql.SQL("{}, {}").format(sql.Literal(n), column(n)) for n in names]
    pairs += [sql.SQL("{}, {}").format(sql.Literal(n), expr) for n, expr in extra]
    return sql.SQL("json_build_object({})").format(sql.SQL(", ").join(pairs))


def feature(layer: Layer, names: Sequence[str], extra: Iterable[tuple[str, sql.Composable]] = (),
            members: Iterable[tuple[str, sql.Composable]] = ()) -> sql.Composable:
    """One RFC 7946 Feature: the stable `id`, WGS84 geometry, the chosen properties (+ computed ones)."""
    more = sql.SQL("").join(sql.SQL(", {}, {}").format(sql.Literal(n), expr) for n, expr in members)
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, {})::json, "
        "'properties', {}{})").format(sql.Literal(COORD_DECIMALS), properties(layer, names, extra), more)


def equality(layer: Layer, filters: dict[str, Any], prefix: str = "f_") -> list[sql.Composable]:
    """`field = value`, or membership for a list field (GIN-indexed `@>`)."""
    conditions = []
    for name in filters:
        template = "{} @> ARRAY[{}]::text[]" if layer.field(name).type == "text[]" else "{} = {}"
        conditions.append(sql.SQL(template).format(column(name), sql.Placeholder(prefix + name)))
    return conditions


def filter_params(filters: dict[str, Any], prefix: str = "f_") -> dict[str, Any]:
    return {prefix + name: value for name, value in filters.items()}


def bbox(crossing: bool) -> sql.Composable:
    """Index-backed `&&` on the box; a box whose west is east of its east crosses the antimeridian."""
    envelope = "t.geom && ST_MakeEnvelope({}, {}, {}, {}, 4326)"
    w, s, e, n = (sql.Placeholder(n) for n in ("bbox_w", "bbox_s", "bbox_e", "bbox_n"))
    if not crossing:
        return sql.SQL(envelope).format(w, s, e, n)
    return sql.SQL("(" + envelope + " OR " + envelope + ")").format(
        w, s, sql.Literal(180.0), n, sql.Literal(-180.0), s, e, n)


def bbox_params(box: tuple[float, float, float, float]) -> dict[str, float]:
    return dict(zip(("bbox_w", "bbox_s", "bbox_e", "bbox_n"), box, strict=True))


def crosses_antimeridian(box: tuple[float, float, float, float] | None) -> bool:
    return box is not None and box[0] > box[2]


def valid_during(has_start: bool, has_end: bool) -> list[sql.Composable]:
    """A live feature's window meets [valid_start, valid_end] (an instant when both are equal; None: open)."""
    conditions = []
    if has_end:
        conditions.append(sql.SQL("(t.valid_from IS NULL OR t.valid_from <= %(valid_end)s)"))
    if has_start:
        conditions.append(sql.SQL("(t.valid_to IS NULL OR t.valid_to > %(valid_start)s)"))
    return conditions


def within(radius: sql.Composable, prefix: str = "") -> sql.Composable:
    """Geodesic radius test: the geometry index finds the radius's lon/lat box (sql/0013_radius_box.sql),
    the spheroid decides."""
    return sql.SQL("t.geom && mapserver.radius_box({pt}, {r}) AND ST_DWithin(t.geom::geography, {pt}::geography, {r})"
                   ).format(pt=point(prefix), r=radius)


def where(conditions: Sequence[sql.Composable]) -> sql.Composable:
    if not conditions:
        return sql.SQL("")
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(conditions)


def order_by(keys: Sequence[tuple[str, bool]]) -> sql.Composable:
    """Requested keys, then `gid` so that pages never overlap or skip."""
    parts = [sql.SQL("{} {}").format(column(n), sql.SQL("DESC" if desc else "ASC")) for n, desc in keys]
    return sql.SQL("ORDER BY ") + sql.SQL(", ").join([*parts, sql.SQL("t.gid")])
