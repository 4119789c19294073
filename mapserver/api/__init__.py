"""The read API under /api/: its blueprint, how a route and its parameters are declared once (parsing and
OpenAPI), how an answer is written, and the API's own description (/openapi.json, /docs)."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_cors import CORS

bp = Blueprint("api", __name__, url_prefix="/api", template_folder="templates")


def init_app(app: Flask) -> None:
    """Routes, and CORS for GET (app clients live on other origins); gzip is app-wide (create_app)."""
    from mapserver.api import routes  # noqa: F401  (declares every route on `bp` before it is registered)

    app.register_blueprint(bp)
    CORS(app, resources={r"/api/*": {"origins": "*", "methods": ["GET", "HEAD", "OPTIONS"],
                                     "expose_headers": ["ETag"], "max_age": 86400,
                                     "send_wildcard": True}})

