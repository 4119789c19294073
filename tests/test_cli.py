"""The `mapserver` console script, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from common.audit import cli_actor

MAPSERVER = str(Path(sys.executable).with_name("mapserver"))


def _run(db_url, *args, check=True):
    env = {**os.environ, "DATABASE_URL": db_url}
    result = subprocess.run([MAPSERVER, *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _run_without_database(*args):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run([MAPSERVER, *args], env=env, capture_output=True, text=True, timeout=60)


def test_help_lists_every_command_without_a_database():
    result = _run_without_database("--help")
    assert result.returncode == 0 and result.stderr == ""
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert {"db", "etl", "layers", "demo", "live", "routes", "run", "shell"} <= listed


@pytest.mark.parametrize("args", [("layers", "list"), ("db", "migrate"), ("routes",)])
def test_a_command_run_without_a_database_says_what_to_set_not_a_traceback(args):
    result = _run_without_database(*args)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: DATABASE_URL is not set")


@pytest.mark.parametrize("memory", ["lots", "512 mb", "100kB"])
def test_a_load_with_a_wrong_index_memory_setting_is_refused_before_reading(fresh_db_url, demo_files, memory):
    result = subprocess.run([MAPSERVER, "etl", "load", str(demo_files["health"]), "--layer", "health"],
                            env={**os.environ, "DATABASE_URL": fresh_db_url, "MAPSERVER_ETL_INDEX_MEMORY": memory},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: ETL_INDEX_MEMORY = '{memory}' is not a PostgreSQL memory size")
    assert _run(fresh_db_url, "layers", "versions", "health").stdout.count("\n") == 1


def test_layers_list_shows_every_published_layer(db_url):
    out = _run(db_url, "layers", "list").stdout
    for slug in ("health", "education", "transport", "bus_stops"):
        line = next(line for line in out.splitlines() if line.startswith(slug))
        assert line.split()[2] == "1"


def test_etl_load_then_versions_rollback_and_audit(fresh_db_url, demo_files, tmp_path):
    report_file = tmp_path / "report.json"
    out = _run(fresh_db_url, "etl", "load", str(demo_files["health"]), "--layer", "health",
               "--report", str(report_file)).stdout
    assert "version 2 published" in out
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["rows_loaded"] == report["rows_read"] > 0 and report["crs_in"] == "EPSG:4326"
    versions = _run(fresh_db_url, "layers", "versions", "health").stdout.splitlines()
    assert versions[0].split()[:2] == ["v2", "published"] and versions[1].split()[:2] == ["v1", "retired"]
    assert "version 1 is now published" in _run(fresh_db_url, "layers", "rollback", "health").stdout
    versions = _run(fresh_db_url, "layers", "versions", "health").stdout.splitlines()
    actor = cli_actor()
    assert "published" in versions[0] and "rolled back" in versions[0] and versions[0].count(f"by {actor}") == 3
    assert versions[1].split()[:2] == ["v1", "published"] and "rolled back" not in versions[1]
    conn = psycopg2.connect(fresh_db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT action, target, result FROM mapserver.audit_log ORDER BY id")
        assert cur.fetchall() == [("etl.load", "health:health.geojson", "ok"), ("layer.rollback", "health", "ok")]
    conn.close()


def test_a_refused_load_exits_non_zero_and_says_why_in_both_languages(fresh_db_url, tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    result = _run(fresh_db_url, "etl", "load", str(empty), "--layer", "health", check=False)
    assert result.returncode == 1
    assert "empty.geojson" in result.stderr and "no rows" in result.stderr and "không có" in result.stderr


def test_an_unknown_layer_is_a_usage_error_listing_the_known_ones(fresh_db_url, demo_files):
    result = _run(fresh_db_url, "etl", "load", str(demo_files["health"]), "--layer", "parks", check=False)
    assert result.returncode == 2 and "alerts, bus_stops, education, health, outages, transport" in result.stderr


def test_dry_run_validates_without_loading(fresh_db_url, demo_files):
    out = _run(fresh_db_url, "etl", "load", str(demo_files["education"]), "--layer", "education", "--dry-run").stdout
    assert "loaded" in out
    conn = psycopg2.connect(fresh_db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM mapserver.layer_versions WHERE layer_slug = 'education'")
        assert cur.fetchone()[0] == 1
    conn.close()
