"""Running on several machines, as an operator sees it: request ids and JSON access logs (traffic), metrics
for Prometheus (metrics, pool, jobs, exposition), /readyz (readiness), who may see which (clients, routes),
and the rate limits every node shares (limits)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request

from mapserver.operations import pool, routes, traffic
from mapserver.operations.clients import Network, networks


@dataclass(frozen=True)
class Operations:
    """The room's settings, read once: the networks parsed, so a typo stops the start rather than a scrape."""

    metrics_allow: tuple[Network, ...]
    trusted_proxies: tuple[Network, ...]
    max_replica_lag_s: float


def init_app(app: Flask) -> None:
    """After the pools exist (mapserver.web.db.init_app): count them, wrap the app in the traffic
    middleware, and serve /metrics and /readyz."""
    settings = Operations(networks("METRICS_ALLOW", app.config["METRICS_ALLOW"]),
                          networks("TRUSTED_PROXIES", app.config["TRUSTED_PROXIES"]),
                          float(app.config["MAX_REPLICA_LAG_S"]))
    app.extensions["mapserver.operations"] = settings
    pool.instrument(app)
    app.wsgi_app = traffic.Traffic(app.wsgi_app, settings.trusted_proxies)
    app.teardown_request(_note_route)
    app.register_blueprint(routes.bp)


def _note_route(_exc: BaseException | None) -> None:
    """The URL rule matched, for the access log and the metrics (the raw path would make every feature
    and tile a series of its own)."""
    request.environ[traffic.ROUTE] = request.url_rule.rule if request.url_rule else None
