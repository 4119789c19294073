"""Migrations apply on an empty database, once; the audit log cannot be rewritten."""

from __future__ import annotations

import shutil
import threading

import psycopg2
import pytest

from common.migrations import SQL_DIR, MigrationError, apply_migrations, sync_catalog
from tests import pg

SCHEMA_FINGERPRINT = """
SELECT string_agg(x, '|' ORDER BY x) FROM (
  SELECT 'rel:' || n.nspname || '.' || c.relname || ':' || c.relkind::text FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'mapserver', 'layer_data')
  UNION ALL
  SELECT 'fn:' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'mapserver'
  UNION ALL
  SELECT 'trg:' || tgname FROM pg_trigger WHERE NOT tgisinternal
) s(x)
"""


@pytest.fixture
def empty_db():
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_empty")
    conn = psycopg2.connect(pg.dsn_for(url, name))
    yield conn
    conn.close()
    pg.drop_database(url, name)


def _fingerprint(conn) -> tuple[str, int]:
    with conn.cursor() as cur:
        cur.execute(SCHEMA_FINGERPRINT)
        schema = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM public.schema_migrations")
        return schema, cur.fetchone()[0]


def test_migrations_apply_once_on_an_empty_database(empty_db):
    files = sorted(p.name for p in SQL_DIR.glob("[0-9]*.sql"))
    assert apply_migrations(empty_db) == files
    before = _fingerprint(empty_db)
    assert "rel:mapserver.audit_log:r" in before[0] and "rel:mapserver.layer_versions:r" in before[0]
    assert apply_migrations(empty_db) == []
    assert _fingerprint(empty_db) == before


def test_catalog_sync_is_idempotent(empty_db, catalog):
    apply_migrations(empty_db)
    for _ in range(2):
        sync_catalog(empty_db, catalog)
    with empty_db.cursor() as cur:
        cur.execute("SELECT l.slug, a.slug FROM mapserver.layers l JOIN mapserver.agencies a ON a.id = l.agency_id")
        rows = dict(cur.fetchall())
    assert rows == {slug: layer.agency for slug, layer in catalog.items()}


def test_an_applied_migration_that_was_edited_is_refused(empty_db, tmp_path):
    copy = tmp_path / "sql"
    shutil.copytree(SQL_DIR, copy)
    apply_migrations(empty_db, copy)
    first = sorted(copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        apply_migrations(empty_db, copy)


@pytest.mark.parametrize("statement", [
    "UPDATE mapserver.audit_log SET result = 'ok'",
    "DELETE FROM mapserver.audit_log",
    "TRUNCATE mapserver.audit_log",
])
def test_the_audit_log_is_append_only(conn, statement):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.audit_log (actor, action, result) VALUES ('test', 'probe', 'ok')")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="append-only"):
            cur.execute(statement)


def test_a_user_who_may_not_create_extensions_gets_a_clear_error(empty_db):
    role = f"nocreate_{empty_db.get_dsn_parameters()['dbname'][-10:]}"
    with empty_db, empty_db.cursor() as cur:
        cur.execute(f"CREATE ROLE {role}")
        cur.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
        cur.execute(f"SET ROLE {role}")
    try:
        with pytest.raises(MigrationError, match="CREATE EXTENSION postgis"):
            apply_migrations(empty_db)
    finally:
        with empty_db, empty_db.cursor() as cur:
            cur.execute("RESET ROLE")
            cur.execute("DROP TABLE IF EXISTS public.schema_migrations")
            cur.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")
            cur.execute(f"DROP ROLE {role}")


def test_a_field_added_to_a_definition_reaches_the_kept_versions_empty(fresh_db_url, catalog):
    """Upgrading the catalog must not break reads of versions loaded before the change."""
    import dataclasses

    import requests

    from layers import Field
    from mapserver import create_app
    from tests.serving import serving

    beds = Field("beds", "integer", {"vi": "Số giường", "en": "Beds"})
    changed = {**catalog, "health": dataclasses.replace(catalog["health"], fields=(*catalog["health"].fields, beds))}
    conn = psycopg2.connect(fresh_db_url)
    sync_catalog(conn, changed)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(beds) FROM layer_data.health_v1")
        total, filled = cur.fetchone()
    conn.close()
    assert total > 0 and filled == 0
    app = create_app({"DATABASE_URL": fresh_db_url})
    app.extensions["mapserver.catalog"]["health"] = changed["health"]
    with serving(app) as base:
        r = requests.get(f"{base}/api/collections/health/items?limit=2", timeout=30)
    assert r.status_code == 200
    assert all(f["properties"]["beds"] is None for f in r.json()["features"])


def test_the_publication_history_is_backfilled_so_a_rollback_works_after_the_upgrade(empty_db, catalog, tmp_path):
    """A database that published before 0007: each version's last publication becomes its history, in time order."""
    from etl.publish import rollback

    before = tmp_path / "sql"
    before.mkdir()
    for path in SQL_DIR.glob("[0-9]*.sql"):
        if path.name < "0007":
            shutil.copy(path, before / path.name)
    apply_migrations(empty_db, before)
    sync_catalog(empty_db, catalog)
    with empty_db, empty_db.cursor() as cur:
        cur.execute("INSERT INTO mapserver.layer_versions (layer_slug, version, table_name, status, created_by, "
                    "published_at) VALUES ('health', 1, 'health_v1', 'retired', 'cli:lan', now() - interval '2 days'),"
                    " ('health', 2, 'health_v2', 'published', NULL, now() - interval '1 day'),"
                    " ('health', 3, 'health_v3', 'ready', 'cli:lan', NULL)")
        cur.execute("UPDATE mapserver.layers SET published_version = 2 WHERE slug = 'health'")
    assert "0007_publication_history.sql" in apply_migrations(empty_db)
    with empty_db.cursor() as cur:
        cur.execute("SELECT version, action, actor FROM mapserver.publications ORDER BY id")
        assert cur.fetchall() == [(1, "publish", "cli:lan"), (2, "publish", "unknown")]
    empty_db.rollback()
    assert rollback(empty_db, "health", actor="cli:lan") == 1


def test_a_database_migrating_while_another_of_the_cluster_creates_the_shared_role_gets_it_too():
    """Roles belong to the cluster and the migrators' advisory lock to one database: on a fresh cluster, the
    second to create mapserver_app waits for the first and then meets a duplicate, and must still migrate."""
    with pg.throwaway_cluster() as cluster:
        url = cluster("url")
        other = psycopg2.connect(url)  # another database's migrator, in its own transaction
        with other.cursor() as cur:
            cur.execute("CREATE ROLE mapserver_app NOLOGIN")
        name = pg.create_database(url, "mapserver_race")
        conn = psycopg2.connect(pg.dsn_for(url, name))
        outcome: dict = {}

        def migrate() -> None:
            try:
                outcome["applied"] = apply_migrations(conn)
            except MigrationError as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=migrate)
        thread.start()
        pg.wait_for(lambda: pg.fetch(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                                          "AND wait_event_type = 'Lock'", (name,))[0][0],
                    f"a session of {name} waiting on a lock")
        other.commit()
        thread.join(120)
        other.close()
        with conn.cursor() as cur:
            cur.execute("SELECT has_schema_privilege('mapserver_app', 'mapserver', 'USAGE')")
            granted = cur.fetchone()[0]
        conn.close()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["applied"] == [f.name for f in sorted(SQL_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))] and granted
