"""Rate limits every node shares: the counters in the primary database (limit_store), a limiter whose
state is its app's, and the 429 answer. When the store cannot be reached, Flask-Limiter
logs "Rate limit storage unreachable - falling back to in-memory storage" and counts in the process until
the store answers again (`SharedLimiter(in_memory_fallback_enabled=True, swallow_errors=True)`): limits
hold per process, and no request fails because of them.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_limiter import Limiter
from limits import RateLimitItem

from common.settings import database_url
from mapserver.operations.limit_store import SCHEME
from mapserver.web.errors import error_response

log = logging.getLogger(__name__)


def configure(app: Flask) -> None:
    """RATELIMIT_STORAGE_URI as set (memory:// for one node in development, redis:// where an operator runs
    one, postgresql+mapserver://user@host/db for another database); unset or a bare `postgresql+mapserver://`,
    this store in the primary database (DATABASE_URL)."""
    if app.config.get("RATELIMIT_STORAGE_URI") not in (None, "", f"{SCHEME}://"):
        return
    app.config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://"
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"dsn": database_url(app.config),
                                               "connect_timeout": float(app.config["CONNECT_TIMEOUT_S"])}


class _PerApp:
    """An attribute of the limiter kept in its app's extensions, so two apps of one process (the tests'
    nodes) count apart; outside an app (the limiter's own __init__), on the limiter itself."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, limiter: Limiter | None, owner: type | None = None) -> Any:
        if limiter is None:
            return self
        if not has_app_context():
            return limiter.__dict__.get(self.name)
        state = current_app.extensions.setdefault("mapserver.limiter", {})
        if self.name not in state:
            state[self.name] = copy.copy(limiter.__dict__.get(self.name))
        return state[self.name]

    def __set__(self, limiter: Limiter, value: Any) -> None:
        if has_app_context():
            current_app.extensions.setdefault("mapserver.limiter", {})[self.name] = value
        else:
            limiter.__dict__[self.name] = value


class SharedLimiter(Limiter):
    """Flask-Limiter keeps its store, its strategy and whether the store is down on the extension object,
    which the routes' decorators bind at import: with two apps in one process the last one's store would
    count for both. Here that state is each app's own; `init_app` runs in the app's context to set it."""

    _storage = _PerApp()
    _storage_options = _PerApp()
    _limiter = _PerApp()
    _storage_dead = _PerApp()
    _fallback_storage = _PerApp()
    _fallback_limiter = _PerApp()
    _Limiter__check_backend_count = _PerApp()
    _Limiter__last_check_backend = _PerApp()

    def init_app(self, app: Flask) -> None:
        with app.app_context():
            super().init_app(app)


def retry_after(limiter: Limiter, item: RateLimitItem) -> int:
    """Seconds until the breached window ends (at least 1); the window's length when the store cannot say."""
    breached = limiter.current_limit
    if breached is None:
        return item.get_expiry()
    try:
        return max(1, math.ceil(breached.window.reset_time - time.time()))
    except breached.limiter.storage.base_exceptions:
        return item.get_expiry()


UNITS_VI = {"second": "giây", "minute": "phút", "hour": "giờ", "day": "ngày", "month": "tháng", "year": "năm"}


def too_many_requests(item: RateLimitItem, seconds: int):
    """The 429 answer, in Vietnamese and English like every error, with Retry-After."""
    unit = item.GRANULARITY.name
    every_en = f"{item.multiples} {unit}s" if item.multiples > 1 else unit
    every_vi = f"{item.multiples} {UNITS_VI[unit]}" if item.multiples > 1 else UNITS_VI[unit]
    response, status = error_response(
        429, "TooManyRequests",
        f"Too many requests: at most {item.amount} per {every_en}. Try again in {seconds} s.",
        f"Quá nhiều yêu cầu: tối đa {item.amount} lần mỗi {every_vi}. Vui lòng thử lại sau {seconds} giây.")
    response.headers["Retry-After"] = str(seconds)
    return response, status
