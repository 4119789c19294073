"""The published network, held once per process and swapped whole when a new version is published.

Each request looks the published version up (one indexed row, well under a millisecond), so an answer never
comes from a network older than the one published when it was asked; the first request after a publish
reads the new version (a few hundred milliseconds for a city) while the others wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from mapserver.journeys.days import Days
from mapserver.journeys.network import Network, load_network
from mapserver.web.db import db_cursor, read_db, read_query
from mapserver.web.errors import ApiError

NETWORK = "transit"


class NoTimetable(ApiError):
    status, code = 404, "NotFound"
    en = "No public transport timetable has been published yet."
    vi = "Chưa có thời gian biểu giao thông công cộng nào được công bố."


@dataclass
class Held:
    """A network and the day tables built from it, swapped together."""

    network: Network
    days: Days


class Loaded:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.held: Held | None = None

    def get(self, slug: str, version: int, read: Callable[[str, int], Network]) -> Held:
        held = self.held
        if held is not None and (held.network.slug, held.network.version) == (slug, version):
            return held
        with self._lock:
            held = self.held
            if held is None or (held.network.slug, held.network.version) != (slug, version):
                network = read(slug, version)
                self.held = held = Held(network, Days(network))
            return held


def _read(slug: str, version: int) -> Network:
    with db_cursor() as cur:
        network = load_network(cur, slug, version)
    read_db().rollback()
    return network


def current() -> Held:
    """The network readers should see now; 404 when none is published."""
    with read_query("SELECT published_version FROM mapserver.networks WHERE slug = %s", (NETWORK,)) as cur:
        row = cur.fetchone()
    if row is None or row[0] is None:
        raise NoTimetable()
    loaded = current_app.extensions.setdefault("mapserver.journeys", Loaded())
    return loaded.get(NETWORK, row[0], _read)
