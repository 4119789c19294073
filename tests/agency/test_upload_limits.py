"""Upload limits: size (413 before the body is read), file types, sanitised names, rate limits."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import requests

from mapserver import create_app
from tests.agency.conftest import app_config, audit_rows, bearer, health_geojson
from tests.serving import serving


def test_a_body_over_the_limit_is_413_before_it_is_sent(agency_db, tmp_path):
    app = create_app(app_config(agency_db[0], tmp_path / "uploads", MAX_UPLOAD_BYTES=1024))
    with serving(app) as base:
        conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
        conn.putrequest("POST", "/api/layers/health/uploads")
        conn.putheader("Authorization", f"Bearer {agency_db[1].health_editor}")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders()
        conn.send(b"--x\r\n")  # a few bytes of the announced 50 MB: the answer must not wait for the rest
        response = conn.getresponse()
        assert response.status == 413
        assert response.getheader("Content-Type") == "application/json"
        body = json.loads(response.read())
        assert body["code"] == "RequestEntityTooLarge" and body["messages"]["vi"] == "Tệp quá lớn."
    assert not list((tmp_path / "uploads").glob("*/*")), "nothing of a refused upload is kept"


def test_a_file_type_outside_the_list_is_415(agency_server, agency_db, tmp_path):
    response = requests.post(f"{agency_server}/api/layers/health/uploads", headers=bearer(agency_db[1].health_editor),
                             files={"file": ("run.sh", b"#!/bin/sh\nrm -rf /\n")}, timeout=10)
    assert response.status_code == 415
    assert ".geojson" in response.json()["messages"]["en"] and response.json()["messages"]["vi"]
    assert audit_rows(agency_db[0], "layer.upload")[0][3] == "refused"


def test_a_missing_file_part_is_415_too(agency_server, agency_db):
    response = requests.post(f"{agency_server}/api/layers/health/uploads", headers=bearer(agency_db[1].health_editor),
                             data={"publish": "true"}, timeout=10)
    assert response.status_code == 415


def test_a_bad_option_is_400(agency_server, agency_db, tmp_path):
    sample = health_geojson(tmp_path / "h.geojson", 3, "o")
    response = requests.post(f"{agency_server}/api/layers/health/uploads", headers=bearer(agency_db[1].health_editor),
                             files={"file": sample.open("rb")}, data={"publish": "maybe"}, timeout=10)
    assert response.status_code == 400 and "publish" in response.json()["messages"]["en"]


def test_the_file_name_is_sanitised_and_kept_under_the_upload_folder(agency_server, agency_db, tmp_path, agency_app):
    sample = health_geojson(tmp_path / "h.geojson", 3, "n")
    response = requests.post(f"{agency_server}/api/layers/health/uploads", headers=bearer(agency_db[1].health_editor),
                             files={"file": ("../../../etc/cron.d/evil.geojson", sample.read_bytes())}, timeout=10)
    assert response.status_code == 202
    assert response.json()["job"]["source"] == "etc_cron.d_evil.geojson"
    stored = list(Path(agency_app.config["UPLOAD_DIR"]).glob("*/*"))
    assert [p.name for p in stored] == ["etc_cron.d_evil.geojson"]


def test_writes_are_rate_limited_per_token_and_per_address(agency_db, tmp_path):
    app = create_app(app_config(agency_db[0], tmp_path / "uploads", RATELIMIT_WRITE_TOKEN="2 per minute",
                                RATELIMIT_WRITE_ADDRESS="4 per minute"))
    with serving(app) as root:
        base = f"{root}/api/layers/health/publish"

        def publish(token):
            return requests.post(base, json={"version": 1}, headers=bearer(token), timeout=10).status_code

        assert [publish(agency_db[1].health_editor) for _ in range(3)] == [200, 200, 429]
        assert [publish(agency_db[1].admin) for _ in range(3)] == [200, 200, 429]  # the address's 4 are used up
        answer = requests.post(base, json={"version": 1}, headers=bearer(agency_db[1].admin), timeout=10)
        assert answer.json()["code"] == "TooManyRequests" and answer.json()["messages"]["vi"]
