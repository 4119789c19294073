"""OGC API - Features Part 4 on live layers: POST items, PUT/PATCH/DELETE one item, and CAP alerts.

Each route checks who asks (a bearer token of the layer's agency as editor, or an admin), reads and
bounds the body, and hands the features to etl.live.writes, which does the write, its revision, its
event and its audit row in one transaction. Refusals are audited too (mapserver.agency.actions).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from etl.live import writes
from etl.live.features import InvalidFeatures
from layers import Layer
from mapserver.accounts.auth import Principal
from mapserver.agency import actions, client_addr
from mapserver.agency.api import token_principal
from mapserver.live import alerting, cap, errors
from mapserver.web.catalog import get_layer
from mapserver.web.db import get_db
from mapserver.web.errors import ApiError, InvalidParameter

bp = Blueprint("live", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"
JSON_TYPES = ("application/geo+json", "application/json")
MERGE_PATCH_TYPES = ("application/merge-patch+json", "application/json")
MAX_KEY_CHARS = 200


def etag(revision: int) -> str:
    """A feature's strong ETag: its revision (the same one GET answers with)."""
    return f'"{revision}"'


def expected_revision() -> int | None:
    """The revision If-Match names; None for `*` (any current one); 428 without the header."""
    if "If-Match" not in request.headers:
        raise errors.PreconditionRequired()
    tags = request.if_match
    if tags.star_tag:
        return None
    values = [t.split(":", 1)[0] for t in tags.as_set()]  # the compressor may have suffixed ':gzip'
    numbers = [int(v) for v in values if v.isdigit()]
    if len(values) != 1 or not numbers:
        raise errors.PreconditionFailed("If-Match must hold one ETag of this feature, as GET gave it.",
                                        "If-Match phải chứa một ETag của đối tượng này, như GET đã trả về.")
    return numbers[0]


def _writable(slug: str, action: str) -> tuple[Layer, Principal]:
    layer = get_layer(slug)
    principal = token_principal()
    actions.authorize_write(principal, action, layer)
    if not layer.live:
        raise actions.refuse(principal, action, layer, errors.NotLive())
    return layer, principal


def _body(types: tuple[str, ...]) -> bytes:
    limit = int(current_app.config["LIVE_MAX_BODY_BYTES"])
    if request.mimetype not in types:
        raise errors.UnsupportedBody(f"Send the body as {' or '.join(types)}.",
                                     f"Hãy gửi nội dung dạng {' hoặc '.join(types)}.")
    too_large = errors.BodyTooLarge(f"A write may carry at most {limit} bytes.", f"Mỗi lần ghi tối đa {limit} byte.")
    if (request.content_length or 0) > limit:  # refused unread
        raise too_large
    data = request.stream.read(limit + 1)  # a body that declared no length: one byte past the cap tells
    if len(data) > limit:
        raise too_large
    return data


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"The body is not JSON: {str(exc)[:120]}",
                               f"Nội dung không phải JSON: {str(exc)[:120]}") from None


def _actor(principal: Principal) -> writes.Actor:
    return writes.Actor(principal.name, principal.agency, client_addr())


def _area() -> tuple[float, float, float, float]:
    return tuple(current_app.config["AREA_BBOX"])


def audited(principal: Principal, action: str, layer: Layer, target: str, write: Callable[[], Response]) -> Response:
    """Run a write; a refusal is audited (the write's own transaction rolled back) and answered in both languages."""
    try:
        return write()
    except InvalidFeatures as err:
        details = {"code": "InvalidParameterValue", "reason": str(err)[:500]}
        actions.record(principal, action, target, "refused", details, layer.agency)
        return errors.invalid_features(err)
    except writes.WriteRefused as err:
        raise actions.refuse(principal, action, layer, errors.refusal(err), target) from None
    except ApiError as err:
        raise actions.refuse(principal, action, layer, err, target) from None


def _feature_response(layer: Layer, written: writes.Written, status: int) -> Response:
    location = url_for("api.item", collectionId=layer.slug, featureId=written.feature_id, _external=True)
    response = Response(json.dumps(written.feature, ensure_ascii=False), status=status, content_type=GEOJSON)
    response.headers["ETag"] = etag(written.revision)
    response.headers["Cache-Control"] = "no-store"
    if status == 201:
        response.headers["Location"] = location
    return response


