"""The connection pools and each request's connections (commands connect through common.database).

Two roles: `get_db()` reaches DATABASE_URL (the primary: writes, jobs, sessions, accounts, publishing);
`read_db()` the read routes' database, DATABASE_READ_URL (one or more hot standbys) when set, else the same
connection as `get_db()`. DATABASE_URL may be a libpq multi-host URL with `target_session_attrs=read-write`:
after a failover, new connections find the promoted primary by themselves.

A database restart breaks every kept connection, and a connection only shows it when used. So a pool never
hands out a connection whose server has hung up while it was idle (its socket is readable: no round trip),
and a read that still meets a lost connection runs once more on a fresh one (`read_on`): once the database
accepts connections again, no reader sees an error. Writes are never repeated.

The pools are created lazily in each process (gunicorn forks after import), so importing this module
never connects to anything.
"""

from __future__ import annotations

import io
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.sql
from flask import Flask, current_app, g

from common.settings import database_read_urls, database_url
from mapserver.web.errors import DatabaseUnavailable, TookTooLong, error_response

if TYPE_CHECKING:
    from mapserver.web.compiled import Compiled

log = logging.getLogger(__name__)
T = TypeVar("T")
IDLE = psycopg2.extensions.TRANSACTION_STATUS_IDLE
LOST = (psycopg2.OperationalError, psycopg2.InterfaceError)  # the server is gone, or refused, or timed out


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
        self._in_recovery: bool | None = None

    @property
    def hot_standby(self) -> bool:
        """Whether the server is a hot standby (read-only: no writes, no UNLOGGED tables). PostgreSQL 14+
        reports it to the client and again after a promotion (no round trip); older servers are asked once."""
        reported = self.info.parameter_status("in_hot_standby")
        if reported is not None:
            return reported == "on"
        if self._in_recovery is None:
            with self.cursor() as cur:
                cur.execute("SELECT pg_is_in_recovery()")
                self._in_recovery = bool(cur.fetchone()[0])
        return self._in_recovery


def session_options(settings: dict[str, Any]) -> str:
    """`-c name=value` for each server setting every pooled connection starts with."""
    return " ".join(f"-c {name}={value}" for name, value in settings.items())


def _hung_up(conn: Connection) -> bool:
    """An idle connection has nothing to read unless its server sent a farewell (a restart, a failover, a
    terminated backend) or closed the socket: one poll, no round trip."""
    if conn.closed or conn.info.transaction_status != IDLE:
        return True
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class Pool:
    """A per-process pool of connections to one database, or spread over several alike (replicas): each
    new connection goes to the next URL in turn; one that refuses is skipped, and tried after the others
    for `retry_s`. Never waits: with `maxconn` in use, the next request is a 503."""

    def __init__(self, urls: Sequence[str], maxconn: int, settings: dict[str, Any], connect_timeout_s: int,
                 retry_s: float = 10.0):
        self._urls = list(urls)
        self._maxconn, self._retry_s = maxconn, retry_s
        self._connect_args = {"connect_timeout": connect_timeout_s, "application_name": "mapserver-web",
                              "options": session_options(settings), "connection_factory": Connection}
        self._lock = threading.Lock()
        self._idle: list[Connection] = []
        self._in_use = 0
        self._turn = 0
        self._refused: dict[str, float] = {}  # url -> when it last refused
        self._pid = os.getpid()

    def usage(self) -> tuple[int, int]:
        """(connections in use, idle connections) of this process."""
        with self._lock:
            return self._in_use, len(self._idle)

    def getconn(self, fresh: bool = False) -> Connection:
        """A pooled connection, or with `fresh` a newly opened one."""
        with self._lock:
            self._after_fork()
            conn = None if fresh else self._take_idle()
            if conn is None and self._in_use >= self._maxconn:
                log.warning("database unavailable: all %d pooled connections in use", self._maxconn)
                raise DatabaseUnavailable()
            self._in_use += 1
        if conn is not None:
            return conn
        try:
            return self._connect()
        except BaseException:
            with self._lock:
                self._in_use -= 1
            raise

    def putconn(self, conn: Connection) -> None:
        keep = not conn.closed
        if keep:
            try:
                conn.rollback()
            except psycopg2.Error:
                keep = False
        with self._lock:
            self._in_use -= 1
            if keep:
                self._idle.append(conn)
        if not keep:
            conn.close()

    def _after_fork(self) -> None:
        """A forked child starts empty (the parent's sockets are the parent's; gunicorn forks before any)."""
        if self._pid != os.getpid():
            self._idle, self._in_use, self._pid = [], 0, os.getpid()

    def _take_idle(self) -> Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not _hung_up(conn):
                return conn
            conn.close()
        return None

    def _connect(self) -> Connection:
        error: psycopg2.OperationalError | None = None
        for url in self._in_turn():
            try:
                conn = psycopg2.connect(url, **self._connect_args)
            except psycopg2.OperationalError as exc:
                log.warning("database unavailable: %s", exc)
                self._refused[url], error = time.monotonic(), exc
                continue
            self._refused.pop(url, None)
            return conn
        raise DatabaseUnavailable() from error

    def _in_turn(self) -> list[str]:
        """Every URL, starting from the next in turn; those that refused within `retry_s` last."""
        with self._lock:
            start, self._turn = self._turn, (self._turn + 1) % len(self._urls)
        urls = self._urls[start:] + self._urls[:start]
        recent = time.monotonic() - self._retry_s
        return sorted(urls, key=lambda url: self._refused.get(url, -1.0) > recent)


