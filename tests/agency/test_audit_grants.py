"""The application's role may append to and read the audit log, never change or delete it."""

from __future__ import annotations

import psycopg2
import psycopg2.errors
import pytest

from common import audit


@pytest.fixture
def as_app(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    with conn, conn.cursor() as cur:
        audit.record(cur, actor="user:admin", action="login", result="ok")
    with conn.cursor() as cur:
        cur.execute("SET ROLE mapserver_app")
    yield conn
    conn.rollback()
    conn.close()


def test_the_app_role_can_insert_and_read(as_app):
    with as_app.cursor() as cur:
        audit.record(cur, actor="token:x", action="layer.upload", result="refused", agency="so-y-te",
                     client_addr="203.0.113.7", details={"reason": "test"})
        rows = audit.search(cur, agency="so-y-te")
    assert [(r["actor"], r["client_addr"], r["result"]) for r in rows] == [("token:x", "203.0.113.7", "refused")]


@pytest.mark.parametrize("statement", [
    "UPDATE mapserver.audit_log SET result = 'ok'",
    "DELETE FROM mapserver.audit_log",
    "TRUNCATE mapserver.audit_log",
])
def test_the_app_role_cannot_change_or_delete(as_app, statement):
    with as_app.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege) as refused:
        cur.execute(statement)
    assert "permission denied for table audit_log" in str(refused.value)


def test_the_grants_say_so_too(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT privilege_type, has_table_privilege('mapserver_app', 'mapserver.audit_log', "
                    "privilege_type) FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) "
                    "AS p(privilege_type)")
        assert dict(cur.fetchall()) == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False,
                                        "TRUNCATE": False}
    conn.close()


def test_even_the_owner_cannot_update(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    with conn, conn.cursor() as cur:
        audit.record(cur, actor="cli:root", action="etl.load", result="ok")
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege, match="append-only"):
        cur.execute("UPDATE mapserver.audit_log SET actor = 'someone else'")
    conn.rollback()
    conn.close()


def test_the_app_role_reads_versions_loaded_after_the_migration(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, feature_count FROM mapserver.layer_versions")
        tables = cur.fetchall()
        cur.execute("SET ROLE mapserver_app")
        for table, count in tables:  # a live layer's view starts empty (feature_count 0)
            cur.execute(f"SELECT count(*) FROM layer_data.{table}")
            assert cur.fetchone()[0] == count
        assert sum(count for _, count in tables) > 0
    conn.rollback()
    conn.close()
