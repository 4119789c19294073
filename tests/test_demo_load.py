"""The demo city loads through the ETL into indexed version tables with the expected counts."""

from __future__ import annotations

import pyogrio
import pytest
from psycopg2 import sql

from layers import SEARCH_PARTS, load_catalog, search_part
from mapserver.features.query.search import SearchTarget, search_statement
from mapserver.web.catalog import published

TARGETS = {"health": 600, "education": 1500, "transport": 165, "bus_stops": 4000}


def _published(conn, slug):
    with conn.cursor() as cur:
        cur.execute("SELECT v.version, v.table_name, v.feature_count FROM mapserver.layers l "
                    "JOIN mapserver.layer_versions v ON v.layer_slug = l.slug AND v.version = l.published_version "
                    "WHERE l.slug = %s", (slug,))
        return cur.fetchone()


@pytest.mark.parametrize("slug", sorted(TARGETS))
def test_each_demo_layer_is_published_with_every_row_of_its_file(conn, demo_files, demo_reports, slug):
    report = demo_reports[slug]
    rows_in_file = pyogrio.read_info(demo_files[slug])["features"] if slug != "bus_stops" else \
        sum(1 for _ in demo_files[slug].open(encoding="utf-8")) - 1
    assert report.rows_read == rows_in_file
    assert report.rows_rejected == 0, report.rejections[:5]
    version, table, count = _published(conn, slug)
    assert version == 1 and table == f"{slug}_v1"
    assert count == rows_in_file
    assert abs(count - TARGETS[slug]) <= TARGETS[slug] * 0.15
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*), count(DISTINCT id) FROM layer_data.{table}")
        assert cur.fetchone() == (count, count)


@pytest.mark.parametrize("slug", sorted(TARGETS))
def test_version_tables_have_their_indexes_and_a_3857_column(conn, slug):
    table = _published(conn, slug)[1]
    with conn.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'layer_data' AND tablename = %s", (table,))
        defs = " ".join(r[0] for r in cur.fetchall())
        assert "gist (geom)" in defs and "gin_trgm_ops" in defs
        # tiles and radius searches find their rows through gist (geom) (sql/0013_radius_box.sql)
        assert "geom_3857)" not in defs and "geography" not in defs
        cur.execute("SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype IN ('p', 'u') ORDER BY contype", (f"layer_data.{table}",))
        assert cur.fetchall() == [("p", "PRIMARY KEY (gid)"), ("u", "UNIQUE (id)")]
        cur.execute(f"SELECT count(*) FROM layer_data.{table} "
                    "WHERE NOT ST_Equals(geom_3857, ST_Transform(geom, 3857)) OR ST_SRID(geom) <> 4326")
        assert cur.fetchone()[0] == 0


def test_the_search_index_is_in_parts_that_cover_every_row_and_search_uses_each(conn):
    """The trigram index is built as partial indexes side by side (etl/indexes.py); a search that failed to
    name a part would fall back to reading the whole table."""
    table = _published(conn, "health")[1]
    with conn.cursor() as cur:
        cur.execute("SELECT indexname, pg_get_expr(i.indpred, i.indrelid) FROM pg_indexes x "
                    "JOIN pg_index i ON i.indexrelid = format('%%I.%%I', x.schemaname, x.indexname)::regclass "
                    "WHERE x.schemaname = 'layer_data' AND x.tablename = %s AND x.indexdef LIKE '%%gin_trgm_ops%%'",
                    (table,))
        parts = dict(cur.fetchall())
        assert sorted(parts.values()) == [f"(mod(gid, ({SEARCH_PARTS})::bigint) = {k})" for k in range(SEARCH_PARTS)]
        cur.execute(f"SELECT count(*) FROM layer_data.{table} WHERE " + " OR ".join(
            search_part(k) for k in range(SEARCH_PARTS)))
        assert cur.fetchone()[0] == _published(conn, "health")[2]
        statement = search_statement([SearchTarget(load_catalog()["health"], published(cur, "health"), 0)], False, 2)
        cur.execute("SET enable_seqscan = off")
        cur.execute(sql.SQL("EXPLAIN ") + statement,
                    {"q": "benh vien", "w0": "benh", "w1": "vien", "limit": 5, "slug0": "health"})
        plan = "\n".join(row[0] for row in cur.fetchall())
        conn.rollback()
    assert all(f"Bitmap Index Scan on {name}" in plan for name in parts), plan


def test_bus_stops_carry_their_route_numbers_and_routes_exist(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM layer_data.bus_stops_v1 WHERE cardinality(routes) = 0 OR routes IS NULL")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(DISTINCT r) FROM layer_data.bus_stops_v1, unnest(routes) r "
                    "WHERE r NOT IN (SELECT route_number FROM layer_data.transport_v1 WHERE kind = 'bus_route')")
        assert cur.fetchone()[0] == 0


def test_vietnamese_text_survives_the_load_in_nfc(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM layer_data.health_v1 WHERE name LIKE 'Bệnh viện%%' "
                    "AND name = normalize(name, NFC)")
        assert cur.fetchone()[0] >= 20
        cur.execute("SELECT count(*) FROM layer_data.health_v1 WHERE search_text LIKE '%%benh vien nhi%%'")
        assert cur.fetchone()[0] >= 1