def init_app(app: Flask) -> None:
    """Attach lazy pools to the app, return each request's connections when it ends, and answer a lost
    database with a 503 wherever it surfaces (a write included: the client may try again)."""
    # Search's `<%` keeps matches above this word similarity; set per session, not per statement,
    # so that each search is a single statement the server can keep prepared. No JIT: requests run
    # short statements, and a plan kept for all values estimates an unknown LIMIT as a tenth of the
    # layer, which crossed jit_above_cost and compiled for 280 ms a nearest that runs in 0.5 ms.
    settings = {"statement_timeout": int(app.config["STATEMENT_TIMEOUT_MS"]),
                "pg_trgm.word_similarity_threshold": float(app.config["SEARCH_SIMILARITY_MIN"]),
                "plan_cache_mode": PER_CALL, "jit": "off"}
    size, timeout_s = int(app.config["POOL_MAX_CONNECTIONS"]), int(app.config["CONNECT_TIMEOUT_S"])
    app.extensions["mapserver.pool"] = Pool([database_url(app.config)], size, settings, timeout_s)
    read_urls = database_read_urls(app.config)
    app.extensions["mapserver.read_pool"] = Pool(
        read_urls, size, settings, timeout_s, float(app.config["READ_URL_RETRY_S"])) if read_urls else None
    app.teardown_appcontext(_release)
    app.register_error_handler(psycopg2.OperationalError, _lost)
    app.register_error_handler(psycopg2.InterfaceError, _lost)


def _lost(exc: psycopg2.Error):
    """A lost database met by a route's own cursor (the writes use `get_db()` directly)."""
    err = _unavailable(exc)
    return error_response(err.status, err.code, err.en, err.vi)


def get_db() -> Connection:
    """This request's connection to DATABASE_URL (the primary), taken from the pool on first use: writes,
    and the reads that must see them (sessions, tokens, the agencies' pages)."""
    if "db" not in g:
        g.db = current_app.extensions["mapserver.pool"].getconn()
    return g.db


def read_db() -> Connection:
    """This request's connection for the read routes: to a replica (DATABASE_READ_URL) when there is one,
    else `get_db()`'s own (one connection per request, as before replicas)."""
    pool = current_app.extensions["mapserver.read_pool"]
    if pool is None:
        return get_db()
    if "read_db" not in g:
        g.read_db = pool.getconn()
    return g.read_db


def _pools() -> dict[str, Pool | None]:
    """The request's connection names and the pools they return to."""
    return {"db": current_app.extensions["mapserver.pool"], "read_db": current_app.extensions["mapserver.read_pool"]}


def _release(_exc: BaseException | None) -> None:
    for name, pool in _pools().items():
        conn = g.pop(name, None)
        if pool and conn is not None:
            pool.putconn(conn)


def _replace(conn: Connection) -> Connection:
    """Give a lost connection back (the pool closes it) and take a newly opened one in its place: not another
    kept one, which the same restart may have broken too."""
    name, pool = next((name, pool) for name, pool in _pools().items() if pool and g.get(name) is conn)
    pool.putconn(g.pop(name))
    setattr(g, name, pool.getconn(fresh=True))
    return g.get(name)


def _unavailable(exc: psycopg2.Error) -> DatabaseUnavailable:
    log.warning("database error: %s", exc)
    return TookTooLong() if isinstance(exc, psycopg2.errors.QueryCanceled) else DatabaseUnavailable()


def _cursor(conn: Connection, raw_text: bool):
    cur = conn.cursor()
    if raw_text:
        psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cur)
    return cur


