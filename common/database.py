"""Connections outside a request: the commands, the ETL and the upload worker (requests use the pool)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg2

from common.settings import database_url


def connect(url: str, *, statement_timeout_ms: int | None = None, connect_timeout_s: int = 5,
            application_name: str = "mapserver"):
    """One new connection; CLI and ETL jobs use this, requests use the pool."""
    options = f"-c statement_timeout={int(statement_timeout_ms)}" if statement_timeout_ms else None
    return psycopg2.connect(url, connect_timeout=connect_timeout_s, application_name=application_name,
                            options=options)


@contextmanager
def connection(settings: Mapping[str, Any], application_name: str = "mapserver-cli") -> Iterator:
    """A command's connection to the configured database, closed when the command is done with it."""
    conn = connect(database_url(settings), application_name=application_name)
    try:
        yield conn
    finally:
        conn.close()
