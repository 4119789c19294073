"""Version tables committed before their load has finished, and dropping those a failed load leaves.

A load commits its table before indexing it (etl.indexes), and records it in `mapserver.unfinished_loads`
in the same transaction; the record goes when the version is recorded in `layer_versions`. A load that
fails drops its table; one that crashed leaves the record, and the next load of the layer, or
`mapserver db migrate`, drops the table.
"""

from __future__ import annotations

from psycopg2 import sql

from etl.load import LOCK_CLASS, table_ident


def begin(cur, slug: str, version: int, table_name: str) -> None:
    cur.execute("INSERT INTO mapserver.unfinished_loads (layer_slug, version, table_name) VALUES (%s, %s, %s)",
                (slug, version, table_name))


def finish(cur, slug: str, version: int) -> None:
    cur.execute("DELETE FROM mapserver.unfinished_loads WHERE layer_slug = %s AND version = %s", (slug, version))


def drop(conn, slug: str) -> list[int]:
    """Drop the tables of the layer's unfinished loads (call with its load lock held); returns their versions."""
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.unfinished_loads WHERE layer_slug = %s RETURNING version, table_name",
                    (slug,))
        doomed = cur.fetchall()
        for _, table_name in doomed:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table_ident(table_name)))
    return sorted(version for version, _ in doomed)


def drop_abandoned(conn) -> dict[str, list[int]]:
    """Drop what crashed loads left, in every layer no load is running on now (`mapserver db migrate`)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT layer_slug FROM mapserver.unfinished_loads ORDER BY 1")
        slugs = [slug for (slug,) in cur.fetchall()]
    dropped = {}
    for slug in slugs:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_CLASS, slug))
            if not cur.fetchone()[0]:
                continue
        try:
            dropped[slug] = drop(conn, slug)
        finally:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (LOCK_CLASS, slug))
    return dropped
