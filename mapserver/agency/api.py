"""The write API for agencies' systems: uploads (202 + job), jobs, publish, rollback, versions.

Writes take a bearer token only (a browser session would need CSRF; the web area has its own
forms). Reads of jobs, versions and previews accept the token or the staff login.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from layers import Layer
from mapserver.accounts.auth import ANONYMOUS, Principal, current_principal
from mapserver.agency import actions, limit_writes, queries
from mapserver.jobs import get as get_job
from mapserver.web.catalog import get_layer
from mapserver.web.db import get_db
from mapserver.web.errors import Forbidden, InvalidParameter, JobNotFound, NotAuthenticated, VersionNotFound

bp = Blueprint("agency_api", __name__, url_prefix="/api")


def _token_principal() -> Principal:
    principal = current_principal()
    return principal if principal.kind == "token" else ANONYMOUS


def _member(layer: Layer) -> Principal:
    """The caller, when staff of the layer's agency (or admin); 401/403 otherwise."""
    principal = current_principal()
    if not principal.authenticated:
        raise NotAuthenticated()
    if not principal.member_of(layer):
        raise Forbidden()
    return principal


def _flag(name: str) -> bool:
    value = (request.form.get(name) or "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise InvalidParameter(f"{name} must be true or false", f"{name} phải là true hoặc false")
    return value in ("true", "1", "yes", "on")


def _text(name: str, max_length: int = 100) -> str | None:
    value = (request.form.get(name) or "").strip()
    if len(value) > max_length:
        raise InvalidParameter(f"{name} is longer than {max_length} characters",
                               f"{name} dài quá {max_length} ký tự")
    return value or None


def upload_options() -> dict:
    """The load options a multipart form may carry next to the file."""
    options = {"publish": _flag("publish"), "crs": _text("crs"), "source_layer": _text("source_layer")}
    return {k: v for k, v in options.items() if v is not None}


def _job_accepted(job_id: int) -> Response:
    with get_db().cursor() as cur:
        job = get_job(cur, job_id)
    response = jsonify({"job": job.to_dict(), "links": {"self": url_for("agency_api.job", job_id=job_id)}})
    response.status_code = 202
    response.headers["Location"] = url_for("agency_api.job", job_id=job_id)
    return response


@bp.post("/layers/<slug>/uploads")
@limit_writes
def uploads(slug: str):
    layer = get_layer(slug)
    return _job_accepted(actions.upload(_token_principal(), layer, request.files.get("file"), upload_options()))


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    principal = current_principal()
    if not principal.authenticated:
        raise NotAuthenticated()
    with get_db().cursor() as cur:
        found = get_job(cur, job_id)
    if found is None:
        raise JobNotFound()
    _member(get_layer(found.layer))
    response = jsonify(found.to_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


def _version_argument() -> int:
    body = request.get_json(silent=True) or {}
    value = body.get("version", request.form.get("version"))
    try:
        version = int(value)
    except (TypeError, ValueError):
        version = 0
    if version < 1:
        raise InvalidParameter("give the version to publish, a positive integer: {\"version\": 3}",
                               "hãy cho biết phiên bản cần công bố, một số nguyên dương: {\"version\": 3}")
    return version


@bp.post("/layers/<slug>/publish")
@limit_writes
def publish(slug: str):
    layer = get_layer(slug)
    principal = _token_principal()
    actions.authorize_write(principal, "layer.publish", layer)
    outcome = actions.publish(principal, layer, _version_argument())
    return jsonify({"layer": slug, "published_version": outcome["version"], "previous": outcome["previous"]})


@bp.post("/layers/<slug>/rollback")
@limit_writes
def rollback(slug: str):
    layer = get_layer(slug)
    outcome = actions.rollback(_token_principal(), layer)
    return jsonify({"layer": slug, "published_version": outcome["version"]})


@bp.get("/layers/<slug>/versions")
def versions(slug: str):
    layer = get_layer(slug)
    _member(layer)
    with get_db().cursor() as cur:
        rows = queries.versions(cur, slug)
    response = jsonify({"layer": slug, "versions": rows})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/layers/<slug>/versions/<int:number>/features")
def version_features(slug: str, number: int):
    """Any kept version, published or not, for the agency's preview before publishing."""
    layer = get_layer(slug)
    _member(layer)
    with get_db().cursor() as cur:
        found = queries.version(cur, slug, number)
        if found is None or found["status"] == "dropped":
            raise VersionNotFound()
        body = queries.preview_geojson(cur, layer, number, int(current_app.config["PREVIEW_MAX_FEATURES"]))
    return Response(body, mimetype="application/geo+json", headers={"Cache-Control": "private, no-store"})
