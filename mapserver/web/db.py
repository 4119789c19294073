"""The connection pool and the per-request connection (commands connect through common.database).

The pool is created lazily in each process (gunicorn forks after import), so importing
this module never connects to anything.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg2
import psycopg2.pool
import psycopg2.sql
from flask import Flask, current_app, g

from common.settings import database_url
from mapserver.web.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from mapserver.web.compiled import Compiled

log = logging.getLogger(__name__)
_lock = threading.Lock()


# How the server plans a prepared statement (plan_cache_mode). PER_CALL plans each call for its values:
# a bbox's or a filter value's selectivity, a search pattern, decide the plan (measured: a generic
# search plan scans the whole layer). ONCE keeps one plan per connection, for statements whose plan does
# not depend on the values (nearest: KNN index order, then a radius on the index): planning was a quarter
# of their time in the database.
PER_CALL = "force_custom_plan"
ONCE = "force_generic_plan"


class Connection(psycopg2.extensions.connection):
    """A pooled connection that remembers which statements it has prepared (they live as long as it)
    and how its session plans them now."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()
        self.plan_mode = PER_CALL


def session_options(settings: dict[str, Any]) -> str:
    """`-c name=value` for each server setting every pooled connection starts with."""
    return " ".join(f"-c {name}={value}" for name, value in settings.items())


class Pool:
    """A per-process ThreadedConnectionPool that drops connections a restart has broken."""

    def __init__(self, url: str, maxconn: int, settings: dict[str, Any], connect_timeout_s: int):
        self._args = (url, maxconn, settings, connect_timeout_s)
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._pid = os.getpid()

    def _get_pool(self) -> psycopg2.pool.ThreadedConnectionPool:
        with _lock:
            if self._pool is None or self._pid != os.getpid():
                url, maxconn, settings, connect_s = self._args
                self._pool = psycopg2.pool.ThreadedConnectionPool(
                    0, maxconn, url, connect_timeout=connect_s, application_name="mapserver-web",
                    options=session_options(settings), connection_factory=Connection,
                )
                # psycopg2 keeps a returned connection only while fewer than `minconn` are idle, so
                # with 0 every request would reconnect (~3 ms). Open lazily, keep up to maxconn.
                self._pool.minconn = maxconn
                self._pid = os.getpid()
            return self._pool

    def getconn(self):
        try:
            conn = self._get_pool().getconn()
        except (psycopg2.OperationalError, psycopg2.pool.PoolError) as exc:
            log.warning("database unavailable: %s", exc)
            raise DatabaseUnavailable() from exc
        return conn

    def putconn(self, conn) -> None:
        broken = bool(conn.closed)
        if not broken:
            try:
                conn.rollback()
            except psycopg2.Error:
                broken = True
        pool = self._get_pool()
        pool.putconn(conn, close=broken)
        if broken:
            _drop_idle(pool)


def _drop_idle(pool: psycopg2.pool.ThreadedConnectionPool) -> None:
    """A database restart breaks every kept connection at once: drop the idle ones now, rather than
    fail one request per stale connection. (psycopg2 keeps them in `_pool`; new ones open on demand.)"""
    with pool._lock:
        idle, pool._pool = pool._pool, []
    for conn in idle:
        conn.close()


def init_app(app: Flask) -> None:
    """Attach a lazy pool to the app and return each request's connection when it ends."""
    # Search's `<%` keeps matches above this word similarity; set per session, not per statement,
    # so that each search is a single statement the server can keep prepared. No JIT: requests run
    # short statements, and a plan kept for all values estimates an unknown LIMIT as a tenth of the
    # layer, which crossed jit_above_cost and compiled for 280 ms a nearest that runs in 0.5 ms.
    settings = {"statement_timeout": int(app.config["STATEMENT_TIMEOUT_MS"]),
                "pg_trgm.word_similarity_threshold": float(app.config["SEARCH_SIMILARITY_MIN"]),
                "plan_cache_mode": PER_CALL, "jit": "off"}
    app.extensions["mapserver.pool"] = Pool(
        database_url(app.config), int(app.config["POOL_MAX_CONNECTIONS"]), settings,
        int(app.config["CONNECT_TIMEOUT_S"]))
    app.teardown_appcontext(_release)


def get_db():
    """This request's connection, taken from the pool on first use."""
    if "db" not in g:
        g.db = current_app.extensions["mapserver.pool"].getconn()
    return g.db


def _release(_exc: BaseException | None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        current_app.extensions["mapserver.pool"].putconn(conn)


@contextmanager
def db_cursor(raw_text: bool = False) -> Iterator:
    """A cursor on this request's connection; a lost connection becomes a 503, not a 500.
    `raw_text`: text columns come back as the UTF-8 bytes PostgreSQL sent, for answers that go out
    as they are (decoding a page of items into str and encoding it again cost 30 us a request)."""
    conn = get_db()
    try:
        with conn.cursor() as cur:
            if raw_text:
                psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cur)
            yield cur
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        log.warning("database error: %s", exc)
        raise DatabaseUnavailable() from exc


@contextmanager
def run_query(sql, params=None, raw_text: bool = False) -> Iterator:
    """A cursor with `sql` executed; a lost connection becomes a 503, not a 500."""
    with db_cursor(raw_text) as cur:
        cur.execute(sql, params)
        yield cur


def copy_csv(query: psycopg2.sql.Composable, params=None) -> str:
    """The rows of `query` as CSV with a header line, written by PostgreSQL's own COPY."""
    buf = io.StringIO()
    with db_cursor() as cur:
        statement = psycopg2.sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(query)
        cur.copy_expert(cur.mogrify(statement, params).decode(), buf)
    return buf.getvalue()


@contextmanager
def read_query(sql, params=None, raw_text: bool = False) -> Iterator:
    """`run_query` for one read statement outside a transaction: no BEGIN and ROLLBACK round trips,
    which on the read API's short queries cost as much wire time as the query itself."""
    conn = get_db()
    idle = conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    if idle:
        conn.autocommit = True
    try:
        with run_query(sql, params, raw_text) as cur:
            yield cur
    finally:
        if idle and not conn.closed:
            conn.autocommit = False


MAX_PREPARED = 512  # per connection; past it the connection forgets them all (DEALLOCATE ALL)


@contextmanager
def read_prepared(statement: Compiled, params: dict[str, Any]) -> Iterator:
    """`read_query` through a statement this connection has prepared: the server neither receives nor
    parses its text again. DB_PREPARED_STATEMENTS = false sends the text each time instead, for
    connection poolers that do not keep a session per client (PgBouncer in transaction mode).
    The statements are the read API's answers: text columns arrive as bytes (see `db_cursor`)."""
    conn = get_db()
    text, plan_mode = statement.text, None
    if current_app.config["DB_PREPARED_STATEMENTS"]:
        if statement.name not in conn.prepared:
            _prepare(conn, statement)
        text = statement.execute
        if conn.plan_mode != statement.plan:
            # In the same round trip; a failed EXECUTE rolls the SET back with it.
            text, plan_mode = f"SET plan_cache_mode = {statement.plan}; {text}", statement.plan
    with read_query(text, params, raw_text=True) as cur:
        yield cur
    if plan_mode:
        conn.plan_mode = plan_mode


def _prepare(conn: Connection, statement: Compiled) -> None:
    if len(conn.prepared) >= MAX_PREPARED:
        with read_query("DEALLOCATE ALL"):
            conn.prepared.clear()
    with read_query(statement.prepare):
        conn.prepared.add(statement.name)
