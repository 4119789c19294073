"""One log format for the web app and the commands, each line naming the request it was written for."""

from __future__ import annotations

import logging
from contextvars import ContextVar

# The logger of the one JSON line per request (mapserver/operations/traffic.py). gunicorn.conf.py hands it
# gunicorn's access log (`--access-logfile`); elsewhere its lines go where the app's others go.
ACCESS_LOGGER = "mapserver.access"

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"

# The id of the request this thread is answering ("-" outside a request: the commands, the worker).
request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record a handler writes, so that a warning in the middle of a
    request can be found beside its access-log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure() -> None:
    """INFO and up to stderr with a timestamp and the request id; pyogrio's per-file notices only from WARNING."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
