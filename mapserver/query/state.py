"""Which version of each layer readers see now: the input of every ETag."""

from __future__ import annotations

from mapserver.catalog import Published
from mapserver.db import read_query


def published_many(slugs: list[str]) -> dict[str, Published]:
    """One lookup for several layers; layers never published are absent."""
    with read_query(
        "SELECT l.slug, v.version, v.table_name, v.feature_count, v.bbox FROM mapserver.layers l "
        "JOIN mapserver.layer_versions v ON v.layer_slug = l.slug AND v.version = l.published_version "
        "WHERE l.slug = ANY(%s)", (list(slugs),)) as cur:
        rows = cur.fetchall()
    return {r[0]: Published(r[1], r[2], r[3], tuple(r[4]) if r[4] else None) for r in rows}
