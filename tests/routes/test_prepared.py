"""Prepared read statements answer exactly what the plain statements answer, and are kept per connection."""

from __future__ import annotations

import psycopg2.errors
import pytest
import requests

from mapserver import create_app
from mapserver.features.query.features import ItemsQuery, items_plan
from mapserver.web.catalog import Published
from mapserver.web.compiled import Compiled, _compiled
from mapserver.web.db import ONCE, PER_CALL, get_db, read_prepared
from tests.serving import serving

QUERIES = [
    "/api/collections/health/items?limit=7&kind=hospital&sortby=-name",
    "/api/collections/health/items?bbox=106.6,10.7,106.8,10.85&limit=20&offset=20&properties=name,kind",
    "/api/collections/health/items?bbox=106.69,10.77,106.71,10.79&limit=5",  # a small box: planned once
    "/api/nearest?layer=health&lon=106.70&lat=10.78&limit=5&kind=vaccination&max_distance=5000",
    "/api/nearest?layer=transport&lon=106.70&lat=10.78&limit=3",
    "/api/nearby?lon=106.70&lat=10.78&radius=800",
    "/api/within?layer=bus_stops&lon=106.70&lat=10.78&radius=300",
    "/api/search?q=benh vien&near=106.70,10.78&limit=10",
    "/api/search?q=bemh vien&layer=health",  # one typo: needs the session's similarity threshold
    "/api/search?q=100%_&limit=5",  # LIKE metacharacters pass through `%%` unharmed
]


@pytest.fixture(scope="module")
def both(db_url):
    """Two servers on the same database: one prepares its statements, one sends their text."""
    prepared = create_app({"DATABASE_URL": db_url, "DB_PREPARED_STATEMENTS": True})
    plain = create_app({"DATABASE_URL": db_url, "DB_PREPARED_STATEMENTS": False})
    with serving(prepared) as a, serving(plain) as b:
        yield prepared, a, b


@pytest.mark.parametrize("path", QUERIES)
def test_prepared_and_plain_statements_answer_the_same(both, path):
    _, prepared, plain = both
    for _ in range(7):  # past the 5 runs after which PostgreSQL may switch a prepared statement to a generic plan
        a = requests.get(prepared + path, timeout=30)
    b = requests.get(plain + path, timeout=30)
    assert a.status_code == b.status_code == 200, a.text
    assert a.text.replace(prepared, "") == b.text.replace(plain, "")  # links name each server


def test_each_connection_prepares_a_statement_once_and_plans_it_as_declared(both):
    """Search and items with filters or in a large box are planned for each call's values; nearest, item
    and items in a small box once per connection."""
    app, base, _ = both
    for path in QUERIES + ["/api/collections/health/items/HC-000001"]:
        requests.get(base + path, timeout=30)
    with app.app_context(), get_db().cursor() as cur:
        cur.execute("SELECT name, generic_plans, custom_plans FROM pg_prepared_statements")
        rows = cur.fetchall()
    plans = {c.name: c.plan for c in _compiled.values()}
    assert rows and all(name in plans for name, _, _ in rows)
    assert {plans[name] for name, _, _ in rows} == {PER_CALL, ONCE}
    pages = {c.name for c in _compiled.values() if "'numberMatched'" in c.text}
    assert {plans[name] for name, _, _ in rows if name in pages} == {PER_CALL, ONCE}
    # a small box's page counts its matches in its own scan; a large one's counts them apart
    texts = {c.name: c.text for c in _compiled.values()}
    assert {(plans[name], "count(*) OVER ()" in texts[name]) for name, _, _ in rows if name in pages} == {
        (ONCE, True), (PER_CALL, False)}
    for name, generic, custom in rows:
        assert (generic, custom > 0) == (0, True) if plans[name] == PER_CALL else (generic > 0, custom) == (True, 0)


def test_a_failed_statement_leaves_the_session_planning_as_before(both):
    """The plan mode is set in the same round trip as the statement: a failure rolls both back."""
    app, _, _ = both
    failing = Compiled.from_text("SELECT 1 / %(zero)s", ONCE)
    with app.test_request_context("/"):
        conn = get_db()
        _plan_per_call(conn)  # the pooled connection may have served a nearest last
        with pytest.raises(psycopg2.errors.DivisionByZero), read_prepared(failing, {"zero": 0}) as cur:
            cur.fetchone()
        with conn.cursor() as cur:
            cur.execute("SHOW plan_cache_mode")
            assert cur.fetchone()[0] == conn.plan_mode == PER_CALL
        with read_prepared(failing, {"zero": 1}) as cur:
            assert cur.fetchone()[0] == 1
        with conn.cursor() as cur:
            cur.execute("SHOW plan_cache_mode")
            assert cur.fetchone()[0] == conn.plan_mode == ONCE


def _plan_per_call(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(f"SET plan_cache_mode = {PER_CALL}")
    conn.commit()  # read statements run outside a transaction (mapserver.web.db.read_query)
    conn.plan_mode = PER_CALL


def test_a_small_bbox_keeps_its_plan_and_a_large_box_or_a_filter_is_planned_per_call():
    layer = Published("health", 1, "health_v1", 1_000_000, (106.0, 10.0, 108.0, 12.0))
    small, large = (106.70, 10.77, 106.72, 10.79), (106.0, 10.0, 107.0, 11.0)
    assert items_plan(layer, ItemsQuery(limit=100, bbox=small)) == ONCE
    assert items_plan(layer, ItemsQuery(limit=100, bbox=large)) == PER_CALL
    assert items_plan(layer, ItemsQuery(limit=100, bbox=small, filters={"kind": "clinic"})) == PER_CALL
    assert items_plan(layer, ItemsQuery(limit=100)) == PER_CALL  # no bbox: the LIMIT decides the plan
    assert items_plan(layer, ItemsQuery(limit=100, bbox=(179.9, 10.0, -179.9, 10.1))) == PER_CALL
    assert items_plan(Published("one", 1, "one_v1", 1, (106.7, 10.7, 106.7, 10.7)),
                      ItemsQuery(limit=100, bbox=small)) == PER_CALL
    assert items_plan(layer, ItemsQuery(limit=100, bbox=(109.0, 13.0, 109.01, 13.01))) == ONCE  # outside: none


def test_named_placeholders_become_positions_and_percent_escapes_are_undone():
    compiled = Compiled.from_text("SELECT %(a)s, %(b)s, %(a)s WHERE x LIKE 'a%%' AND %(b)s <%% y")
    assert compiled.prepare == f"PREPARE {compiled.name} AS SELECT $1, $2, $1 WHERE x LIKE 'a%' AND $2 <% y"
    assert compiled.execute == f"EXECUTE {compiled.name} (%(a)s, %(b)s)"
    assert Compiled.from_text("SELECT 1").execute == f"EXECUTE {Compiled.from_text('SELECT 1').name}"
