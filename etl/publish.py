"""Point readers at a version, in one short transaction; roll back along the history; drop what falls out of retention.

A rollback publishes the version that was live before the current one, skipping versions that were
themselves rolled back: load A (bad), roll back, load B (bad), roll back, and the layer is back where it
was before A, not on A. Every switch is recorded in `mapserver.publications` with who made it.
"""

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


def _switch(cur, slug: str, version: int, previous: int | None, actor: str, action: str) -> None:
    """Make `version` the published one and record it; the caller holds the layer's row lock."""
    cur.execute("SELECT status FROM mapserver.layer_versions WHERE layer_slug = %s AND version = %s", (slug, version))
    row = cur.fetchone()
    if row is None or row[0] == "dropped":
        raise LoadRefused(f"layer {slug!r} has no version {version} to publish",
                          f"lớp {slug!r} không có phiên bản {version} để công bố")
    cur.execute("UPDATE mapserver.layer_versions SET status = 'retired' "
                "WHERE layer_slug = %s AND status = 'published' AND version <> %s", (slug, version))
    cur.execute("UPDATE mapserver.layer_versions SET status = 'published', published_at = now(), published_by = %s, "
                "rolled_back_at = NULL, rolled_back_by = NULL WHERE layer_slug = %s AND version = %s",
                (actor, slug, version))
    cur.execute("UPDATE mapserver.layers SET published_version = %s, updated_at = now() WHERE slug = %s",
                (version, slug))
    cur.execute("INSERT INTO mapserver.publications (layer_slug, version, previous_version, action, actor) "
                "VALUES (%s, %s, %s, %s, %s)", (slug, version, previous, action, actor))


def publish(conn, slug: str, version: int, *, actor: str) -> int | None:
    """Make `version` the one readers see (publishing it again clears a rollback); returns the one it replaced."""
    with conn, conn.cursor() as cur:
        previous = _lock_layer(cur, slug)
        _switch(cur, slug, version, previous, actor, "publish")
    return previous


def rollback_target(cur, slug: str, current: int | None) -> int | None:
    """The newest version published before `current` that was not rolled back and still has its table."""
    cur.execute(
        "SELECT p.version FROM mapserver.publications p JOIN mapserver.layer_versions v "
        "ON v.layer_slug = p.layer_slug AND v.version = p.version "
        "WHERE p.layer_slug = %s AND p.version IS DISTINCT FROM %s AND v.rolled_back_at IS NULL "
        "AND v.status <> 'dropped' ORDER BY p.id DESC LIMIT 1", (slug, current))
    row = cur.fetchone()
    return row[0] if row else None


def rollback(conn, slug: str, *, actor: str) -> int:
    """Mark the published version rolled back and publish the one live before it; returns that one."""
    with conn, conn.cursor() as cur:
        current = _lock_layer(cur, slug)
        target = rollback_target(cur, slug, current)
        if target is None:
            raise LoadRefused(f"layer {slug!r} has no earlier published version to roll back to",
                              f"lớp {slug!r} không có phiên bản đã công bố trước đó để quay lại")
        cur.execute("UPDATE mapserver.layer_versions SET rolled_back_at = now(), rolled_back_by = %s "
                    "WHERE layer_slug = %s AND version = %s", (actor, slug, current))
        _switch(cur, slug, target, current, actor, "rollback")
    return target


def prune(conn, slug: str, keep: int) -> list[int]:
    """Drop the tables of versions beyond the newest `keep`; the published one and the one a rollback would
    publish are always kept."""
    with conn, conn.cursor() as cur:
        current = _lock_layer(cur, slug)
        spared = rollback_target(cur, slug, current)
        cur.execute(
            "SELECT version, table_name FROM mapserver.layer_versions "
            "WHERE layer_slug = %s AND status <> 'dropped' AND status <> 'published' "
            "AND version IS DISTINCT FROM %s "
            "AND version NOT IN (SELECT version FROM mapserver.layer_versions WHERE layer_slug = %s "
            "                    AND status <> 'dropped' ORDER BY version DESC LIMIT %s)",
            (slug, spared, slug, keep))
        doomed = cur.fetchall()
        for version, table_name in doomed:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table_ident(table_name)))
            cur.execute("UPDATE mapserver.layer_versions SET status = 'dropped' WHERE layer_slug = %s AND version = %s",
                        (slug, version))
    return [v for v, _ in doomed]
