"""What the read API needs to know of a live layer: the state its answers' ETags name.

A live layer changes without a new version, so its answers name its last event instead (one primary-key
lookup), and a feature's ETag is its revision, the one If-Match must give back to write it.
"""

from __future__ import annotations

from etl.live.store import validity_state
from etl.live.writes import revision_of
from layers import Layer
from mapserver.web.db import read_on


def layer_head(cur, slug: str) -> int:
    """The id of the layer's last event (0 before any)."""
    cur.execute("SELECT coalesce(live_event, 0) FROM mapserver.layers WHERE slug = %s", (slug,))
    return int(cur.fetchone()[0])


def head(layer: Layer) -> int:
    return read_on(lambda cur: layer_head(cur, layer.slug))


def state(layer: Layer) -> tuple[int, str | None, str | None]:
    """The input of a live layer's answers' ETags (etl.live.store.validity_state)."""
    return read_on(lambda cur: validity_state(cur, layer))


def revision(layer: Layer, feature_id: str) -> int | None:
    return read_on(lambda cur: revision_of(cur, layer, feature_id))
