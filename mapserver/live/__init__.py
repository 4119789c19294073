"""Live layers: Part 4 writes (and CAP alerts) over HTTP, the change feed, and the stream service (stream/).

Features are written one at a time by agencies' systems (etl/live/ holds the transactions); readers see
what is valid now through the ordinary read API, and follow changes by polling `?since=` here or by
Server-Sent Events from the stream service, which one asyncio loop per process serves cheaply.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from mapserver.live import changes, writing

    app.register_blueprint(writing.bp)
    app.register_blueprint(changes.bp)
