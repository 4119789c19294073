"""Every request as seen from outside the app: its id, its client, its route, status, duration and size,
written as one JSON access-log line and counted in the request metrics.

A WSGI middleware around the whole app, so that it sees every answer (errors included) and the time until
the last byte was handed to the server. It also puts the client's address (X-Forwarded-For from a trusted
proxy) in REMOTE_ADDR, as werkzeug's ProxyFix does: the rate limits and the audit log, which read
`request.remote_addr`, see the client rather than the proxy.
The query string is not logged: it carries what citizens search for and where they stand.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from common import logs
from mapserver.operations.clients import Network, client
from mapserver.operations.metrics import LATENCY, REQUESTS

log = logging.getLogger(logs.ACCESS_LOGGER)

ROUTE = "mapserver.route"  # environ key: the URL rule the request matched (set by the app at teardown)
CLIENT_KNOWN = "mapserver.client_known"  # environ key: False when an untrusted peer forwards for someone
HEADER = "X-Request-ID"
# An id a client or proxy sends is kept when it is a plain token (a UUID, a hex or base64 string, nginx's
# $request_id); anything else is replaced, so that logs and headers never carry what a client slipped in.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}")
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def request_id(sent: str | None) -> str:
    """The id the request came with when it is sane, else a new one."""
    if sent and SANE_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class Traffic:
    """The middleware: `app.wsgi_app = Traffic(app.wsgi_app, trusted_proxies)`."""

    def __init__(self, app: WSGIApp, trusted_proxies: tuple[Network, ...]):
        self.app, self.trusted = app, trusted_proxies

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        exchange = Exchange(environ, request_id(environ.get("HTTP_X_REQUEST_ID")))
        who = client(environ, self.trusted)
        environ["REMOTE_ADDR"], environ[CLIENT_KNOWN] = who.address, who.known
        if who.scheme:  # behind TLS at the proxy, links (TileJSON, the page's tiles) must say https
            environ["wsgi.url_scheme"] = who.scheme

        def start(status: str, headers: list, exc_info=None):
            exchange.status = int(status.split(" ", 1)[0])
            headers.append((HEADER, exchange.id))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            exchange.finish()
            raise
        return Body(body, exchange)


class Exchange:
    """One request on its way: started when it arrived, finished when its answer has been handed over."""

    def __init__(self, environ: dict, rid: str):
        self.environ, self.id, self.status, self.bytes = environ, rid, 500, 0
        self.started = time.perf_counter()
        self._token = logs.request_id.set(rid)

    def finish(self) -> None:
        """Count and log the request, then forget its id (the thread's next request brings its own)."""
        try:
            self._record(time.perf_counter() - self.started)
        finally:
            logs.request_id.reset(self._token)

    def _record(self, seconds: float) -> None:
        route = self.environ.get(ROUTE)
        method = self.environ.get("REQUEST_METHOD", "")
        REQUESTS.labels(route or "unmatched", method if method in METHODS else "other", str(self.status)).inc()
        LATENCY.labels(route or "unmatched").observe(seconds)
        if log.isEnabledFor(logging.INFO):
            log.info(json.dumps(self._line(route, method, seconds)))

    def _line(self, route: str | None, method: str, seconds: float) -> dict:
        environ = self.environ
        return {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": self.id,
            "method": method,
            "path": _text(environ.get("PATH_INFO", "")),
            "route": route,
            "status": self.status,
            "duration_ms": round(seconds * 1000, 3),
            "bytes": self.bytes,
            "client": environ.get("REMOTE_ADDR"),
            "user_agent": _text(environ.get("HTTP_USER_AGENT", "")) or None,
        }


def _text(wsgi_value: str) -> str:
    """A WSGI string (bytes as latin-1) as the UTF-8 the client sent: a Vietnamese path reads as written."""
    return wsgi_value.encode("latin-1", "replace").decode("utf-8", "replace")


class Body:
    """The answer's body as the server iterates it, counted; closing it finishes the exchange. (Wrapping
    keeps gunicorn from sendfile() on the few static files the compressor leaves alone.)"""

    def __init__(self, body: Iterable[bytes], exchange: Exchange):
        self._body, self._exchange = body, exchange

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._exchange.bytes += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._exchange.finish()
