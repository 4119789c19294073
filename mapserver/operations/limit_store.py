"""The rate limits' counters in the primary database: a `limits` storage Flask-Limiter counts in.

A counter in each process's memory lets N nodes allow N times the attempts. `PostgresStorage` keeps the
fixed windows in `mapserver.rate_limits` (sql/0011) on the primary: one INSERT ... ON CONFLICT per hit, so two
nodes counting the same client at the same instant add up; the windows run on the database's clock, which
every node shares. It has connections of its own, in autocommit: a hit is never part of the request's
transaction (a login that rolls back still counted).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

import psycopg2
import psycopg2.extensions
from limits.storage import Storage

log = logging.getLogger(__name__)

# RATELIMIT_STORAGE_URI of this store: `postgresql+mapserver://user@host/db` names a database; bare
# `postgresql+mapserver://` with the `dsn` storage option (how the app passes DATABASE_URL, which may be a
# libpq keyword string) uses that one.
SCHEME = "postgresql+mapserver"
LOST = (psycopg2.OperationalError, psycopg2.InterfaceError)
SWEEP_S = 60.0  # a process deletes the expired windows at most this often
STATEMENT_TIMEOUT_MS = 2000  # a hit that waits longer fails, and the limiter falls back to memory
# Connections a process keeps open to the store between hits. Under a flood its threads take turns on these
# (a hit holds one for a millisecond); more would mostly idle on the primary.
KEEP_IDLE = 4

HIT = ("INSERT INTO mapserver.rate_limits AS r (key, expires_at, hits) "
       "VALUES (%(key)s, now() + make_interval(secs => %(expiry)s), %(amount)s) "
       "ON CONFLICT (key) DO UPDATE SET "
       "hits = CASE WHEN r.expires_at <= now() THEN excluded.hits ELSE r.hits + excluded.hits END, "
       "expires_at = CASE WHEN r.expires_at <= now() THEN excluded.expires_at ELSE r.expires_at END "
       "RETURNING hits")
LIVE = "FROM mapserver.rate_limits WHERE key = %s AND expires_at > now()"


class Connections:
    """A few autocommit connections of one process to the store, opened when needed; up to KEEP_IDLE stay
    open between hits (a request thread holds one for one statement, so the threads bound how many are open
    at once). A kept connection broken by a restart is dropped and the statement run once on a new one."""

    def __init__(self, dsn: str, connect_timeout_s: float):
        self._connect = {"dsn": dsn, "connect_timeout": max(1, math.ceil(connect_timeout_s)),
                         "application_name": "mapserver-limits",
                         "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}
        self._idle: list[psycopg2.extensions.connection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def run(self, statement: str, params: Any = None) -> list[tuple]:
        """The statement's rows (none for a DELETE). Retried only on a kept connection found broken, where
        it may have counted already: a hit then counts twice, stricter and never looser."""
        conn, kept = self._take()
        try:
            return self._on(conn, statement, params)
        except LOST:
            if not (kept and conn.closed):
                raise
        return self._on(self._open(), statement, params)

    def _on(self, conn: psycopg2.extensions.connection, statement: str, params: Any) -> list[tuple]:
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            self._give_back(conn)

    def _take(self) -> tuple[psycopg2.extensions.connection, bool]:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours to use
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop(), True
        return self._open(), False

    def _open(self) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(**self._connect)
        conn.autocommit = True
        return conn

    def _give_back(self, conn: psycopg2.extensions.connection) -> None:
        """Kept while fewer than KEEP_IDLE are; a broken one (closed by psycopg2 when its server went) never."""
        if not conn.closed:
            with self._lock:
                if len(self._idle) < KEEP_IDLE:
                    self._idle.append(conn)
                    return
        conn.close()


class PostgresStorage(Storage):
    """Fixed windows in mapserver.rate_limits (the fixed-window strategy; Flask-Limiter's default)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, dsn: str | None = None,
                 connect_timeout: float = 3, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.connections = Connections(dsn or "postgresql" + uri.removeprefix(SCHEME), connect_timeout)
        self._swept = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        return psycopg2.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        hits = self.connections.run(HIT, {"key": key, "expiry": expiry, "amount": amount})[0][0]
        self._sweep()
        return hits

    def get(self, key: str) -> int:
        rows = self.connections.run(f"SELECT hits {LIVE}", (key,))
        return rows[0][0] if rows else 0

    def get_expiry(self, key: str) -> float:
        rows = self.connections.run(f"SELECT extract(epoch FROM expires_at)::float8 {LIVE}", (key,))
        return rows[0][0] if rows else time.time()

    def check(self) -> bool:
        """Whether the store answers (Flask-Limiter asks, now and then, while it counts in memory)."""
        try:
            self.connections.run("SELECT 1 FROM mapserver.rate_limits LIMIT 0")
        except psycopg2.Error:
            return False
        return True

    def reset(self) -> int | None:
        return len(self.connections.run("DELETE FROM mapserver.rate_limits RETURNING 1"))

    def clear(self, key: str) -> None:
        self.connections.run("DELETE FROM mapserver.rate_limits WHERE key = %s", (key,))

    def _sweep(self) -> None:
        """Expired windows are deleted now and then (a hit on one starts it again anyway): one cheap
        statement a minute per process, on the expiry index. The hit has counted already: a failed sweep
        is only logged."""
        if time.monotonic() - self._swept < SWEEP_S:
            return
        self._swept = time.monotonic()
        try:
            self.connections.run("DELETE FROM mapserver.rate_limits WHERE expires_at < now()")
        except psycopg2.Error as exc:
            log.warning("expired rate-limit windows not deleted: %s", exc)
