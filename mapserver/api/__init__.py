"""The read API under /api/: OGC API - Features, proximity and search, for app clients."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_compress import Compress
from flask_cors import CORS

bp = Blueprint("api", __name__, url_prefix="/api")

COMPRESSED_TYPES = ["application/json", "application/geo+json", "application/schema+json",
                    "application/vnd.oai.openapi+json", "text/html"]


def init_app(app: Flask) -> None:
    """Routes, gzip for JSON and CORS for GET (app clients live on other origins)."""
    app.register_blueprint(bp)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 1000)
    Compress(app)
    CORS(app, resources={r"/api/*": {"origins": "*", "methods": ["GET", "HEAD", "OPTIONS"],
                                     "expose_headers": ["ETag"], "max_age": 86400,
                                     "send_wildcard": True}})


# The route modules declare their routes on `bp` when imported (after `bp` exists).
from mapserver.api import collections, docs, proximity, search  # noqa: E402, F401
