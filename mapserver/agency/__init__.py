"""The agencies' side: staff web area (/agency/), write API (/api/...), CSRF, rate limits, sessions."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


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
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    app_wide = [list(registry.get(None, [])) for registry in hooks]
    limiter.init_app(app)
    for registry, kept in zip(hooks, app_wide, strict=True):
        added = [f for f in registry.get(None, []) if f not in kept]
        registry[None] = kept
        for name in blueprints:
            registry.setdefault(name, []).extend(added)


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


def client_addr() -> str | None:
    return request.remote_addr


def _token_key() -> str:
    from mapserver.accounts.auth import bearer_token

    return "token:" + hashlib.sha256((bearer_token() or "").encode()).hexdigest()[:24]


def limit_writes(view):
    """Rate-limit a write route per client address, and per token when the request carries one."""
    from mapserver.accounts.auth import bearer_token

    by_token = limiter.limit(lambda: current_app.config["RATELIMIT_WRITE_TOKEN"], key_func=_token_key,
                             exempt_when=lambda: bearer_token() is None)
    by_address = limiter.limit(lambda: current_app.config["RATELIMIT_WRITE_ADDRESS"], key_func=get_remote_address)
    return by_address(by_token(view))
