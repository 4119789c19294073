"""Expire events: a feature whose `valid_to` has passed leaves the map, and followers must hear of it.

Readers never wait for this (the published view compares `valid_to` with now() itself); the sweep only
adds the `expire` event, exactly once whichever process sweeps: under the event lock, a feature is marked
`expired` in the transaction that adds its event. A feature written again with a later `valid_to` is
unmarked (etl.live.writes) and may expire again.
"""

from __future__ import annotations

from psycopg2 import sql

from etl.live import events
from etl.live.store import live_table
from etl.load import table_ident
from layers import Layer


def _due(cur, layer: Layer) -> bool:
    cur.execute(sql.SQL("SELECT EXISTS (SELECT FROM {} WHERE NOT expired AND valid_to <= now())").format(
        table_ident(live_table(layer))))
    return bool(cur.fetchone()[0])


def sweep_layer(conn, layer: Layer) -> int:
    """Mark this layer's features that expired since the last sweep; one `expire` event each."""
    with conn, conn.cursor() as cur:
        if not _due(cur, layer):  # the common case costs one index probe and no lock
            return 0
        events.lock_events(cur)
        cur.execute(sql.SQL("UPDATE {} SET expired = true WHERE NOT expired AND valid_to <= now() "
                            "RETURNING id, revision").format(table_ident(live_table(layer))))
        expired = sorted(cur.fetchall())
        for fid, revision in expired:
            events.add_event(cur, layer.slug, fid, "expire", revision, None)
    return len(expired)


def sweep(conn, catalog: dict[str, Layer]) -> int:
    """Every live layer of the catalog swept once; returns the events added."""
    return sum(sweep_layer(conn, layer) for layer in catalog.values() if layer.live)
