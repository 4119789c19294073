"""Where a live layer's features live: one table of every feature, and the view of those valid now.

The view is published as the layer's only version, so the read API (items, tiles, nearest, search)
serves "valid now" without knowing live layers exist; `datetime` queries read the table itself.
The table is the version table of an ordinary load (etl.load) plus what writing one feature at a time
needs: `gid` numbered by the table, the feature's `revision` (its ETag) and `expired` (the sweep's
mark that its `expire` event was sent).
"""

from __future__ import annotations

from psycopg2 import sql

from etl.indexes import statements
from etl.load import create_version_table, table_ident
from layers import Layer

LIVE_VERSION = 1
# Timestamps in answers and events are UTC, whatever the server's or the session's TimeZone.
_UTC = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def live_table(layer: Layer) -> str:
    return f"{layer.slug}_live"


def now_view(layer: Layer) -> str:
    return f"{layer.slug}_now"


def ensure_live_layers(conn, catalog: dict[str, Layer]) -> None:
    """Every live layer of the catalog gets its table, its view and its published version (idempotent)."""
    for layer in catalog.values():
        if layer.live:
            with conn, conn.cursor() as cur:
                _ensure(cur, layer)


def _ensure(cur, layer: Layer) -> None:
    table = table_ident(live_table(layer))
    cur.execute("SELECT to_regclass(%s)", (f"layer_data.{live_table(layer)}",))
    if cur.fetchone()[0] is None:
        _create(cur, layer)
    else:
        _add_new_fields(cur, layer)
    cur.execute(sql.SQL(
        "CREATE OR REPLACE VIEW {} AS SELECT * FROM {} t WHERE (t.valid_from IS NULL OR t.valid_from <= now()) "
        "AND (t.valid_to IS NULL OR t.valid_to > now())").format(table_ident(now_view(layer)), table))
    cur.execute(
        "INSERT INTO mapserver.layer_versions (layer_slug, version, table_name, status, created_by, published_at, "
        "published_by) VALUES (%s, %s, %s, 'published', 'system', now(), 'system') ON CONFLICT DO NOTHING",
        (layer.slug, LIVE_VERSION, now_view(layer)))
    cur.execute("UPDATE mapserver.layers SET published_version = %s, live_event = coalesce(live_event, 0) "
                "WHERE slug = %s", (LIVE_VERSION, layer.slug))


def _create(cur, layer: Layer) -> None:
    name = live_table(layer)
    table = table_ident(name)
    create_version_table(cur, layer, name)
    cur.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN gid ADD GENERATED ALWAYS AS IDENTITY, "
                        "ADD COLUMN revision bigint NOT NULL, ADD COLUMN expired boolean NOT NULL DEFAULT false"
                        ).format(table))
    for _, stmt in statements(layer, name):
        cur.execute(stmt)
    pkey, id_key = sql.Identifier(f"{name}_pkey"), sql.Identifier(f"{name}_id_key")
    cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}, "
                        "ADD CONSTRAINT {} UNIQUE USING INDEX {}").format(table, pkey, pkey, id_key, id_key))
    cur.execute(sql.SQL("CREATE INDEX ON {} (valid_to) WHERE NOT expired").format(table))  # the sweep
    cur.execute(sql.SQL("CREATE INDEX ON {} (valid_from)").format(table))  # validity_state
    cur.execute(sql.SQL("CREATE INDEX ON {} (valid_to)").format(table))
    cur.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO mapserver_app").format(table))


def _add_new_fields(cur, layer: Layer) -> None:
    """A definition that gained fields: the table gets them as empty columns (the view is then redefined)."""
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'layer_data' "
                "AND table_name = %s", (live_table(layer),))
    present = {row[0] for row in cur.fetchall()}
    for fld in layer.fields:
        if fld.name not in present:
            cur.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                table_ident(live_table(layer)), sql.Identifier(fld.name), sql.SQL(fld.sql_type)))


def _value(layer: Layer, name: str, alias: str) -> sql.Composable:
    column = sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(name))
    if layer.field(name).type == "timestamp":
        return sql.SQL(_UTC).format(column)
    return column


def feature_json(layer: Layer, alias: str = "t") -> sql.Composable:
    """A row as the GeoJSON Feature stored in revisions and events (jsonb, so that equal rows compare equal)."""
    pairs = sql.SQL(", ").join(sql.SQL("{}, {}").format(sql.Literal(f.name), _value(layer, f.name, alias))
                               for f in layer.fields)
    a = sql.Identifier(alias)
    return sql.SQL("jsonb_build_object('type', 'Feature', 'id', {a}.id, 'geometry', ST_AsGeoJSON({a}.geom, 7)::jsonb, "
                   "'properties', jsonb_build_object({pairs}))").format(a=a, pairs=pairs)


def validity_state(cur, layer: Layer) -> tuple[int, str | None, str | None]:
    """What "valid now" depends on: the last event, and the last start and end that have passed.

    A feature starts or ends being valid as time passes, with no write; the answers' ETags name these, so a
    client's copy turns stale the moment the view's content does (two index probes, no sweep needed)."""
    table = table_ident(live_table(layer))
    cur.execute(sql.SQL(
        "SELECT coalesce(l.live_event, 0), (SELECT max(valid_from)::text FROM {t} WHERE valid_from <= now()), "
        "(SELECT max(valid_to)::text FROM {t} WHERE valid_to <= now()) FROM mapserver.layers l WHERE l.slug = %s"
    ).format(t=table), (layer.slug,))
    event, started, ended = cur.fetchone()
    return int(event), started, ended
