"""Versioned, atomic publishing: readers see the old version or the new one, never a mix."""

from __future__ import annotations

import threading

import geopandas as gpd
import psycopg2
import psycopg2.errors
import pytest

from common.settings import DEFAULTS
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from etl.publish import prune, publish, rollback

AREA = DEFAULTS["AREA_BBOX"]


def _half_of_health(demo_files, tmp_path):
    frame = gpd.read_file(demo_files["health"])
    path = tmp_path / "health_half.geojson"
    frame.iloc[: len(frame) // 2].to_file(path, driver="GeoJSON")
    return path, len(frame) // 2


def _reader_view(url):
    """What a reader sees now: the published version, and the rows of its table."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT l.published_version, v.table_name, v.feature_count FROM mapserver.layers l "
                        "JOIN mapserver.layer_versions v ON v.layer_slug = l.slug AND v.version = l.published_version "
                        "WHERE l.slug = 'health'")
            version, table, count = cur.fetchone()
            cur.execute(f"SELECT count(*) FROM layer_data.{table}")
            return version, count, cur.fetchone()[0]
    finally:
        conn.close()


def test_readers_see_the_published_version_while_a_new_one_loads(fresh_db_url, catalog, demo_files, tmp_path):
    path, half = _half_of_health(demo_files, tmp_path)
    v1 = _reader_view(fresh_db_url)
    assert v1[0] == 1 and v1[1] == v1[2]
    blocker = psycopg2.connect(fresh_db_url)
    with blocker.cursor() as cur:  # hold the catalog row: the loader can build v2 but not publish it
        cur.execute("SELECT 1 FROM mapserver.layers WHERE slug = 'health' FOR SHARE")
    loader = psycopg2.connect(fresh_db_url)
    result = {}
    thread = threading.Thread(target=lambda: result.update(
        report=load_file(loader, catalog["health"], path, LoadOptions(area=AREA))))
    thread.start()
    try:
        _wait_for_version_row(fresh_db_url, 2)
        assert _reader_view(fresh_db_url) == v1
    finally:
        blocker.rollback()
        blocker.close()
    thread.join(timeout=60)
    loader.close()
    assert result["report"].published and result["report"].version == 2
    assert _reader_view(fresh_db_url) == (2, half, half)


def _wait_for_version_row(url, version):
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute("SELECT status FROM mapserver.layer_versions WHERE layer_slug = 'health' AND version = %s",
                        (version,))
            row = cur.fetchone()
        conn.close()
        if row:
            assert row[0] == "ready"
            return
        time.sleep(0.05)
    raise AssertionError(f"version {version} never became ready")


def test_no_publish_keeps_the_old_version_then_publish_and_rollback(fresh_db_url, catalog, demo_files, tmp_path):
    path, half = _half_of_health(demo_files, tmp_path)
    conn = psycopg2.connect(fresh_db_url)
    report = load_file(conn, catalog["health"], path, LoadOptions(area=AREA, publish=False))
    assert (report.version, report.published) == (2, False)
    assert _reader_view(fresh_db_url)[0] == 1
    assert publish(conn, "health", 2, actor="user:lan") == 1
    assert _reader_view(fresh_db_url) == (2, half, half)
    assert rollback(conn, "health", actor="user:lan") == 1
    assert _reader_view(fresh_db_url)[0] == 1
    with pytest.raises(LoadRefused, match="no earlier published version"):
        rollback(conn, "health", actor="user:lan")
    assert _reader_view(fresh_db_url)[0] == 1
    conn.close()


def _history(conn) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT version, status, published_by, rolled_back_by IS NOT NULL FROM mapserver.layer_versions "
                    "WHERE layer_slug = 'health' ORDER BY version")
        rows = cur.fetchall()
    conn.rollback()
    return rows


def test_rollback_follows_the_history_not_the_version_numbers(fresh_db_url, catalog, demo_files, tmp_path):
    """Load A (bad), roll back, load B (bad), roll back: the layer is back on the first version, never on A."""
    path, _ = _half_of_health(demo_files, tmp_path)
    conn = psycopg2.connect(fresh_db_url)
    load_file(conn, catalog["health"], path, LoadOptions(area=AREA, actor="user:a"))  # A = v2
    assert rollback(conn, "health", actor="user:lan") == 1
    load_file(conn, catalog["health"], path, LoadOptions(area=AREA, actor="user:b"))  # B = v3
    assert rollback(conn, "health", actor="user:lan") == 1
    assert _reader_view(fresh_db_url)[0] == 1
    assert [(v, s, rolled) for v, s, _, rolled in _history(conn)] == \
        [(1, "published", False), (2, "retired", True), (3, "retired", True)]
    with pytest.raises(LoadRefused):  # nothing was live before v1
        rollback(conn, "health", actor="user:lan")
    assert publish(conn, "health", 2, actor="user:lan") == 1  # publishing a rolled-back version again clears it
    assert _history(conn)[1] == (2, "published", "user:lan", False)
    assert rollback(conn, "health", actor="user:lan") == 1
    conn.close()


def test_rollback_skips_rolled_back_versions_between(fresh_db_url, catalog, demo_files, tmp_path):
    path, _ = _half_of_health(demo_files, tmp_path)
    conn = psycopg2.connect(fresh_db_url)
    for _ in range(3):  # v2, v3, v4, each published in turn
        load_file(conn, catalog["health"], path, LoadOptions(area=AREA))
    assert rollback(conn, "health", actor="t") == 3
    assert rollback(conn, "health", actor="t") == 2
    assert rollback(conn, "health", actor="t") == 1
    with conn.cursor() as cur:
        cur.execute("SELECT version, previous_version, action FROM mapserver.publications WHERE layer_slug = 'health' "
                    "ORDER BY id")
        assert cur.fetchall()[-3:] == [(3, 4, "rollback"), (2, 3, "rollback"), (1, 2, "rollback")]
    conn.close()


def test_pruning_keeps_the_version_a_rollback_would_publish(fresh_db_url, catalog, demo_files, tmp_path):
    path, _ = _half_of_health(demo_files, tmp_path)
    conn = psycopg2.connect(fresh_db_url)
    load_file(conn, catalog["health"], path, LoadOptions(area=AREA, keep_versions=1))  # v2
    for _ in range(2):  # v3 and v4 loaded and rolled back: v2 stays the one to go back to
        load_file(conn, catalog["health"], path, LoadOptions(area=AREA, keep_versions=1))
        rollback(conn, "health", actor="t")
    load_file(conn, catalog["health"], path, LoadOptions(area=AREA, keep_versions=1))  # v5
    statuses = {v: s for v, s, _, _ in _history(conn)}
    assert statuses[2] == "retired" and statuses[5] == "published"
    assert rollback(conn, "health", actor="t") == 2
    conn.close()


def test_old_versions_beyond_the_retention_window_are_dropped(fresh_db_url, catalog, demo_files, tmp_path):
    path, _ = _half_of_health(demo_files, tmp_path)
    conn = psycopg2.connect(fresh_db_url)
    for _ in range(3):
        load_file(conn, catalog["health"], path, LoadOptions(area=AREA, keep_versions=2))
    with conn.cursor() as cur:
        cur.execute("SELECT version, status FROM mapserver.layer_versions WHERE layer_slug = 'health' ORDER BY 1")
        assert cur.fetchall() == [(1, "dropped"), (2, "dropped"), (3, "retired"), (4, "published")]
        cur.execute("SELECT to_regclass('layer_data.health_v1'), to_regclass('layer_data.health_v3')")
        assert cur.fetchone() == (None, "layer_data.health_v3")
    assert prune(conn, "health", 2) == []
    assert rollback(conn, "health", actor="t") == 3
    with pytest.raises(LoadRefused, match="no earlier published version"):  # v2 and v1 were dropped
        rollback(conn, "health", actor="t")
    assert _reader_view(fresh_db_url)[0] == 3
    conn.close()


def test_the_app_role_rolls_back_and_cannot_rewrite_the_history(fresh_db_url, catalog, demo_files, tmp_path):
    path, _ = _half_of_health(demo_files, tmp_path)
    conn = psycopg2.connect(fresh_db_url)
    load_file(conn, catalog["health"], path, LoadOptions(area=AREA))
    with conn, conn.cursor() as cur:
        cur.execute("SET ROLE mapserver_app")
    assert rollback(conn, "health", actor="user:lan") == 1
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("UPDATE mapserver.publications SET actor = 'someone else'")
    conn.rollback()
    conn.close()


def test_a_refused_file_leaves_the_published_version_untouched(fresh_db_url, catalog, tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    before = _reader_view(fresh_db_url)
    conn = psycopg2.connect(fresh_db_url)
    with pytest.raises(LoadRefused):
        load_file(conn, catalog["health"], empty, LoadOptions(area=AREA))
    conn.close()
    assert _reader_view(fresh_db_url) == before
    conn = psycopg2.connect(fresh_db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'layer_data' AND tablename LIKE 'health_v%%'")
        assert cur.fetchone()[0] == 1
    conn.close()
