"""The agencies' side: staff web area (/agency/), write API (/api/...), CSRF, rate limits, sessions.

Every node must be able to take any staff request. Sessions are Flask's signed cookie (no server-side
table): a cookie, and the CSRF token it carries, made on one node is good on every node with the same
SECRET_KEY. The rate limits count in the primary database (mapserver/operations/limit_store.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

import psycopg2
from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFProtect

from common import audit
from mapserver.accounts.auth import bearer_token, current_principal
from mapserver.operations import limits as shared_limits
from mapserver.web.db import get_db
from mapserver.web.errors import ApiError, NotAuthenticated

log = logging.getLogger(__name__)


def client_addr() -> str | None:
    """The client's address (behind trusted proxies, the one they forward for: mapserver/operations/traffic.py)."""
    return request.remote_addr


def _address_key() -> str:
    """Who a limit counts per address; one key for every client whose address is unknown (a Unix socket)."""
    return client_addr() or "unknown"


csrf = CSRFProtect()
# The counters are shared by every node (mapserver/operations/limit_store.py); with the store down, each process
# counts in memory until it is back, and no request fails because of the limiter.
limiter = shared_limits.SharedLimiter(key_func=_address_key, swallow_errors=True, in_memory_fallback_enabled=True)

# What a refused request would have done, named as the audit log names it when it is done (actions.py,
# web.login); a limited route missing here is audited under its endpoint's name.
REFUSED_ACTIONS = {
    "agency.login": "login",
    "agency.upload": "layer.upload", "agency_api.uploads": "layer.upload",
    "agency.transit_upload": "transit.upload", "agency_api.transit_uploads": "transit.upload",
    "agency.map_job": "layer.mapping",
    "agency.save_profile": "import_profile.save", "agency.delete_profile": "import_profile.delete",
    "agency.publish": "layer.publish", "agency_api.publish": "layer.publish",
    "agency.rollback": "layer.rollback", "agency_api.rollback": "layer.rollback",
    "agency.transit_publish": "transit.publish", "agency_api.transit_publish": "transit.publish",
    "agency.transit_rollback": "transit.rollback", "agency_api.transit_rollback": "transit.rollback",
}


def init_app(app: Flask) -> None:
    """Wire sessions, CSRF (checked by the web area's forms only), the limiter and both blueprints."""
    from mapserver.agency import api, web

    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _instance_secret(Path(app.instance_path))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=int(app.config["PERMANENT_SESSION_LIFETIME"]))
    # Werkzeug answers 413 from the Content-Length header, before reading the body.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_BYTES"])
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.session_interface = _StaffSessions()
    csrf.init_app(app)
    _init_limiter(app, (web.bp.name, api.bp.name))
    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)


class _StaffSessions(SecureCookieSessionInterface):
    """Only staff of the web area carry a session cookie: a request without one (every app client's)
    gets an empty session without building the cookie signer."""

    def open_session(self, app: Flask, request: Request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def _init_limiter(app: Flask, blueprints: tuple[str, ...]) -> None:
    """Flask-Limiter hooks into every request of the app, but only the agencies' routes carry limits
    (the read API is bounded by statement timeouts and size limits instead): its hooks move to their
    blueprints, so a read request runs none of them."""
    shared_limits.configure(app)
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    app_wide = [list(registry.get(None, [])) for registry in hooks]
    limiter.init_app(app)
    for registry, kept in zip(hooks, app_wide, strict=True):
        added = [f for f in registry.get(None, []) if f not in kept]
        registry[None] = kept
        for name in blueprints:
            registry.setdefault(name, []).extend(added)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


def _too_many_requests(err: RateLimitExceeded):
    """429 in both languages with Retry-After, for the API and the web area alike; audited."""
    item = err.limit.limit
    seconds = shared_limits.retry_after(limiter, item)
    _audit_refusal(str(item))
    return shared_limits.too_many_requests(item, seconds)


def _audit_refusal(limit: str) -> None:
    """One audit row per route, client and minute however many requests are refused (a flood stays a few
    rows); a database that cannot take the row costs the row, not the answer."""
    endpoint = request.endpoint or request.path
    action = REFUSED_ACTIONS.get(endpoint, endpoint)
    try:
        conn = get_db()
        with conn, conn.cursor() as cur:
            if audit.first_this_minute(cur, action=action, client_addr=client_addr()):
                audit.record(cur, actor=_actor(), action=action, target=request.path, result="refused",
                             client_addr=client_addr(), details={"reason": "rate_limited", "limit": limit})
    except (psycopg2.Error, ApiError) as exc:
        log.warning("rate-limited %s from %s not audited: %s", action, client_addr(), exc)


def _actor() -> str:
    """Who was refused, as far as the request says without more work: its token or session, else anonymous."""
    try:
        return current_principal().name
    except NotAuthenticated:
        return "anonymous"


def _instance_secret(instance: Path) -> str:
    """One key per machine, shared by its gunicorn processes; several machines must set SECRET_KEY."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process just wrote it
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _token_key() -> str:
    return "token:" + hashlib.sha256((bearer_token() or "").encode()).hexdigest()[:24]


def limit_writes(view):
    """Rate-limit a write route per client address, and per token when the request carries one."""
    by_token = limiter.limit(lambda: current_app.config["RATELIMIT_WRITE_TOKEN"], key_func=_token_key,
                             exempt_when=lambda: bearer_token() is None)
    by_address = limiter.limit(lambda: current_app.config["RATELIMIT_WRITE_ADDRESS"], key_func=_address_key)
    return by_address(by_token(view))
