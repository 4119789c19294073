"""Prepared read statements answer exactly what the plain statements answer, and are kept per connection."""

from __future__ import annotations

import pytest
import requests

from mapserver import create_app
from mapserver.query.compiled import Compiled
from tests.serving import serving

QUERIES = [
    "/api/collections/health/items?limit=7&kind=hospital&sortby=-name",
    "/api/collections/health/items?bbox=106.6,10.7,106.8,10.85&limit=20&offset=20&properties=name,kind",
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


def test_each_connection_prepares_a_statement_once_and_plans_it_per_call(both):
    app, base, _ = both
    for path in QUERIES:
        requests.get(base + path, timeout=30)
    with app.app_context():
        from mapserver.db import get_db

        with get_db().cursor() as cur:
            cur.execute("SELECT name, generic_plans, custom_plans FROM pg_prepared_statements")
            rows = cur.fetchall()
    assert rows and all(name.startswith("q_") for name, _, _ in rows)
    assert sum(custom for _, _, custom in rows) > 0 and all(generic == 0 for _, generic, _ in rows)


def test_named_placeholders_become_positions_and_percent_escapes_are_undone():
    compiled = Compiled.from_text("SELECT %(a)s, %(b)s, %(a)s WHERE x LIKE 'a%%' AND %(b)s <%% y")
    assert compiled.prepare == f"PREPARE {compiled.name} AS SELECT $1, $2, $1 WHERE x LIKE 'a%' AND $2 <% y"
    assert compiled.execute == f"EXECUTE {compiled.name} (%(a)s, %(b)s)"
    assert Compiled.from_text("SELECT 1").execute == f"EXECUTE {Compiled.from_text('SELECT 1').name}"
