"""The aiohttp app: `GET /api/collections/{id}/changes` as a Server-Sent Events stream, and `/healthz`.

Who may follow which layer is the read API's rule (mapserver.accounts.auth.Principal): a public live layer
is open to all (CORS `*`), an internal one to its agency's tokens and admins, and for anyone else it does
not exist (404). Refusals are the read API's JSON bodies, in Vietnamese and English.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from etl.live.events import events_after
from layers import Layer
from mapserver.accounts import tokens
from mapserver.accounts.auth import ANONYMOUS, Principal
from mapserver.live.errors import NoChangeFeed
from mapserver.live.stream import sse
from mapserver.live.stream.hub import BATCH, Hub, Subscription
from mapserver.live.stream.queries import DOWN
from mapserver.web.errors import ApiError, DatabaseUnavailable, InvalidParameter, LayerNotFound, NotAuthenticated

log = logging.getLogger(__name__)
HUB = web.AppKey("hub", Hub)
CATALOG = web.AppKey("catalog", dict)
PROCESS = web.AppKey("process", str)
DEFAULT_LANGUAGE = web.AppKey("default_language", str)
MAX_EVENT_ID = 2**63 - 1


class RouteNotFound(ApiError):
    status, code = 404, "NotFound"
    en = "Not found: this service answers only /api/collections/{id}/changes."
    vi = "Không tìm thấy: dịch vụ này chỉ trả lời /api/collections/{id}/changes."


class _NotAllowed(ApiError):
    status, code = 405, "MethodNotAllowed"
    en, vi = "Only GET is answered here.", "Ở đây chỉ trả lời GET."
    headers = {"Allow": "GET"}


def create_app(hub: Hub, catalog: dict[str, Layer], process: str, default_language: str = "vi") -> web.Application:
    app = web.Application(middlewares=[_json_errors])
    app[HUB], app[CATALOG], app[PROCESS], app[DEFAULT_LANGUAGE] = hub, catalog, process, default_language
    app.router.add_get("/api/collections/{collection_id}/changes", changes, allow_head=False)
    app.router.add_get("/healthz", healthz, allow_head=False)
    return app


async def changes(request: web.Request) -> web.StreamResponse:
    """Subscribe first, then the backlog from the table, then the live events above what was sent."""
    layer = await _readable_layer(request)
    after = _resume_point(request)
    hub = request.app[HUB]
    sub = hub.subscribe(layer.slug, after)
    try:
        response = web.StreamResponse(headers=_stream_headers(request, layer))
        await response.prepare(request)
        await response.write(sse.preamble(sub.sent))
        if after is None or await _backlog(response, hub, sub):
            await _pump(response, sub)
        await response.write_eof()
    except ConnectionResetError:  # the client went away mid-write
        pass
    finally:
        hub.unsubscribe(sub)
    return response


async def healthz(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    return web.json_response({"status": "ok", "process": request.app[PROCESS], "streams": hub.stream_count,
                              "last": str(hub.last)}, headers={"Cache-Control": "no-store"})


async def _backlog(response: web.StreamResponse, hub: Hub, sub: Subscription) -> bool:
    """The events after the client's Last-Event-ID up to now, page by page; False when the database is
    down (the stream ends and the client comes back after `retry`, from the last event it got)."""
    while True:
        try:
            events = await hub.queries.read(events_after, sub.sent, BATCH, sub.slug)
        except DOWN:
            return False
        if events:
            await response.write(b"".join(sse.event_frame(e) for e in events))
            sub.sent = events[-1].id
        if len(events) < BATCH:
            return True


async def _pump(response: web.StreamResponse, sub: Subscription) -> None:
    """Write what the follower offered (all of it in one write), a keep-alive when idle, until closed."""
    while True:
        await sub.ready.wait()
        sub.ready.clear()
        if sub.closed:
            return
        chunk = sub.take() or (sse.KEEPALIVE if sub.ping else b"")
        sub.ping = False
        if chunk:
            await response.write(chunk)


def _stream_headers(request: web.Request, layer: Layer) -> dict[str, str]:
    headers = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
               "X-Accel-Buffering": "no", "X-Stream-Process": request.app[PROCESS]}
    if layer.visibility == "public":
        headers["Access-Control-Allow-Origin"] = "*"
    else:
        headers["Vary"] = "Authorization"
    return headers


async def _readable_layer(request: web.Request) -> Layer:
    layer = request.app[CATALOG].get(request.match_info["collection_id"])
    if layer is None:
        raise LayerNotFound()
    if not layer.live:
        raise NoChangeFeed()
    if layer.visibility != "public" and not (await _principal(request)).can_read(layer):
        raise LayerNotFound()
    return layer


async def _principal(request: web.Request) -> Principal:
    """As the read API decides it: no Authorization header is anonymous, one that is not a live token is
    refused (401). (A staff login session is the web app's; the stream service reads tokens only.)"""
    if "Authorization" not in request.headers:
        return ANONYMOUS
    scheme, _, clear = request.headers["Authorization"].partition(" ")
    token = None
    if scheme.lower() == "bearer" and clear.strip():
        try:
            token = await request.app[HUB].queries.read(tokens.verify, clear.strip())
        except DOWN as exc:
            raise DatabaseUnavailable() from exc
    if token is None:
        raise NotAuthenticated("The token is unknown, expired or revoked.",
                               "Mã truy cập không tồn tại, đã hết hạn hoặc đã bị thu hồi.")
    return Principal(f"token:{token.name}", "token", token.role, token.agency)


def _resume_point(request: web.Request) -> int | None:
    """Last-Event-ID (what EventSource sends when it reconnects), else `?lastEventId=` (its first request
    cannot set headers); neither: the stream starts now."""
    raw = request.headers.get("Last-Event-ID", request.query.get("lastEventId"))
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_EVENT_ID:
        raise InvalidParameter("Last-Event-ID / lastEventId: must be an event id (a whole number) from this stream.",
                               "Last-Event-ID / lastEventId: phải là mã sự kiện (số nguyên) của luồng này.")
    return int(raw)


@web.middleware
async def _json_errors(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        return _error(request, err)
    except web.HTTPNotFound:
        return _error(request, RouteNotFound())
    except web.HTTPMethodNotAllowed:
        return _error(request, _NotAllowed())


def _error(request: web.Request, err: ApiError) -> web.Response:
    body = {"code": err.code, "description": err.en if _prefers_english(request) else err.vi,
            "messages": {"vi": err.vi, "en": err.en}}
    headers = {"Access-Control-Allow-Origin": "*", **getattr(err, "headers", {})}
    return web.json_response(body, status=err.status, headers=headers,
                             dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


def _prefers_english(request: web.Request) -> bool:
    """The read API's rule (mapserver.web.errors): `lang=`, then Accept-Language, then DEFAULT_LANGUAGE."""
    lang = request.query.get("lang")
    if lang in ("vi", "en"):
        return lang == "en"
    header = request.headers.get("Accept-Language")
    best = parse_accept_header(header, LanguageAccept).best_match(["vi", "en"]) if header else None
    return (best or request.app[DEFAULT_LANGUAGE]) == "en"
