"""Sector-data map server: GeoJSON, vector tiles and maps of a city's public services."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from layers import load_catalog


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; connecting to the database waits for the first request."""
    from mapserver import access, agency, api, compress, coverage_page, db, errors, health, pages, tiles
    from mapserver.config import load_config

    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    load_config(app, test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["mapserver.catalog"] = load_catalog()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    errors.init_app(app)
    db.init_app(app)
    compress.init_app(app)
    app.register_blueprint(health.bp)
    access.init_app(app)
    api.init_app(app)
    tiles.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(coverage_page.bp)
    agency.init_app(app)
    return app
