"""Who may read which layer: the one place the read API asks (tokens join here later)."""

from __future__ import annotations

from layers import Layer
from mapserver.catalog import catalog, get_layer
from mapserver.errors import LayerNotFound


def can_read(layer: Layer) -> bool:
    """Public layers for everyone; an internal layer is invisible, as if it did not exist."""
    return layer.visibility == "public"


def readable_layers() -> list[Layer]:
    """The catalog's layers this request may see, in catalog order."""
    return [layer for layer in catalog().values() if can_read(layer)]


def get_readable_layer(slug: str) -> Layer:
    """The layer behind a URL segment or parameter, or 404 when unknown or not readable."""
    layer = get_layer(slug)
    if not can_read(layer):
        raise LayerNotFound()
    return layer