def _outside_transaction(conn: Connection, run: Callable[[Any], T], raw_text: bool) -> T:
    """`run(cursor)` with each statement its own transaction when none is open (no BEGIN and ROLLBACK round
    trips, which on the read API's short queries cost as much wire time as the query itself); inside the
    open one otherwise."""
    own = conn.info.transaction_status == IDLE
    if own:
        conn.autocommit = True
    try:
        return run(_cursor(conn, raw_text))
    finally:
        if own and not conn.closed:
            conn.autocommit = False


def read_on(run: Callable[[Any], T], raw_text: bool = False) -> T:
    """`run(cursor)` on this request's read connection, outside a transaction when none is open; a lost
    database becomes a 503. When the connection turns out lost (a restart) and held no transaction of this
    request, `run` runs once more on a fresh connection: for reads only, and `run` must be safe to repeat
    (a client-side cursor receives every row before `execute` returns, so a failed one has sent nothing on).
    `raw_text`: text columns come back as the UTF-8 bytes PostgreSQL sent (see `db_cursor`)."""
    conn = read_db()
    repeatable = conn.closed or conn.info.transaction_status == IDLE
    try:
        return _outside_transaction(conn, run, raw_text)
    except LOST as exc:
        if not (repeatable and conn.closed):
            raise _unavailable(exc) from exc
        log.info("read connection lost (%s): once more on a fresh one", exc)
    try:
        return _outside_transaction(_replace(conn), run, raw_text)
    except LOST as exc:
        raise _unavailable(exc) from exc


@contextmanager
def db_cursor(raw_text: bool = False) -> Iterator:
    """A cursor on this request's read connection (in a transaction); a lost connection becomes a 503, not a
    500. `raw_text`: text columns come back as the UTF-8 bytes PostgreSQL sent, for answers that go out
    as they are (decoding a page of items into str and encoding it again cost 30 us a request)."""
    conn = read_db()
    try:
        with _cursor(conn, raw_text) as cur:
            yield cur
    except LOST as exc:
        raise _unavailable(exc) from exc


def _executed(sql, params) -> Callable[[Any], Any]:
    def execute(cur):
        cur.execute(sql, params)
        return cur
    return execute


@contextmanager
def read_query(sql, params=None, raw_text: bool = False) -> Iterator:
    """A cursor of the read connection with one read statement executed: outside a transaction, or inside the
    request's open one (coverage reads its tables and counts in one); see `read_on`."""
    with closing(read_on(_executed(sql, params), raw_text)) as cur:
        yield cur


run_query = read_query  # the name /healthz and coverage call it by


def copy_csv(query: psycopg2.sql.Composable, params=None) -> str:
    """The rows of `query` as CSV with a header line, written by PostgreSQL's own COPY (on the read connection)."""
    def copy(cur) -> str:
        buf = io.StringIO()
        statement = psycopg2.sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(query)
        cur.copy_expert(cur.mogrify(statement, params).decode(), buf)
        return buf.getvalue()
    return read_on(copy)


MAX_PREPARED = 512  # per connection; past it the connection forgets them all (DEALLOCATE ALL)


@contextmanager
def read_prepared(statement: Compiled, params: dict[str, Any]) -> Iterator:
    """`read_query` through a statement this connection has prepared: the server neither receives nor
    parses its text again. DB_PREPARED_STATEMENTS = false sends the text each time instead, for
    connection poolers that do not keep a session per client (PgBouncer in transaction mode).
    The statements are the read API's answers: text columns arrive as bytes (see `db_cursor`).
    A fresh connection after a lost one prepares the statement again (see `read_on`)."""
    if not current_app.config["DB_PREPARED_STATEMENTS"]:
        with read_query(statement.text, params, raw_text=True) as cur:
            yield cur
        return
    with closing(read_on(lambda cur: _execute_prepared(cur, statement, params), raw_text=True)) as cur:
        yield cur


def _execute_prepared(cur, statement: Compiled, params: dict[str, Any]):
    conn = cur.connection
    if statement.name not in conn.prepared:
        _prepare(cur, statement)
    text, plan_mode = statement.execute, None
    if conn.plan_mode != statement.plan:
        # In the same round trip; a failed EXECUTE rolls the SET back with it.
        text, plan_mode = f"SET plan_cache_mode = {statement.plan}; {text}", statement.plan
    cur.execute(text, params)
    if plan_mode:
        conn.plan_mode = plan_mode
    return cur


def _prepare(cur, statement: Compiled) -> None:
    prepared = cur.connection.prepared
    if len(prepared) >= MAX_PREPARED:
        cur.execute("DEALLOCATE ALL")
        prepared.clear()
    cur.execute(statement.prepare)
    prepared.add(statement.name)
