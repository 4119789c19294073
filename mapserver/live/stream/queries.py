"""The service's short queries (the follower's reads, backlogs, tokens, the sweep): a few threads on a small
pool, shared by every stream of the process, so streams never hold a connection each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from mapserver.web.db import LOST, Pool
from mapserver.web.errors import DatabaseUnavailable

T = TypeVar("T")
# The database is gone, refuses connections, or timed out: the caller waits and tries again.
DOWN = (*LOST, DatabaseUnavailable)


class Queries:
    """At most `size` statements at a time, each on a pooled connection in a thread of its own."""

    def __init__(self, url: str, size: int, statement_timeout_ms: int, connect_timeout_s: int):
        self._pool = Pool([url], size, {"statement_timeout": statement_timeout_ms, "jit": "off"}, connect_timeout_s)
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="stream-db")

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(cursor, *args)`, rolled back after (reads commit nothing)."""
        return await self._run(self._with_cursor, fn, args)

    async def on_connection(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)`, for functions that commit their own transactions (the sweep)."""
        return await self._run(self._with_connection, fn, args)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _run(self, call: Callable[..., T], fn: Callable[..., Any], args: tuple) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, call, fn, args)

    def _with_cursor(self, fn: Callable[..., T], args: tuple) -> T:
        return self._with_connection(_on_cursor, (fn, args))

    def _with_connection(self, fn: Callable[..., T], args: tuple) -> T:
        conn = self._pool.getconn()
        try:
            return fn(conn, *args)
        except LOST:
            conn.close()  # not kept: the pool drops closed connections
            raise
        finally:
            self._pool.putconn(conn)


def _on_cursor(conn, fn: Callable[..., T], args: tuple) -> T:
    with conn.cursor() as cur:
        return fn(cur, *args)
