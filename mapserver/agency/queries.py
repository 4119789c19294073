"""What the agency pages and the write API read: layers with their last load, versions, a preview, and the
transit timetable's versions."""

from __future__ import annotations

from typing import Any

from psycopg2 import sql

from etl.load import table_ident
from layers import Layer


def _rows(cur) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def layer_overview(cur, agency: str | None) -> list[dict[str, Any]]:
    """Each layer of `agency` (every layer when None): published version, features, last load and by whom."""
    cur.execute(
        "SELECT l.slug, a.slug AS agency, l.visibility, l.published_version, pv.feature_count, "
        "       last.created_at AS last_load_at, last.created_by AS last_load_by, last.version AS last_version "
        "FROM mapserver.layers l LEFT JOIN mapserver.agencies a ON a.id = l.agency_id "
        "LEFT JOIN mapserver.layer_versions pv ON pv.layer_slug = l.slug AND pv.version = l.published_version "
        "LEFT JOIN LATERAL (SELECT version, created_at, created_by FROM mapserver.layer_versions "
        "                   WHERE layer_slug = l.slug ORDER BY version DESC LIMIT 1) last ON true "
        "WHERE %(agency)s IS NULL OR a.slug = %(agency)s ORDER BY a.slug, l.slug", {"agency": agency})
    return _rows(cur)


def versions(cur, slug: str) -> list[dict[str, Any]]:
    cur.execute(
        "SELECT version, status, feature_count, source_name, created_by, created_at, published_at, published_by, "
        "rolled_back_at, rolled_back_by, bbox FROM mapserver.layer_versions WHERE layer_slug = %s "
        "ORDER BY version DESC", (slug,))
    return _rows(cur)


def version(cur, slug: str, number: int) -> dict[str, Any] | None:
    cur.execute(
        "SELECT version, status, feature_count, source_name, created_by, created_at, published_at, bbox, report "
        "FROM mapserver.layer_versions WHERE layer_slug = %s AND version = %s", (slug, number))
    rows = _rows(cur)
    return rows[0] if rows else None


def preview_geojson(cur, layer: Layer, number: int, limit: int) -> str:
    """A FeatureCollection of a kept version (published or not), built by PostGIS, at most `limit` features."""
    hidden = sql.SQL(" - ").join(sql.Literal(c) for c in ("gid", "id", "geom", "geom_3857", "search_text"))
    cur.execute(sql.SQL(
        "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object("
        "'type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 6)::json, "
        "'properties', to_jsonb(t) - {hidden})), '[]'::json))::text "
        "FROM (SELECT * FROM {table} ORDER BY gid LIMIT %s) t"
    ).format(hidden=hidden, table=table_ident(layer.version_table(number))), (limit,))
    return cur.fetchone()[0]


_NETWORK_VERSION_COLUMNS = ("version, status, counts, timezone, first_date, last_date, source_name, created_by, "
                            "created_at, published_at, published_by, rolled_back_at, rolled_back_by")


def network_versions(cur, network: str) -> list[dict[str, Any]]:
    """The timetable's versions, newest first: what each holds, its days, who loaded, published, rolled it back."""
    cur.execute(f"SELECT {_NETWORK_VERSION_COLUMNS} FROM mapserver.network_versions WHERE network_slug = %s "
                "ORDER BY version DESC", (network,))
    return _rows(cur)


def network_version(cur, network: str, number: int) -> dict[str, Any] | None:
    """One timetable version with its load report."""
    cur.execute(f"SELECT {_NETWORK_VERSION_COLUMNS}, report FROM mapserver.network_versions "
                "WHERE network_slug = %s AND version = %s", (network, number))
    rows = _rows(cur)
    return rows[0] if rows else None
