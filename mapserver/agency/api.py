"""The write API for agencies' systems: uploads (202 + job), jobs, publish, rollback, versions, for layers and for
the transit timetable (GTFS, written by the agency owning the `transport` layer).

Writes take a bearer token only (a browser session would need CSRF; the web area has its own
forms). Reads of jobs, versions and previews accept the token or the staff login.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from isal import igzip

from etl.timetable import NETWORK
from layers import Layer
from mapserver.accounts.auth import ANONYMOUS, Principal, current_principal
from mapserver.agency import actions, limit_writes, queries
from mapserver.jobs import Job, rejected_csv
from mapserver.jobs import get as get_job
from mapserver.web.catalog import get_layer
from mapserver.web.db import get_db
from mapserver.web.errors import Forbidden, InvalidParameter, JobNotFound, NotAuthenticated, VersionNotFound

bp = Blueprint("agency_api", __name__, url_prefix="/api")


def token_principal() -> Principal:
    """The caller when it sent a bearer token: writes never ride on a browser session (that would need CSRF)."""
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


MAX_MAPPING_ENTRIES = 500
_FIELDS_EXAMPLE = '{"name": "Tên đơn vị", "phone": null}'
_VALUES_EXAMPLE = '{"kind": {"Tiêm chủng dịch vụ": "vaccination"}}'


def _json_form(name: str, example: str) -> dict | None:
    """A form field holding a JSON object, or None when absent; anything else is a 400 showing the shape."""
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidParameter(f"{name} is not valid JSON ({exc.msg}, character {exc.pos}); write it as {example}",
                               f"{name} không phải JSON hợp lệ ({exc.msg}, ký tự {exc.pos}); hãy viết dạng {example}"
                               ) from exc
    if not isinstance(value, dict):
        raise InvalidParameter(f"{name} must be a JSON object such as {example}",
                               f"{name} phải là một đối tượng JSON như {example}")
    return value


def _short_text(value, nullable: bool = False) -> bool:
    return (value is None and nullable) or (isinstance(value, str) and 0 < len(value) <= 200)


def _mapping_options() -> dict:
    """`fields` {field: column or null} and `values` {field: {value as written: code}}, checked for shape only:
    the load refuses an unknown field, column or code, naming the ones there are."""
    fields = _json_form("fields", _FIELDS_EXAMPLE)
    values = _json_form("values", _VALUES_EXAMPLE)
    if fields is not None and not all(_short_text(k) and _short_text(v, nullable=True) for k, v in fields.items()):
        raise InvalidParameter(f"fields maps each field to a column name or null, as in {_FIELDS_EXAMPLE}",
                               f"fields gán mỗi trường với tên một cột hoặc null, như {_FIELDS_EXAMPLE}")
    if values is not None and not all(_short_text(k) and isinstance(v, dict)
                                      and all(_short_text(r) and _short_text(c) for r, c in v.items())
                                      for k, v in values.items()):
        raise InvalidParameter(f"values maps each field to {{value as written: code}}, as in {_VALUES_EXAMPLE}",
                               f"values gán mỗi trường với {{giá trị trong tệp: mã}}, như {_VALUES_EXAMPLE}")
    if len(fields or {}) + sum(len(v) for v in (values or {}).values()) > MAX_MAPPING_ENTRIES:
        raise InvalidParameter(f"fields and values have more than {MAX_MAPPING_ENTRIES} entries",
                               f"fields và values có hơn {MAX_MAPPING_ENTRIES} mục")
    return {k: v for k, v in (("fields", fields), ("values", values)) if v}


def upload_options() -> dict:
    """The load options a multipart form may carry next to the file."""
    options = {"publish": _flag("publish"), "crs": _text("crs"), "source_layer": _text("source_layer")}
    return {**{k: v for k, v in options.items() if v is not None}, **_mapping_options()}


def timetable_options() -> dict:
    """The load options a timetable upload may carry next to its GTFS zip."""
    return {"publish": _flag("publish")}


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
    return _job_accepted(actions.upload(token_principal(), layer, request.files.get("file"), upload_options()))


def find_job(job_id: int) -> tuple[Job, Layer]:
    """The job and its layer, or 404; the caller checks who may see it."""
    with get_db().cursor() as cur:
        found = get_job(cur, job_id)
    if found is None:
        raise JobNotFound()
    return found, get_layer(found.layer)


def member_job(job_id: int) -> Job:
    """The job, when the caller is staff of its layer's agency (or admin): 401, 404 or 403 otherwise."""
    if not current_principal().authenticated:
        raise NotAuthenticated()
    found, layer = find_job(job_id)
    _member(layer)
    return found


def _no_store(body: dict):
    """JSON that no cache keeps: a job's state and a layer's history change under the client."""
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    found = member_job(job_id)
    body = found.to_dict()
    if found.has_rejected_csv:
        body["links"] = {"rejected_csv": url_for("agency_api.rejected_rows", job_id=job_id)}
    return _no_store(body)


def rejected_csv_response(job: Job) -> Response:
    """Every row the job's load rejected, with why, as a CSV to fix in a spreadsheet and upload again.

    Kept gzipped in the job's row; sent as it is to a client that takes gzip (browsers do)."""
    with get_db().cursor() as cur:
        packed = rejected_csv(cur, job.id)
    if packed is None:
        raise JobNotFound("This job has no rejected rows to download.",
                          "Tác vụ này không có dòng bị loại nào để tải về.")
    name = f"{Path(job.source_name).stem}-rejected-rows-job{job.id}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}
    if request.accept_encodings["gzip"] > 0:
        return Response(packed, mimetype="text/csv", headers={**headers, "Content-Encoding": "gzip"})
    return Response(igzip.decompress(packed), mimetype="text/csv", headers=headers)


@bp.get("/jobs/<int:job_id>/rejected.csv")
def rejected_rows(job_id: int):
    return rejected_csv_response(member_job(job_id))


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
    principal = token_principal()
    actions.authorize_write(principal, "layer.publish", layer)
    outcome = actions.publish(principal, layer, _version_argument())
    return jsonify({"layer": slug, "published_version": outcome["version"], "previous": outcome["previous"]})


@bp.post("/layers/<slug>/rollback")
@limit_writes
def rollback(slug: str):
    layer = get_layer(slug)
    outcome = actions.rollback(token_principal(), layer)
    return jsonify({"layer": slug, "published_version": outcome["version"]})


@bp.get("/layers/<slug>/versions")
def versions(slug: str):
    layer = get_layer(slug)
    _member(layer)
    with get_db().cursor() as cur:
        rows = queries.versions(cur, slug)
    return _no_store({"layer": slug, "versions": rows})


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


@bp.post("/transit/uploads")
@limit_writes
def transit_uploads():
    return _job_accepted(actions.upload_timetable(token_principal(), request.files.get("file"), timetable_options()))


@bp.get("/transit/versions")
def transit_versions():
    _member(actions.timetable_owner())
    with get_db().cursor() as cur:
        rows = queries.network_versions(cur, NETWORK)
    return _no_store({"network": NETWORK, "versions": rows})


@bp.post("/transit/versions/<int:number>/publish")
@limit_writes
def transit_publish(number: int):
    outcome = actions.publish_timetable(token_principal(), number)
    return jsonify({"network": NETWORK, "published_version": outcome["version"], "previous": outcome["previous"]})


@bp.post("/transit/rollback")
@limit_writes
def transit_rollback():
    outcome = actions.rollback_timetable(token_principal())
    return jsonify({"network": NETWORK, "published_version": outcome["version"]})
