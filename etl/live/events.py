"""The change table of live layers: how events are numbered, announced and read back.

The table is the truth; NOTIFY only wakes followers up. Event ids come from a sequence, and a sequence
hands numbers out in call order, not commit order: a follower reading `id > last` could skip an event
whose transaction took a smaller id but committed later. So every transaction that adds events first
takes one transaction-level advisory lock (`lock_events`), held until its commit: ids then become
visible in id order, on every process and every replica that replays them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2.extras

CHANNEL = "mapserver_live"  # NOTIFY payload: the layer's slug
LOCK_KEY = 7_311_005  # pg_advisory_xact_lock: one live write (or sweep) adds events at a time
KINDS = ("create", "update", "delete", "expire")


@dataclass(frozen=True)
class Event:
    id: int
    collection: str
    feature_id: str
    kind: str
    revision: int | None
    at: datetime
    feature: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        """The event as clients get it, in the SSE `data:` line and in `?since=` answers alike."""
        return {"id": str(self.id), "type": self.kind, "collection": self.collection, "featureId": self.feature_id,
                "revision": self.revision, "time": self.at.isoformat().replace("+00:00", "Z"),
                "feature": self.feature}


def lock_events(cur) -> None:
    """Call first in a transaction that will add events (see the module's docstring)."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))


def add_event(cur, slug: str, feature_id: str, kind: str, revision: int | None,
              feature: dict[str, Any] | None) -> int:
    """One event, announced at commit; the layer's `live_event` (its answers' ETag state) follows it."""
    cur.execute("INSERT INTO mapserver.live_events (layer_slug, feature_id, kind, revision, feature) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (slug, feature_id, kind, revision, psycopg2.extras.Json(feature) if feature is not None else None))
    event_id = int(cur.fetchone()[0])
    announce(cur, slug, event_id)
    return event_id


def announce(cur, slug: str, last_event: int) -> None:
    """The layer's answers now name `last_event`; followers wake at commit. The payload is the slug alone:
    PostgreSQL folds equal notifications of one transaction into one, so a bulk write wakes them once."""
    cur.execute("UPDATE mapserver.layers SET live_event = %s WHERE slug = %s", (last_event, slug))
    cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, slug))


_COLUMNS = "id, layer_slug, feature_id, kind, revision, at, feature"


def _events(rows) -> list[Event]:
    return [Event(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


def events_after(cur, after: int, limit: int, slug: str | None = None) -> list[Event]:
    """Events with an id above `after`, oldest first: of one layer, or of every layer (a follower)."""
    if slug is None:
        cur.execute(f"SELECT {_COLUMNS} FROM mapserver.live_events WHERE id > %s ORDER BY id LIMIT %s",
                    (after, limit))
    else:
        cur.execute(f"SELECT {_COLUMNS} FROM mapserver.live_events WHERE layer_slug = %s AND id > %s "
                    "ORDER BY id LIMIT %s", (slug, after, limit))
    return _events(cur.fetchall())


def last_event_id(cur) -> int:
    """Where a follower that starts now begins: events before it are history, read on request."""
    cur.execute("SELECT coalesce(max(id), 0) FROM mapserver.live_events")
    return int(cur.fetchone()[0])
