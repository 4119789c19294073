"""`/api/collections/{id}/changes`: the change feed as JSON for clients that poll (`?since=ID`).

Streams (`Accept: text/event-stream`) are the stream service's (mapserver/live/stream/): a proxy in front
routes them there; without one they are sent there by a 307 (LIVE_STREAM_URL), since a stream held by
a gunicorn thread would take that thread for as long as the citizen keeps the page open.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for

from etl.live.events import events_after
from layers import Layer
from mapserver.accounts.access import get_readable_layer
from mapserver.live.errors import NoChangeFeed, NoStreamService
from mapserver.live.reading import head
from mapserver.web.db import read_on
from mapserver.web.errors import InvalidParameter

bp = Blueprint("live_changes", __name__, url_prefix="/api")


def _live(slug: str) -> Layer:
    layer = get_readable_layer(slug)
    if not layer.live:
        raise NoChangeFeed()
    return layer


def _count(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > maximum:
        raise InvalidParameter(f"Parameter '{name}': must be a whole number from 0 to {maximum}",
                               f"Tham số '{name}': phải là số nguyên từ 0 đến {maximum}")
    return int(raw)


def _wants_stream() -> bool:
    return "since" not in request.args and request.accept_mimetypes.best == "text/event-stream"


def _stream_elsewhere() -> Response:
    base = current_app.config.get("LIVE_STREAM_URL")
    if not base:
        raise NoStreamService()
    return redirect(base.rstrip("/") + request.full_path.rstrip("?"), code=307)


@bp.get("/collections/<collectionId>/changes")
def changes(collectionId: str):
    layer = _live(collectionId)
    if _wants_stream():
        return _stream_elsewhere()
    maximum = int(current_app.config["LIVE_CHANGES_LIMIT_MAX"])
    limit = max(1, _count("limit", maximum, maximum))
    if "since" not in request.args:
        found, last = [], head(layer)
    else:
        since = _count("since", 0, 2**63 - 1)
        found = read_on(lambda cur: events_after(cur, since, limit + 1, layer.slug))
        last = found[min(len(found), limit) - 1].id if found else since
    links = [{"href": url_for("live_changes.changes", collectionId=layer.slug, since=last, _external=True),
              "rel": "next" if len(found) > limit else "poll", "type": "application/json"}]
    response = jsonify({"events": [e.as_json() for e in found[:limit]], "last": str(last), "links": links})
    response.headers["Cache-Control"] = "no-cache"
    return response
