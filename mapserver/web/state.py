"""Which version of each layer readers see now: the input of every ETag, checked by the statements.

Looking the published version up before each feature statement would cost a second round trip per
request, as much wire time as a short query. Instead each process remembers the versions it last
saw, and a feature statement first checks them against the catalog (the guard) in the same
snapshot it reads the features from. A publish since then fails the guard (or has already dropped
the remembered table): the process forgets what it saw and the request starts over (see
`api.declare`). So an answer is always one published version's, never a mix, in one round trip.

The guard itself costs the database a catalog lookup and a larger plan on every request (measured
under `make bench`: 7-12 % of the read API's throughput), so a version the catalog confirmed less
than VERSION_RECHECK_S ago is trusted without it. After a publish a process may thus answer from the
previous version for at most that long: still one whole version (a version table never changes, and
the ETag names the version the answer came from), and well within the time clients may keep an
answer anyway (CACHE_FEATURES_S). A pruned table is caught as stale either way. 0 guards every statement.

Answers that run no feature statement (metadata, revalidation by If-None-Match) look up fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NoReturn

import psycopg2.errors
from flask import current_app
from psycopg2 import sql

from mapserver.web.catalog import PUBLISHED_SQL, Published, published_from
from mapserver.web.compiled import Compiled, statement
from mapserver.web.db import PER_CALL, read_prepared, read_query
from mapserver.web.errors import ApiError


class StaleVersion(ApiError):
    """A publish overtook this request, again and again: only when the retries ran out (api.declare)."""
    status, code = 503, "ServiceUnavailable"
    en = "The layer is being republished; please try again."
    vi = "Lớp dữ liệu đang được công bố lại; vui lòng thử lại."
    headers = {"Retry-After": "1"}


def _seen() -> dict[str, tuple[Published, float]]:
    """slug -> (version, when the catalog last confirmed it); per app (one process may serve several
    databases, as the tests do)."""
    return current_app.extensions.setdefault("mapserver.seen_versions", {})


def _confirm(published: Iterable[Published]) -> None:
    seen, now = _seen(), time.monotonic()
    for pub in published:
        seen[pub.slug] = (pub, now)


def _confirmed_recently(published: Iterable[Published]) -> bool:
    seen, oldest = _seen(), time.monotonic() - float(current_app.config["VERSION_RECHECK_S"])
    for pub in published:
        known = seen.get(pub.slug)
        if known is None or known[0] != pub or known[1] <= oldest:
            return False
    return True


def published_now(slugs: Iterable[str]) -> dict[str, Published]:
    """One fresh lookup for several layers, outside a transaction (see read_query); remembered."""
    slugs = list(slugs)
    with read_query(PUBLISHED_SQL, (slugs,)) as cur:
        found = published_from(cur.fetchall())
    forget(slug for slug in slugs if slug not in found)
    _confirm(found.values())
    return found


def published_seen(slugs: Iterable[str]) -> dict[str, Published]:
    """The versions this process last saw, for a guarded statement; looked up when one is unknown."""
    slugs = list(slugs)
    seen = _seen()
    if all(slug in seen for slug in slugs):
        return {slug: seen[slug][0] for slug in slugs}
    return published_now(slugs)


def forget(slugs: Iterable[str]) -> None:
    seen = _seen()
    for slug in slugs:
        seen.pop(slug, None)


# The guard counts the remembered (slug, version) pairs that are still published; the body's
# scalar subquery is an InitPlan, run only when its CASE branch is taken.
_GUARD = sql.SQL(
    "SELECT g.fresh, CASE WHEN g.fresh THEN ({body}) END FROM ("
    "SELECT count(*) = cardinality(%(guard_slugs)s::text[]) AS fresh FROM mapserver.layers l "
    "JOIN unnest(%(guard_slugs)s::text[], %(guard_versions)s::int[]) k(slug, version) "
    "ON l.slug = k.slug AND l.published_version = k.version) g")


def fetch_guarded(key: Hashable, build: Callable[[], sql.Composable], params: dict[str, Any],
                  published: list[Published], plan: str = PER_CALL) -> Any:
    """The single value of the statement `build` makes (None without a row), read from the versions in
    `published`: guarded unless the catalog confirmed them all within VERSION_RECHECK_S.
    `plan`: how the server plans it (see mapserver.web.db.PER_CALL)."""
    if _confirmed_recently(published):
        row = _fetch(statement(("plain", key), build, plan), params, published)
        return row[0] if row else None
    guard = {"guard_slugs": [p.slug for p in published], "guard_versions": [p.version for p in published]}
    fresh, value = _fetch(statement(("guarded", key), lambda: _GUARD.format(body=build()), plan),
                          {**params, **guard}, published)
    if not fresh:
        _stale(published)
    _confirm(published)
    return value


def _fetch(compiled: Compiled, params: dict[str, Any], published: list[Published]) -> tuple | None:
    try:
        with read_prepared(compiled, params) as cur:
            return cur.fetchone()
    except psycopg2.errors.UndefinedTable:
        _stale(published)  # a remembered version was pruned since: as stale as stale gets


def _stale(published: list[Published]) -> NoReturn:
    forget(p.slug for p in published)
    raise StaleVersion()
