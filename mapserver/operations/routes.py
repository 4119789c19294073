"""`GET /metrics` for the operator's scraper (and nobody else) and `GET /readyz` for the load balancer."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from mapserver.operations import exposition, jobs, readiness
from mapserver.operations.clients import parse_address, within
from mapserver.operations.traffic import CLIENT_KNOWN

bp = Blueprint("operations", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """404 (as for any unknown URL) unless the client is known and in METRICS_ALLOW: a proxy that forwards
    the Internet to this node must not show it the node's insides."""
    allowed = current_app.extensions["mapserver.operations"].metrics_allow
    if not (request.environ.get(CLIENT_KNOWN) and within(parse_address(request.remote_addr), allowed)):
        abort(404)
    response = Response(exposition.render(jobs.read()), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
def readyz() -> Response:
    """200 while this node can serve readers; 503 naming the check that failed. /healthz says alive."""
    verdict = readiness.check(current_app.extensions["mapserver.operations"].max_replica_lag_s)
    response = jsonify(verdict.body)
    response.status_code = 200 if verdict.ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
