"""A file loaded into a live layer (upload or `mapserver etl load`) is merged into its features.

The file goes through the whole ETL into an ordinary version table first (validated, reported); publishing
that version then adds its new features and replaces the changed ones, by id, in one transaction with a
revision and an event each, like writes one at a time. Features the file does not hold stay: a file of
three new warnings does not end the others (DELETE does). The version's own table is dropped after.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from etl.live import events
from etl.live.store import feature_json, live_table
from etl.load import table_ident
from layers import Layer


@dataclass(frozen=True)
class Merged:
    created: int
    replaced: int


def _statement(layer: Layer, staging: str) -> sql.Composable:
    names = ["id", *layer.field_names, "geom"]
    columns = sql.SQL(", ").join(map(sql.Identifier, names))
    from_staging = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(n)) for n in names)
    updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n in names[1:])
    return sql.SQL(
        "WITH src AS (SELECT s.id, {new} AS new, CASE WHEN l.id IS NULL THEN NULL ELSE {old} END AS old, "
        "  l.id IS NULL AS created FROM {staging} s LEFT JOIN {live} l ON l.id = s.id), "
        "changed AS (SELECT d.*, nextval('mapserver.live_revisions_revision_seq') AS revision FROM "
        "  (SELECT * FROM src WHERE old IS DISTINCT FROM new ORDER BY id) d), "
        "rev AS (INSERT INTO mapserver.live_revisions (revision, layer_slug, feature_id, action, actor, old, new) "
        "  SELECT revision, %(slug)s, id, CASE WHEN created THEN 'create' ELSE 'replace' END, %(actor)s, old, new "
        "  FROM changed), "
        "up AS (INSERT INTO {live} ({columns}, revision) SELECT {from_staging}, c.revision FROM {staging} s "
        "  JOIN changed c ON c.id = s.id ON CONFLICT (id) DO UPDATE SET {updates}, revision = EXCLUDED.revision, "
        "  expired = false), "
        "ev AS (INSERT INTO mapserver.live_events (layer_slug, feature_id, kind, revision, feature) "
        "  SELECT %(slug)s, id, CASE WHEN created THEN 'create' ELSE 'update' END, revision, new FROM changed "
        "  ORDER BY revision RETURNING id) "
        "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created), (SELECT max(id) FROM ev) "
        "FROM changed"
    ).format(new=feature_json(layer, "s"), old=feature_json(layer, "l"), staging=table_ident(staging),
             live=table_ident(live_table(layer)), columns=columns, from_staging=from_staging, updates=updates)


def merge(conn, layer: Layer, version: int, *, actor: str) -> Merged:
    """Merge a loaded version into the live features, then drop the version's table."""
    staging = layer.version_table(version)
    with conn, conn.cursor() as cur:
        events.lock_events(cur)
        cur.execute(_statement(layer, staging), {"slug": layer.slug, "actor": actor})
        created, replaced, last = cur.fetchone()
        if last is not None:
            events.announce(cur, layer.slug, int(last))
        cur.execute(sql.SQL("DROP TABLE {}").format(table_ident(staging)))
        cur.execute("UPDATE mapserver.layer_versions SET status = 'dropped', published_at = now(), "
                    "published_by = %s WHERE layer_slug = %s AND version = %s", (actor, layer.slug, version))
    return Merged(int(created), int(replaced))
