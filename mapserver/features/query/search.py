"""Search as Vietnamese people type: folded text (no diacritics, đ -> d), trigram index, a typo a word.

Features are found as typed first: the whole folded query inside the search text. Only when those are fewer
than a page are features found by similar spelling added, and then every word of the query must be
similar to a word of the feature: a query's one matching word ("nguyen" of "nguyen hue") no longer finds
the whole layer, which on a large layer cost the statement timeout.

Rank: an exact field match, then a field that starts with the query, then word similarity;
among equal similarity (to one decimal) the nearer first when a place is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql

from layers import SEARCH_PARTS, Field, Layer, search_part
from mapserver.features.query import clauses as c
from mapserver.web.catalog import Published
from mapserver.web.state import fetch_guarded

FOLDED = sql.SQL("mapserver.fold(%(q)s)")
# LIKE metacharacters in what people type are matched literally.
CONTAINS = sql.SQL("'%%' || replace(replace(replace(mapserver.fold(%(q)s), '\\', '\\\\'), '%%', '\\%%'), '_', '\\_')"
                   " || '%%'")


@dataclass(frozen=True)
class SearchTarget:
    layer: Layer
    published: Published
    n: int


def _field_test(fld: Field, test: str) -> sql.Composable:
    """`test` is `=` (exact) or `starts_with` on one searchable field, folded like search_text."""
    value = sql.SQL("mapserver.fold({})").format(sql.Identifier("v") if fld.type == "text[]" else c.column(fld.name))
    check = (sql.SQL("{} = {}") if test == "=" else sql.SQL("starts_with({}, {})")).format(value, FOLDED)
    if fld.type == "text[]":
        return sql.SQL("EXISTS (SELECT 1 FROM unnest({}) v WHERE {})").format(c.column(fld.name), check)
    return check


def _any_field(layer: Layer, test: str) -> sql.Composable:
    tests = [_field_test(f, test) for f in layer.searchable if f.type in ("text", "text[]")]
    return sql.SQL("({})").format(sql.SQL(" OR ").join(tests)) if tests else sql.SQL("false")


def _tier(layer: Layer) -> sql.Composable:
    return sql.SQL("CASE WHEN {} THEN 0 WHEN {} THEN 1 ELSE 2 END").format(
        _any_field(layer, "="), _any_field(layer, "starts_with"))


def _in_parts(tests: list[sql.Composable]) -> sql.Composable:
    """`tests` together, asked of each part of the trigram index (layers.SEARCH_PARTS) on its own: the planner
    takes a partial index only for a test that names its part."""
    both = sql.SQL(" AND ").join(tests)
    return sql.SQL("({})").format(sql.SQL(" OR ").join(
        sql.SQL("({} AND {})").format(sql.SQL(search_part(k)), both) for k in range(SEARCH_PARTS)))


TYPED = sql.SQL("t.search_text LIKE {}").format(CONTAINS)
# The similar-spelling phase tests at most this many words of the query (each a parameter w0, w1, ...).
WORDS_MAX = 8
_WORD = re.compile(r"\w+")


def query_words(q: str) -> list[str]:
    """The query's words, each once, that must each be found (as typed or with a typo) by similar spelling."""
    return list(dict.fromkeys(word.lower() for word in _WORD.findall(q)))[:WORDS_MAX]


def word_params(words: list[str]) -> dict[str, str]:
    """The statement's parameters w0, w1, ... for `query_words`' words."""
    return {f"w{i}": word for i, word in enumerate(words)}


def _similar(words: int) -> list[sql.Composable]:
    # `<%` keeps rows above pg_trgm.word_similarity_threshold, which every pooled session sets
    # to SEARCH_SIMILARITY_MIN (mapserver.web.db): the default 0.6 drops one typo in a short word.
    return [sql.SQL("mapserver.fold({}) <%% t.search_text").format(sql.Placeholder(f"w{i}")) for i in range(words)]


def _ranked(target: SearchTarget, near: bool, where: sql.Composable) -> sql.Composable:
    """One layer's best `limit` features that pass `where`."""
    distance = c.geodesic_distance("near_") if near else sql.SQL("NULL::double precision")
    extra = [("layer", sql.SQL("{}::text").format(sql.Placeholder(f"slug{target.n}")))]
    if near:
        extra.append(("distance_m", sql.SQL("round(r.m::numeric, 1)")))
    return sql.SQL(
        "SELECT {feature} AS feature, r.tier, r.sim, r.m, t.id FROM {table} "
        "CROSS JOIN LATERAL (SELECT {tier} AS tier, word_similarity({q}, t.search_text) AS sim, {dist} AS m) r "
        "WHERE {where} ORDER BY r.tier, round(r.sim::numeric, 1) DESC, r.m, r.sim DESC, t.id LIMIT %(limit)s"
    ).format(feature=c.feature(target.layer, target.layer.field_names, extra),
             table=c.table(target.published.table_name), tier=_tier(target.layer), q=FOLDED, dist=distance,
             where=where)


def _rows(target: SearchTarget, near: bool, words: int) -> sql.Composable:
    """As typed; then, when those are fewer than the page (a one-time test: the scan is skipped otherwise),
    by similar spelling of every word. Both phases are served by the trigram GIN index's parts."""
    typed = _ranked(target, near, _in_parts([TYPED]))
    if not words:
        return sql.SQL("({})").format(typed)
    similar = _ranked(target, near, sql.SQL("{} AND NOT ({}) AND (SELECT count(*) FROM typed) < %(limit)s").format(
        _in_parts(_similar(words)), TYPED))
    return sql.SQL("(WITH typed AS MATERIALIZED ({}) SELECT * FROM typed UNION ALL ({}))").format(typed, similar)


def search_statement(targets: list[SearchTarget], near: bool, words: int) -> sql.Composable:
    if not targets:
        return sql.SQL("SELECT json_build_object('type', 'FeatureCollection', 'numberReturned', 0, "
                       "'features', '[]'::json)::text")
    union = sql.SQL(" UNION ALL ").join(_rows(t, near, words) for t in targets)
    return sql.SQL(
        "SELECT json_build_object('type', 'FeatureCollection', 'numberReturned', count(*), "
        "'features', coalesce(json_agg(s.feature ORDER BY s.tier, round(s.sim::numeric, 1) DESC, s.m, s.sim DESC, "
        "s.id), '[]'::json))::text FROM (SELECT * FROM ({}) u "
        "ORDER BY u.tier, round(u.sim::numeric, 1) DESC, u.m, u.sim DESC, u.id LIMIT %(limit)s) s").format(union)


def search_json(targets: list[SearchTarget], q: str, limit: int, near: tuple[float, float] | None) -> bytes:
    """One statement over every target layer; the statement text is kept per (tables, near, words) shape."""
    words = query_words(q)
    params: dict[str, Any] = {"q": q, "limit": limit, **word_params(words)}
    if near:
        params.update(near_lon=near[0], near_lat=near[1])
    params.update({f"slug{t.n}": t.layer.slug for t in targets})
    key = ("search", tuple((t.n, t.published.table_name) for t in targets), near is not None, len(words))
    return fetch_guarded(key, lambda: search_statement(targets, near is not None, len(words)), params,
                         [t.published for t in targets])
