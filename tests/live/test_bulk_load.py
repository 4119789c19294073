"""A file loaded into a live layer is merged into its features, with a revision and an event for each change."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest

from common.settings import DEFAULTS
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from etl.publish import rollback
from tests.live.writers import alert


def write(path: Path, features: list[dict]) -> Path:
    rows = [{**f, "properties": {"id": f["id"], **f["properties"]}} for f in features]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": rows}, ensure_ascii=False), encoding="utf-8")
    return path


def history(conn, prefix: str) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT feature_id, kind FROM mapserver.live_events WHERE feature_id LIKE %s ORDER BY id",
                    (prefix + "%",))
        return cur.fetchall()


def test_a_file_adds_and_replaces_features_with_events(live_db, catalog, tmp_path):
    conn = psycopg2.connect(live_db[0])
    layer, options = catalog["outages"], LoadOptions(area=DEFAULTS["AREA_BBOX"], actor="test")
    props = {"kind": "Sự cố", "area": "Phường Bến Nghé", "reason": "Sửa chữa đường dây"}
    first = [alert(f"cut-{i}", lon=106.70 + i / 100) for i in range(3)]
    for f in first:
        f["properties"] = {**props, **{k: f["properties"][k] for k in ("valid_from", "valid_to")}}
    try:
        report = load_file(conn, layer, write(tmp_path / "a.geojson", first), options)
        assert report.rows_loaded == 3 and report.published
        assert history(conn, "cut-") == [("cut-0", "create"), ("cut-1", "create"), ("cut-2", "create")]
        second = [first[0], {**first[1], "properties": {**first[1]["properties"], "kind": "planned"}},
                  {**first[2], "id": "cut-3"}]
        load_file(conn, layer, write(tmp_path / "b.geojson", second), options)
        assert history(conn, "cut-")[3:] == [("cut-1", "update"), ("cut-3", "create")]
        with conn.cursor() as cur:
            cur.execute("SELECT id, kind FROM layer_data.outages_now ORDER BY id")
            assert cur.fetchall() == [("cut-0", "unplanned"), ("cut-1", "planned"), ("cut-2", "unplanned"),
                                      ("cut-3", "unplanned")]
            cur.execute("SELECT published_version FROM mapserver.layers WHERE slug = 'outages'")
            assert cur.fetchone()[0] == 1
        with pytest.raises(LoadRefused):
            rollback(conn, "outages", actor="test")
    finally:
        conn.close()
