"""Who may write: 401 without, with an expired or a revoked token; 403 for another agency's layer; each audited."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from mapserver import create_app
from tests.agency.conftest import app_config, audit_rows, bearer, health_geojson
from tests.serving import serving

WRITES = {
    "layer.upload": ("uploads", lambda f: {"files": {"file": ("h.geojson", f.read_bytes())}}),
    "layer.publish": ("publish", lambda f: {"json": {"version": 1}}),
    "layer.rollback": ("rollback", lambda f: {}),
}


@pytest.fixture
def sample(tmp_path):
    return health_geojson(tmp_path / "h.geojson", 5, "s")


def _post(base, action, sample, headers=None, layer="health"):
    route, body = WRITES[action]
    return requests.post(f"{base}/api/layers/{layer}/{route}", headers=headers or {}, timeout=30, **body(sample))


@pytest.mark.parametrize("action", WRITES)
def test_without_a_token_every_write_is_401_and_audited(agency_server, agency_db, sample, action):
    response = _post(agency_server, action, sample)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "Unauthorized" and body["messages"]["vi"] and body["messages"]["en"]
    assert audit_rows(agency_db[0], action) == [(action, "anonymous", "health", "refused",
                                                 {"code": "Unauthorized", "reason": body["messages"]["en"]})]


@pytest.mark.parametrize("which", ["expired", "revoked"])
@pytest.mark.parametrize("action", WRITES)
def test_an_expired_or_revoked_token_is_401(agency_server, agency_db, sample, action, which):
    response = _post(agency_server, action, sample, bearer(getattr(agency_db[1], which)))
    assert response.status_code == 401
    assert "hết hạn" in response.json()["messages"]["vi"]


def test_a_wrong_secret_with_a_real_prefix_is_401(agency_server, agency_db, sample):
    prefix = agency_db[1].health_editor.split("_")[1]
    response = _post(agency_server, "layer.upload", sample, bearer(f"msk_{prefix}_not-the-secret"))
    assert response.status_code == 401


@pytest.mark.parametrize("action", WRITES)
def test_another_agencys_layer_is_403_on_every_write_and_audited(agency_server, agency_db, sample, action):
    response = _post(agency_server, action, sample, bearer(agency_db[1].education_editor))
    assert response.status_code == 403
    assert response.json()["code"] == "Forbidden"
    rows = audit_rows(agency_db[0], action)
    assert [(r[1], r[2], r[3]) for r in rows] == [("token:education-sync", "health", "refused")]


@pytest.mark.parametrize("action", WRITES)
def test_a_viewer_of_the_agency_may_not_write(agency_server, agency_db, sample, action):
    assert _post(agency_server, action, sample, bearer(agency_db[1].health_viewer)).status_code == 403


def test_upload_is_accepted_as_a_job_and_audited_once(agency_server, agency_db, sample):
    response = _post(agency_server, "layer.upload", sample, bearer(agency_db[1].health_editor))
    assert response.status_code == 202
    job = response.json()["job"]
    assert job["state"] == "queued" and job["layer"] == "health" and job["source"] == "h.geojson"
    assert response.headers["Location"] == f"/api/jobs/{job['id']}"
    status = requests.get(agency_server + response.headers["Location"], headers=bearer(agency_db[1].health_viewer),
                          timeout=10)
    assert status.status_code == 200 and status.json()["id"] == job["id"]
    rows = audit_rows(agency_db[0], "layer.upload")
    assert [(r[1], r[3], r[4]["job"]) for r in rows] == [("token:health-sync", "ok", job["id"])]


def test_a_job_is_hidden_from_another_agency_and_anonymous(agency_server, agency_db, sample):
    job_id = _post(agency_server, "layer.upload", sample, bearer(agency_db[1].health_editor)).json()["job"]["id"]
    url = f"{agency_server}/api/jobs/{job_id}"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=bearer(agency_db[1].education_editor), timeout=10).status_code == 403
    assert requests.get(f"{agency_server}/api/jobs/999999", headers=bearer(agency_db[1].admin),
                        timeout=10).status_code == 404


def test_publish_and_rollback_with_the_agencys_token(agency_server, agency_db, sample):
    token = bearer(agency_db[1].health_editor)
    base = f"{agency_server}/api/layers/health"
    missing = requests.post(f"{base}/publish", json={"version": 42}, headers=token, timeout=10)
    assert missing.status_code == 409 and "42" in missing.json()["messages"]["en"]
    nothing_before = requests.post(f"{base}/rollback", headers=token, timeout=10)
    assert nothing_before.status_code == 409 and nothing_before.json()["messages"]["vi"]
    bad = requests.post(f"{base}/publish", json={"version": "x"}, headers=token, timeout=10)
    assert bad.status_code == 400
    again = requests.post(f"{base}/publish", json={"version": 1}, headers=token, timeout=10)
    assert again.status_code == 200 and again.json() == {"layer": "health", "published_version": 1, "previous": 1}
    rows = audit_rows(agency_db[0])
    assert [(r[0], r[3]) for r in rows] == [("layer.publish", "refused"), ("layer.rollback", "refused"),
                                            ("layer.publish", "ok")]


def test_the_admin_token_may_write_any_agencys_layer(agency_server, agency_db, sample):
    response = _post(agency_server, "layer.publish", sample, bearer(agency_db[1].admin), layer="education")
    assert response.status_code == 200 and response.json()["published_version"] == 1


def test_an_unknown_layer_is_404(agency_server, agency_db, sample):
    assert _post(agency_server, "layer.upload", sample, bearer(agency_db[1].admin), layer="parks").status_code == 404


def test_versions_and_preview_are_for_the_agencys_staff(agency_server, agency_db):
    base = f"{agency_server}/api/layers/health/versions"
    assert requests.get(base, timeout=10).status_code == 401
    assert requests.get(base, headers=bearer(agency_db[1].education_editor), timeout=10).status_code == 403
    listed = requests.get(base, headers=bearer(agency_db[1].health_viewer), timeout=10)
    assert listed.status_code == 200 and [v["version"] for v in listed.json()["versions"]] == [1]
    preview = requests.get(f"{base}/1/features", headers=bearer(agency_db[1].health_viewer), timeout=30)
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "application/geo+json"
    features = preview.json()["features"]
    assert features and set(features[0]["properties"]) >= {"name", "kind"} and "geom" not in features[0]["properties"]
    assert requests.get(f"{base}/9/features", headers=bearer(agency_db[1].health_viewer), timeout=10).status_code == 404


def test_reading_an_internal_layer_of_another_agency_is_403(agency_db, tmp_path):
    app = create_app(app_config(agency_db[0], tmp_path / "uploads"))
    catalog = app.extensions["mapserver.catalog"]
    catalog["health"] = dataclasses.replace(catalog["health"], visibility="internal")
    with serving(app) as root:
        base = f"{root}/api/layers/health/versions/1/features"
        assert requests.get(base, headers=bearer(agency_db[1].education_editor), timeout=10).status_code == 403
        assert requests.get(base, headers=bearer(agency_db[1].health_viewer), timeout=30).status_code == 200
    with app.test_request_context():
        from mapserver.accounts.auth import ANONYMOUS, Principal

        internal = catalog["health"]
        assert not ANONYMOUS.can_read(internal)
        assert not Principal("token:x", "token", "editor", "so-giao-duc").can_read(internal)
        assert Principal("token:y", "token", "viewer", "so-y-te").can_read(internal)
        assert ANONYMOUS.can_read(catalog["education"])
