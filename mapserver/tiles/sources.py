"""Which tables a tile is cut from now, and the versioned URLs that name them (TileJSON, the map page)."""

from __future__ import annotations

from flask import request

from layers import Layer
from mapserver.tiles import query as mvt
from mapserver.web.catalog import published
from mapserver.web.db import read_on
from mapserver.web.errors import LayerNotFound


def _published_sources(cur, layers: tuple[Layer, ...]) -> tuple[mvt.TileSource, ...]:
    sources = []
    for layer in layers:
        current = published(cur, layer.slug)
        if current is None:
            raise LayerNotFound("This layer has no published data yet.", "Lớp này chưa có dữ liệu được công bố.")
        sources.append(mvt.TileSource(layer, current.version, current.table_name, current.bbox))
    return tuple(sources)


def tile_url_template(spec: str, version: str | None) -> str:
    """The versioned XYZ template of a layer spec, as TileJSON and the map page hand it out; the plain one
    (`version` None) for a spec with a live layer, whose tiles change without a new version."""
    where = f"{spec}/v{version}" if version else spec
    return f"{request.url_root.rstrip('/')}/api/tiles/{where}/{{z}}/{{x}}/{{y}}.mvt"


def spec_of(sources: tuple[mvt.TileSource, ...]) -> str:
    return ",".join(s.layer.slug for s in sources)


def version_of(sources: tuple[mvt.TileSource, ...]) -> str | None:
    if any(s.layer.live for s in sources):
        return None
    return "-".join(str(s.version) for s in sources)


def current_sources(layers: tuple[Layer, ...]) -> tuple[mvt.TileSource, ...]:
    """The published version of each layer, read now (for TileJSON and the map page)."""
    return read_on(lambda cur: _published_sources(cur, layers))
