"""Which version of each layer readers see now: the input of every ETag, checked by the statement itself.

Looking the published version up before each feature statement would cost a second round trip per
request, as much wire time as a short query. Instead each process remembers the versions it last
saw, and every feature statement first checks them against the catalog (the guard) in the same
snapshot it reads the features from. A publish since then fails the guard (or has already dropped
the remembered table): the process forgets what it saw and the request starts over (see
`api.declare`). So an answer is always the published version's, never a mix, in one round trip.

Answers that run no feature statement (metadata, revalidation by If-None-Match) look up fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

import psycopg2.errors
from flask import current_app
from psycopg2 import sql

from mapserver.catalog import PUBLISHED_SQL, Published, published_from
from mapserver.db import read_prepared, read_query
from mapserver.errors import ApiError
from mapserver.query.compiled import statement


class StaleVersion(ApiError):
    """A publish overtook this request, again and again: only when the retries ran out (api.declare)."""
    status, code = 503, "ServiceUnavailable"
    en = "The layer is being republished; please try again."
    vi = "Lớp dữ liệu đang được công bố lại; vui lòng thử lại."
    headers = {"Retry-After": "1"}


def _seen() -> dict[str, Published]:
    """Per app (one process may serve several databases, as the tests do)."""
    return current_app.extensions.setdefault("mapserver.seen_versions", {})


def published_now(slugs: Iterable[str]) -> dict[str, Published]:
    """One fresh lookup for several layers, outside a transaction (see read_query); remembered."""
    slugs = list(slugs)
    with read_query(PUBLISHED_SQL, (slugs,)) as cur:
        found = published_from(cur.fetchall())
    seen = _seen()
    for slug in slugs:
        if slug in found:
            seen[slug] = found[slug]
        else:
            seen.pop(slug, None)
    return found


def published_seen(slugs: Iterable[str]) -> dict[str, Published]:
    """The versions this process last saw, for a guarded statement; looked up when one is unknown."""
    slugs = list(slugs)
    seen = _seen()
    if all(slug in seen for slug in slugs):
        return {slug: seen[slug] for slug in slugs}
    return published_now(slugs)


def forget(published: Iterable[Published]) -> None:
    seen = _seen()
    for pub in published:
        seen.pop(pub.slug, None)


# The guard counts the remembered (slug, version) pairs that are still published; the body's
# scalar subquery is an InitPlan, run only when its CASE branch is taken.
_GUARD = sql.SQL(
    "SELECT g.fresh, CASE WHEN g.fresh THEN ({body}) END FROM ("
    "SELECT count(*) = cardinality(%(guard_slugs)s::text[]) AS fresh FROM mapserver.layers l "
    "JOIN unnest(%(guard_slugs)s::text[], %(guard_versions)s::int[]) k(slug, version) "
    "ON l.slug = k.slug AND l.published_version = k.version) g")


def fetch_guarded(key: Hashable, build: Callable[[], sql.Composable], params: dict[str, Any],
                  published: list[Published]) -> Any:
    """The single value of the statement `build` makes, read from the versions in `published`."""
    compiled = statement(("guarded", key), lambda: _GUARD.format(body=build()))
    guard = {"guard_slugs": [p.slug for p in published], "guard_versions": [p.version for p in published]}
    try:
        with read_prepared(compiled, {**params, **guard}) as cur:
            fresh, value = cur.fetchone()
    except psycopg2.errors.UndefinedTable:
        fresh = False  # a remembered version was pruned since: as stale as stale gets
    if not fresh:
        forget(published)
        raise StaleVersion()
    return value
