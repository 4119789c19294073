"""Vector tiles: XYZ MVT and TileJSON on the API blueprint, a tile cut by one statement per layer."""

from __future__ import annotations

from flask import Flask

from mapserver.tiles import query as mvt


def init_app(app: Flask) -> None:
    """Compose each layer's tile statements once, at start-up (the routes live on the API blueprint)."""
    settings = mvt.TileSettings.from_config(app.config)
    app.extensions["mapserver.tiles"] = {
        slug: mvt.LayerTiles(layer, settings) for slug, layer in app.extensions["mapserver.catalog"].items()}
