"""The connection pools counted: connections in use, requests waiting for one, and those refused one.

The pools (mapserver/web/db.py) count nothing themselves; their `getconn` and `putconn` are wrapped here
once, at start-up, so that the pool code stays as it is and a request pays two gauge updates each way.
The pools never queue a request (all in use: a 503), so `waiting` counts those being handed a connection
or having one opened for them; a pool that is too small shows in `refused`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from mapserver.operations.metrics import POOL_IN_USE, POOL_MAX, POOL_REFUSED, POOL_WAITING


def instrument(app: Flask) -> None:
    """Count every connection pool the app holds (each extension with getconn and putconn: the pool of
    DATABASE_URL, and any other the database module attaches), labelled by its extension's name."""
    maxconn = int(app.config["POOL_MAX_CONNECTIONS"])
    for key, extension in list(app.extensions.items()):
        if callable(getattr(extension, "getconn", None)) and callable(getattr(extension, "putconn", None)):
            _count(extension, key.removeprefix("mapserver."), maxconn)


def _count(pool: Any, name: str, maxconn: int) -> None:
    getconn, putconn = pool.getconn, pool.putconn
    in_use, waiting, refused = POOL_IN_USE.labels(name), POOL_WAITING.labels(name), POOL_REFUSED.labels(name)
    POOL_MAX.labels(name).set(maxconn)

    def counted_getconn(*args, **kwargs):
        waiting.inc()
        try:
            conn = getconn(*args, **kwargs)
        except Exception:
            refused.inc()
            raise
        finally:
            waiting.dec()
        in_use.inc()
        return conn

    def counted_putconn(conn, *args, **kwargs):
        try:
            return putconn(conn, *args, **kwargs)
        finally:
            in_use.dec()

    pool.getconn, pool.putconn = counted_getconn, counted_putconn
