"""Which version of each layer readers see now: the input of every ETag."""

from __future__ import annotations

from mapserver.catalog import PUBLISHED_SQL, Published, published_from
from mapserver.db import read_query


def published_many(slugs: list[str]) -> dict[str, Published]:
    """One lookup for several layers, outside a transaction (see read_query)."""
    with read_query(PUBLISHED_SQL, (list(slugs),)) as cur:
        return published_from(cur.fetchall())
