"""`GET /healthz`: is this process able to answer from the database right now?"""

from __future__ import annotations

from flask import Blueprint, jsonify

from mapserver.web.db import run_query
from mapserver.web.errors import DatabaseUnavailable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        with run_query("SELECT postgis_lib_version(), count(*) FROM mapserver.layers "
                       "WHERE published_version IS NOT NULL") as cur:
            postgis, published = cur.fetchone()
    except DatabaseUnavailable:
        response = jsonify({"status": "unavailable", "database": "down"})
        response.status_code = 503
    else:
        response = jsonify({"status": "ok", "database": "up", "postgis": postgis, "published_layers": published})
    response.headers["Cache-Control"] = "no-store"
    return response
