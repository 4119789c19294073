"""ETL fixtures: a connection to a private database, a catch-all test layer, the real files folder."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from common.migrations import sync_catalog
from layers.registry import parse_layer
from mapserver.web import catalog

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
WORLD = (-180.0, -90.0, 180.0, 90.0)



def places(name_field: str = "name"):
    """Not part of the catalog: a layer any real file fits (a required name column, any geometry)."""
    return parse_layer({
        "slug": "places", "agency": "so-giao-thong", "geometry": ["Point", "MultiLineString", "MultiPolygon"],
        "title": {"vi": "Địa điểm", "en": "Places"}, "description": {"vi": "Thử nghiệm", "en": "Test"},
        "fields": [{"name": name_field, "type": "text", "required": True, "searchable": True,
                    "title": {"vi": "Tên", "en": "Name"}}],
    }, "tests/etl/conftest.py")


PLACES = places()


def real(*parts: str) -> Path:
    """A real public file, or a clean skip when the shared folder is absent."""
    path = REAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not present: {path}")
    return path


@pytest.fixture
def db(fresh_db_url):
    """A connection to a private clone of the demo database, with the `places` test layer registered."""
    conn = psycopg2.connect(fresh_db_url)
    sync_catalog(conn, {"places": PLACES})
    yield conn
    conn.close()


def published(conn, slug: str) -> tuple:
    """What readers see of a layer: (published version, every version row), to compare before and after."""
    with conn.cursor() as cur:
        cur.execute("SELECT published_version FROM mapserver.layers WHERE slug = %s", (slug,))
        version = cur.fetchone()[0]
        cur.execute("SELECT version, status, feature_count FROM mapserver.layer_versions WHERE layer_slug = %s "
                    "ORDER BY version", (slug,))
        rows = cur.fetchall()
    conn.rollback()
    return version, rows


def leftovers(conn, slug: str) -> tuple[list[str], list[tuple]]:
    """The layer's version tables that exist and its unfinished loads: what a failed load must not add to."""
    with conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'layer_data' AND tablename LIKE %s "
                    "ORDER BY tablename", (slug.replace("_", "\\_") + "\\_v%",))
        tables = [t for (t,) in cur.fetchall()]
        cur.execute("SELECT version, table_name FROM mapserver.unfinished_loads WHERE layer_slug = %s", (slug,))
        unfinished = cur.fetchall()
    conn.rollback()
    return tables, unfinished


def rows_of(conn, slug: str, columns: str = "id, name", order_by: str = "gid") -> list[tuple]:
    """The published rows of a layer (table name from the catalog row, not from a request)."""
    with conn.cursor() as cur:
        table = catalog.published(cur, slug).table_name
        cur.execute(sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            sql.SQL(columns), sql.Identifier("layer_data", table), sql.SQL(order_by)))
        result = cur.fetchall()
    conn.rollback()
    return result