def _created(layer: Layer, written: list[writes.Written], collection: bool, replayed: bool) -> Response:
    if collection:
        body = {"type": "FeatureCollection", "features": [w.feature for w in written]}
        response = Response(json.dumps(body, ensure_ascii=False), status=201, content_type=GEOJSON)
        response.headers["Cache-Control"] = "no-store"
    else:
        response = _feature_response(layer, written[0], 201)
    if replayed:
        response.headers["Idempotency-Replayed"] = "true"
    return response


def _features_of(doc: Any) -> tuple[list[Any], bool]:
    """The features a body carries and whether it came as a collection."""
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list) or not features:
            raise InvalidParameter("A FeatureCollection must hold at least one feature.",
                                   "FeatureCollection phải có ít nhất một đối tượng.")
        return features, True
    return [doc], False


def _idempotency_key(data: bytes) -> writes.IdempotencyKey | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_CHARS:
        raise InvalidParameter(f"Idempotency-Key must have 1 to {MAX_KEY_CHARS} characters.",
                               f"Idempotency-Key phải có từ 1 đến {MAX_KEY_CHARS} ký tự.")
    return writes.IdempotencyKey.of(key, data)


@bp.post("/collections/<collectionId>/items")
def create_items(collectionId: str):
    layer, principal = _writable(collectionId, "feature.create")

    def write() -> Response:
        data = _body(JSON_TYPES)
        features, collection = _features_of(_json(data))
        written, replayed = writes.create(get_db(), layer, features, _actor(principal), _area(),
                                          prefix="features" if collection else "", key=_idempotency_key(data))
        return _created(layer, written, collection, replayed)

    return audited(principal, "feature.create", layer, layer.slug, write)


@bp.put("/collections/<collectionId>/items/<featureId>")
def replace_item(collectionId: str, featureId: str):
    layer, principal = _writable(collectionId, "feature.replace")

    def write() -> Response:
        expected = expected_revision()
        feature = _json(_body(JSON_TYPES))
        written = writes.replace(get_db(), layer, featureId, feature, expected, _actor(principal), _area())
        return _feature_response(layer, written, 200)

    return audited(principal, "feature.replace", layer, f"{layer.slug}/{featureId}", write)


@bp.patch("/collections/<collectionId>/items/<featureId>")
def update_item(collectionId: str, featureId: str):
    layer, principal = _writable(collectionId, "feature.update")

    def write() -> Response:
        expected = expected_revision()
        patch = _json(_body(MERGE_PATCH_TYPES))
        if not isinstance(patch, dict):
            raise InvalidParameter("A merge patch must be a JSON object.", "Bản vá phải là một đối tượng JSON.")
        written = writes.update(get_db(), layer, featureId, patch, expected, _actor(principal), _area())
        return _feature_response(layer, written, 200)

    return audited(principal, "feature.update", layer, f"{layer.slug}/{featureId}", write)


@bp.delete("/collections/<collectionId>/items/<featureId>")
def delete_item(collectionId: str, featureId: str):
    layer, principal = _writable(collectionId, "feature.delete")

    def write() -> Response:
        writes.delete(get_db(), layer, featureId, expected_revision(), _actor(principal))
        return Response(status=204)

    return audited(principal, "feature.delete", layer, f"{layer.slug}/{featureId}", write)


CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")


@bp.post("/collections/<collectionId>/cap")
def cap_alert(collectionId: str):
    layer, principal = _writable(collectionId, "feature.cap")
    if layer.field("cap_messages") is None:
        raise actions.refuse(principal, "feature.cap", layer, errors.NoCap())

    def write() -> Response:
        try:
            message = cap.parse_cap(_body(CAP_TYPES), int(current_app.config["LIVE_MAX_BODY_BYTES"]))
            written, status = alerting.apply(get_db(), layer, message, _actor(principal), _area())
        except cap.CapTooLarge as err:
            raise errors.BodyTooLarge(err.en, err.vi) from None
        except cap.CapError as err:
            raise InvalidParameter(err.en, err.vi) from None
        return _feature_response(layer, written, status)

    return audited(principal, "feature.cap", layer, layer.slug, write)
