"""The read API under /api/: OGC API - Features, proximity and search, for app clients."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_cors import CORS

bp = Blueprint("api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    """Routes, and CORS for GET (app clients live on other origins); gzip is app-wide (create_app)."""
    app.register_blueprint(bp)
    CORS(app, resources={r"/api/*": {"origins": "*", "methods": ["GET", "HEAD", "OPTIONS"],
                                     "expose_headers": ["ETag"], "max_age": 86400,
                                     "send_wildcard": True}})


# The route modules declare their routes on `bp` when imported (after `bp` exists).
from mapserver import coverage, tiles  # noqa: E402, F401
from mapserver.api import collections, docs, proximity, search  # noqa: E402, F401
