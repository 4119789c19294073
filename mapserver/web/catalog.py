"""Request-side access to the layer catalog: slug -> Layer, and which version is published now."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from layers import Layer
from mapserver.web.errors import LayerNotFound


@dataclass(frozen=True)
class Published:
    slug: str
    version: int
    table_name: str
    feature_count: int
    bbox: tuple[float, float, float, float] | None


def catalog() -> dict[str, Layer]:
    return current_app.extensions["mapserver.catalog"]


def get_layer(slug: str) -> Layer:
    """The catalog entry for a URL segment, or 404: no request value names a table directly."""
    layer = catalog().get(slug)
    if layer is None:
        raise LayerNotFound()
    return layer


# The versions readers see now: primary-key lookups (the read API remembers them, see state.py).
PUBLISHED_SQL = (
    "SELECT l.slug, v.version, v.table_name, v.feature_count, v.bbox FROM mapserver.layers l "
    "JOIN mapserver.layer_versions v ON v.layer_slug = l.slug AND v.version = l.published_version "
    "WHERE l.slug = ANY(%s)")


def published_from(rows) -> dict[str, Published]:
    """PUBLISHED_SQL's rows by slug; layers never published are absent."""
    return {r[0]: Published(r[0], r[1], r[2], r[3], tuple(r[4]) if r[4] else None) for r in rows}


def published(cur, slug: str) -> Published | None:
    cur.execute(PUBLISHED_SQL, ([slug],))
    return published_from(cur.fetchall()).get(slug)
