"""The versions API says who published each version and who rolled it back, and when."""

from __future__ import annotations

from datetime import datetime

import requests

from tests.agency.conftest import bearer, health_geojson, wait_for_job


def test_versions_carry_who_published_and_rolled_back(agency_server, agency_db, worker, tmp_path):
    token = agency_db[1].health_editor
    base = f"{agency_server}/api/layers/health"
    with health_geojson(tmp_path / "h.geojson", 5, "B").open("rb") as fh:
        posted = requests.post(f"{base}/uploads", headers=bearer(token), files={"file": ("h.geojson", fh)},
                               data={"publish": "true"}, timeout=30)
    assert wait_for_job(agency_server, token, posted.json()["job"]["id"])["state"] == "done"
    rolled = requests.post(f"{base}/rollback", headers=bearer(token), timeout=10)
    assert rolled.status_code == 200 and rolled.json()["published_version"] == 1
    listed = requests.get(f"{base}/versions", headers=bearer(agency_db[1].health_viewer), timeout=10).json()
    second, first = listed["versions"]
    assert (second["version"], second["status"], second["published_by"]) == (2, "retired", "token:health-sync")
    assert second["rolled_back_by"] == "token:health-sync" and second["rolled_back_at"]
    assert (first["version"], first["status"], first["rolled_back_at"], first["rolled_back_by"]) == \
        (1, "published", None, None)
    assert first["published_by"] == "token:health-sync"
    assert datetime.strptime(second["rolled_back_at"], "%a, %d %b %Y %H:%M:%S %Z") >= \
        datetime.strptime(second["published_at"], "%a, %d %b %Y %H:%M:%S %Z")
