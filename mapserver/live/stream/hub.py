"""One follower per process reads the change table for every stream and hands each stream its layer's events.

Ids become visible in id order (etl.live.events), so reading `id > last` once per wake-up finds every event
exactly once. Each event is framed once, then offered to the streams of its layer: a stream's queue holds
references to those shared bytes, and a stream whose queue is full (a client that cannot keep up) is
closed, to resume with `Last-Event-ID` from the table like any dropped stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable

from etl.live.events import Event, events_after, last_event_id
from mapserver.live.stream import sse
from mapserver.live.stream.listener import Listener
from mapserver.live.stream.queries import DOWN, Queries

log = logging.getLogger(__name__)

BATCH = 1000  # events per read; a full batch is followed by the next read at once
POLL_S = 1.0  # a read even without a notification (one lost, the listener reconnecting)
COALESCE_S = 0.05  # reads at most this often: at 100 writes/s a stream gets ~20 writes, not 100
BACKOFF_S = (0.1, 5.0)  # first and longest wait between attempts while the database is down

Frame = tuple[int, bytes]


class Subscription:
    """One stream's place in the hub: the events it still has to write, and where it is."""

    __slots__ = ("slug", "sent", "pending", "queue_max", "ready", "ping", "closed")

    def __init__(self, slug: str, position: int, queue_max: int):
        self.slug, self.queue_max = slug, queue_max
        self.sent = position  # the last event id the client has (or had when it resumed)
        self.pending: deque[Frame] = deque()
        self.ready = asyncio.Event()
        self.ping = self.closed = False

    def offer(self, frames: list[Frame]) -> None:
        if len(self.pending) + len(frames) > self.queue_max:
            self.close()
            return
        self.pending.extend(frames)
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()

    def take(self) -> bytes:
        """The waiting frames above `sent` in one write (a backlog may already have sent some of them)."""
        chunks = []
        while self.pending:
            event_id, frame = self.pending.popleft()
            if event_id > self.sent:
                chunks.append(frame)
                self.sent = event_id
        return b"".join(chunks)


class Hub:
    """The follower, its LISTEN connection, and the streams of this process by layer."""

    def __init__(self, url: str, queries: Queries, connect_timeout_s: int, keepalive_s: float, queue_max: int):
        """`keepalive_s`, `queue_max`: LIVE_STREAM_KEEPALIVE_S, LIVE_STREAM_QUEUE_MAX (common.settings)."""
        self.queries, self.keepalive_s, self.queue_max = queries, keepalive_s, queue_max
        self.last = 0
        self._woken = asyncio.Event()
        self._listener = Listener(url, connect_timeout_s, self._woken.set)
        self._streams: dict[str, set[Subscription]] = {}

    @property
    def stream_count(self) -> int:
        return sum(len(subs) for subs in self._streams.values())

    async def start(self) -> None:
        """Listen, then take the newest event as the start: what came before is history, read on request."""
        await self._retrying(self._listener.connect)
        self.last = await self._retrying(lambda: self.queries.read(last_event_id))

    def subscribe(self, slug: str, after: int | None) -> Subscription:
        """A stream from `after` (its Last-Event-ID) or from now. Every event above `self.last` will be
        offered to it; the caller reads the ones from `after` to there from the table (the backlog)."""
        sub = Subscription(slug, self.last if after is None else after, self.queue_max)
        self._streams.setdefault(slug, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._streams.get(sub.slug)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._streams[sub.slug]

    def close_all(self) -> None:
        for subs in self._streams.values():
            for sub in subs:
                sub.close()
        self._listener.close()

    async def follow(self) -> None:
        """Read what is new on each wake-up (and every POLL_S), for as long as the process runs."""
        loop = asyncio.get_running_loop()
        read_at = 0.0
        while True:
            await asyncio.sleep(max(0.0, read_at + COALESCE_S - loop.time()))
            read_at = loop.time()
            self._woken.clear()
            events = await self._retrying(self._read)
            self._fan_out(events)
            if len(events) < BATCH:
                await self._wait(POLL_S)

    async def keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_s)
            for subs in self._streams.values():
                for sub in subs:
                    sub.ping = True
                    sub.ready.set()

    async def _read(self) -> list[Event]:
        """LISTEN again first after a lost connection, then read: an event committed in between is read
        now, one committed later notifies."""
        if not self._listener.connected:
            await self._listener.connect()
            log.warning("stream: listening again from event %d", self.last)
        return await self.queries.read(events_after, self.last, BATCH)

    def _fan_out(self, events: list[Event]) -> None:
        """Synchronous from `self.last` to the last offer: a stream subscribes either before an event is
        offered (and gets it) or after `last` has passed it (and reads it in its backlog)."""
        if not events:
            return
        framed: dict[str, list[Frame]] = {}
        for event in events:
            if event.collection in self._streams:
                framed.setdefault(event.collection, []).append((event.id, sse.event_frame(event)))
        self.last = events[-1].id
        for slug, frames in framed.items():
            for sub in list(self._streams.get(slug, ())):
                sub.offer(frames)

    async def _wait(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), timeout_s)

    async def _retrying(self, attempt: Callable):
        """`attempt()` until the database answers, waiting longer each time (up to BACKOFF_S[1])."""
        delay = BACKOFF_S[0]
        while True:
            try:
                return await attempt()
            except DOWN as exc:
                log.warning("stream: database unavailable (%s), again in %.1f s", str(exc).strip(), delay)
                self._listener.close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_S[1])
