"""Request-side access to the layer catalog: slug -> Layer, and which version is published now."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from layers import Layer
from mapserver.errors import LayerNotFound


@dataclass(frozen=True)
class Published:
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


def published(cur, slug: str) -> Published | None:
    """The version readers see now; one primary-key lookup, no cache another process must agree with."""
    cur.execute(
        "SELECT v.version, v.table_name, v.feature_count, v.bbox FROM mapserver.layers l "
        "JOIN mapserver.layer_versions v ON v.layer_slug = l.slug AND v.version = l.published_version "
        "WHERE l.slug = %s", (slug,))
    row = cur.fetchone()
    if row is None:
        return None
    return Published(row[0], row[1], row[2], tuple(row[3]) if row[3] else None)
