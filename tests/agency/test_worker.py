"""The worker: uploads to one layer load one after the other, and a killed worker loses no job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import requests

from tests.agency.conftest import audit_rows, bearer, health_geojson, wait_for_job
from tests.pg import fetch

MAPSERVER = str(Path(sys.executable).with_name("mapserver"))


def _upload(base: str, token: str, path: Path, **data) -> int:
    response = requests.post(f"{base}/api/layers/health/uploads", headers=bearer(token),
                             files={"file": path.open("rb")}, data=data, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["job"]["id"]


def _ids_of(db_url: str, version: int) -> set[str]:
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute(f"SELECT id FROM layer_data.health_v{int(version)}")
        ids = {r[0] for r in cur.fetchall()}
    conn.close()
    return ids


def test_two_uploads_to_one_layer_load_one_after_the_other(agency_server, agency_db, tmp_path, request):
    token = agency_db[1].health_editor
    files = {p: health_geojson(tmp_path / f"{p}.geojson", 8000, p) for p in ("a", "b")}
    job_ids = {p: _upload(agency_server, token, f) for p, f in files.items()}
    request.getfixturevalue("worker")  # two threads start now and claim both jobs at once
    done = {p: wait_for_job(agency_server, token, j) for p, j in job_ids.items()}
    assert all(job["state"] == "done" for job in done.values())
    versions = sorted(job["report"]["version"] for job in done.values())
    assert versions == [2, 3]
    for prefix, job in done.items():
        ids = _ids_of(agency_db[0], job["report"]["version"])
        assert len(ids) == 8000 and all(i.startswith(f"{prefix}-") for i in ids), "one file per version, no mix"
    first, second = sorted(done.values(), key=lambda j: j["report"]["version"])
    assert second["started_at"] < first["finished_at"], "both were running at once: the layer lock serialised them"
    assert [r[3] for r in audit_rows(agency_db[0], "layer.load")] == ["ok", "ok"]


def test_a_refused_file_fails_the_job_with_the_reason_and_keeps_the_published_layer(agency_server, agency_db,
                                                                                  tmp_path, request):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    job_id = _upload(agency_server, agency_db[1].health_editor, empty, publish="true")
    request.getfixturevalue("worker")
    job = wait_for_job(agency_server, agency_db[1].health_editor, job_id)
    assert job["state"] == "failed" and job["attempts"] == 1
    assert "no rows" in job["error"]["messages"]["en"] and "không có" in job["error"]["messages"]["vi"]
    listed = requests.get(f"{agency_server}/api/layers/health/versions", headers=bearer(agency_db[1].health_editor),
                          timeout=10).json()["versions"]
    assert [(v["version"], v["status"]) for v in listed] == [(1, "published")]
    assert [r[3] for r in audit_rows(agency_db[0], "layer.load")] == ["refused"]


def _worker(db_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "MAPSERVER_JOB_HEARTBEAT_S": "0.2", "MAPSERVER_JOB_STALE_S": "2",
           "MAPSERVER_JOB_POLL_S": "0.2", "MAPSERVER_ETL_CHUNK_ROWS": "500"}
    return subprocess.Popen([MAPSERVER, "worker", "--threads", "1"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _job_row(db_url: str, job_id: int) -> tuple:
    return fetch(db_url, "SELECT state, progress, attempts FROM mapserver.jobs WHERE id = %s", (job_id,))[0]


def test_a_job_whose_worker_is_killed_mid_load_is_taken_up_again(agency_server, agency_db, tmp_path):
    token = agency_db[1].health_editor
    job_id = _upload(agency_server, token, health_geojson(tmp_path / "big.geojson", 40000, "k"), publish="true")
    first = _worker(agency_db[0])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state, progress, _ = _job_row(agency_db[0], job_id)
            if state == "running" and progress > 0:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    state, progress, attempts = _job_row(agency_db[0], job_id)
    assert (state, attempts) == ("running", 1) and 0 < progress < 1, "killed in the middle of the load"
    second = _worker(agency_db[0])
    try:
        job = wait_for_job(agency_server, token, job_id)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    assert job["state"] == "done" and job["attempts"] == 2
    assert job["report"]["rows_loaded"] == 40000 and job["report"]["version"] == 2 and job["report"]["published"]
    assert len(_ids_of(agency_db[0], 2)) == 40000
    assert second.returncode == 0, second.stderr.read()


def test_a_layer_busy_loading_does_not_hold_up_another_layer(agency_server, agency_db, tmp_path, demo_files, request):
    """While health's load lock is held (as by a long load), education's upload still loads."""
    from etl.load import LOCK_CLASS

    holder = psycopg2.connect(agency_db[0])
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, hashtext('health'))", (LOCK_CLASS,))
    admin = agency_db[1].admin
    health_job = _upload(agency_server, admin, health_geojson(tmp_path / "h.geojson", 50, "h"))
    response = requests.post(f"{agency_server}/api/layers/education/uploads", headers=bearer(admin),
                             files={"file": demo_files["education"].open("rb")}, timeout=30)
    education_job = response.json()["job"]["id"]
    request.getfixturevalue("worker")
    try:
        assert wait_for_job(agency_server, admin, education_job)["state"] == "done"
        assert _job_row(agency_db[0], health_job)[0] == "running", "health waits for its layer's lock"
    finally:
        holder.close()  # releases the lock, as the end of the other load would
    assert wait_for_job(agency_server, admin, health_job)["state"] == "done"
