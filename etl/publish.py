"""Point readers at a version, in one short transaction; roll back; drop what falls out of retention."""

from __future__ import annotations

from psycopg2 import sql

from etl.errors import LoadRefused
from etl.load import table_ident


def _lock_layer(cur, slug: str) -> int | None:
    cur.execute("SELECT published_version FROM mapserver.layers WHERE slug = %s FOR UPDATE", (slug,))
    row = cur.fetchone()
    if row is None:
        raise LoadRefused(f"unknown layer {slug!r}", f"không có lớp {slug!r}")
    return row[0]


def publish(conn, slug: str, version: int) -> int | None:
    """Make `version` the one readers see; returns the version it replaced."""
    with conn, conn.cursor() as cur:
        previous = _lock_layer(cur, slug)
        cur.execute("SELECT status FROM mapserver.layer_versions WHERE layer_slug = %s AND version = %s",
                    (slug, version))
        row = cur.fetchone()
        if row is None or row[0] == "dropped":
            raise LoadRefused(f"layer {slug!r} has no version {version} to publish",
                              f"lớp {slug!r} không có phiên bản {version} để công bố")
        cur.execute("UPDATE mapserver.layer_versions SET status = 'retired' "
                    "WHERE layer_slug = %s AND status = 'published' AND version <> %s", (slug, version))
        cur.execute("UPDATE mapserver.layer_versions SET status = 'published', published_at = now() "
                    "WHERE layer_slug = %s AND version = %s", (slug, version))
        cur.execute("UPDATE mapserver.layers SET published_version = %s, updated_at = now() WHERE slug = %s",
                    (version, slug))
    return previous


def rollback(conn, slug: str) -> int:
    """Publish the newest kept version older than the published one; returns it."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT v.version FROM mapserver.layer_versions v JOIN mapserver.layers l ON l.slug = v.layer_slug "
            "WHERE v.layer_slug = %s AND v.version < l.published_version AND v.status <> 'dropped' "
            "ORDER BY v.version DESC LIMIT 1", (slug,))
        row = cur.fetchone()
    conn.rollback()
    if row is None:
        raise LoadRefused(f"layer {slug!r} has no earlier version to roll back to",
                          f"lớp {slug!r} không có phiên bản cũ hơn để quay lại")
    publish(conn, slug, row[0])
    return row[0]


def prune(conn, slug: str, keep: int) -> list[int]:
    """Drop the tables of versions beyond the newest `keep`; the published one is always kept."""
    with conn, conn.cursor() as cur:
        _lock_layer(cur, slug)
        cur.execute(
            "SELECT version, table_name FROM mapserver.layer_versions "
            "WHERE layer_slug = %s AND status <> 'dropped' AND status <> 'published' "
            "AND version NOT IN (SELECT version FROM mapserver.layer_versions WHERE layer_slug = %s "
            "                    AND status <> 'dropped' ORDER BY version DESC LIMIT %s)",
            (slug, slug, keep))
        doomed = cur.fetchall()
        for version, table_name in doomed:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table_ident(table_name)))
            cur.execute("UPDATE mapserver.layer_versions SET status = 'dropped' WHERE layer_slug = %s AND version = %s",
                        (slug, version))
    return [v for v, _ in doomed]
