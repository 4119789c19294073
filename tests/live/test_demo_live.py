"""The demo's live features: written through the write path, valid now, moved to the new day when loaded again."""

from __future__ import annotations

import psycopg2

from common.settings import DEFAULTS
from etl.demo.live import load_demo_live


def test_demo_alert_and_outage_are_valid_now_and_reloadable(live_db, catalog):
    conn = psycopg2.connect(live_db[0])
    try:
        assert load_demo_live(conn, catalog, DEFAULTS["AREA_BBOX"]) == ["alerts/demo-flood-1", "outages/demo-outage-1"]
        load_demo_live(conn, catalog, DEFAULTS["AREA_BBOX"])
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM layer_data.alerts_now WHERE id = 'demo-flood-1'")
            assert cur.fetchone()[0] == 1
            cur.execute("SELECT kind FROM mapserver.live_events WHERE feature_id = 'demo-outage-1' ORDER BY id")
            assert [r[0] for r in cur.fetchall()] == ["create", "update"]
    finally:
        conn.close()
