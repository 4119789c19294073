"""Sector-data map server: GeoJSON, vector tiles and maps of a city's public services."""

from __future__ import annotations

from typing import Any

from flask import Flask

from common import logs, settings
from layers import load_catalog


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; connecting to the database waits for the first request."""
    from mapserver import agency, api, live, operations, tiles
    from mapserver.accounts import access
    from mapserver.coverage import page as coverage_page
    from mapserver.pages import routes as pages
    from mapserver.web import compress, db, errors, health

    app = Flask(__name__, instance_path=str(settings.instance_path()), instance_relative_config=True,
                static_folder=None, template_folder="web/templates")
    app.config.update(settings.load(test_config))
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["mapserver.catalog"] = load_catalog()
    logs.configure()
    errors.init_app(app)
    db.init_app(app)
    operations.init_app(app)
    compress.init_app(app)
    app.register_blueprint(health.bp)
    access.init_app(app)
    api.init_app(app)
    tiles.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(coverage_page.bp)
    agency.init_app(app)
    live.init_app(app)
    return app
