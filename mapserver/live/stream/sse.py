"""Server-Sent Events framing: what a stream writes, encoded once per event for all the streams that get it."""

from __future__ import annotations

import json

from etl.live.events import Event

RETRY_MS = 1000  # an EventSource reconnects this long after a stream ends
KEEPALIVE = b": keep-alive\n\n"  # a comment: proxies and clients see traffic, EventSource dispatches nothing


def event_frame(event: Event) -> bytes:
    """`id`, `event` and one `data` line (compact JSON never contains a newline)."""
    data = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n".encode()


def preamble(position: int) -> bytes:
    """The first bytes of a stream. An `id` with no `data` sets the client's last event id without an event,
    so a stream opened at "now" that drops before its first event still resumes from where it started."""
    return f"retry: {RETRY_MS}\nid: {position}\n\n".encode()
