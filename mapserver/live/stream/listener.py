"""The process's one LISTEN connection, watched by the event loop (no thread waits on it).

A notification only wakes the follower, which reads the change table: a notification lost while the
connection was down costs nothing but the fallback poll's second. TCP keepalives let a connection whose
server vanished without a word (a machine gone) be noticed and replaced.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg2
from psycopg2 import sql

from etl.live.events import CHANNEL
from mapserver.web.db import LOST

log = logging.getLogger(__name__)
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


class Listener:
    def __init__(self, url: str, connect_timeout_s: int, wake: Callable[[], None]):
        self._url, self._connect_timeout_s, self._wake = url, connect_timeout_s, wake
        self._conn = None
        self._fd = -1  # kept: a connection psycopg2 has found closed no longer tells its socket
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def connect(self) -> None:
        """Connect and LISTEN (in a thread: connecting blocks), then let the loop watch the socket."""
        self._loop = asyncio.get_running_loop()
        self._conn = await asyncio.to_thread(self._open)
        self._fd = self._conn.fileno()
        self._loop.add_reader(self._fd, self._readable)

    def close(self) -> None:
        if self._conn is None:
            return
        self._loop.remove_reader(self._fd)
        self._conn.close()
        self._conn = None

    def _open(self):
        conn = psycopg2.connect(self._url, connect_timeout=self._connect_timeout_s,
                                application_name="mapserver-stream", **_KEEPALIVES)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        return conn

    def _readable(self) -> None:
        try:
            self._conn.poll()
        except LOST as exc:
            log.warning("stream: lost the LISTEN connection: %s", str(exc).strip())
            self.close()
            self._wake()  # the follower reconnects
            return
        if self._conn.notifies:
            self._conn.notifies.clear()
            self._wake()
