"""Uploads of the formats the ETL reads: a zipped shapefile and a spreadsheet load; a zip-slip archive fails the job,
nothing lost."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import openpyxl
import requests

from tests.agency.conftest import audit_rows, bearer, health_geojson, wait_for_job


def _post(base: str, token: str, name: str, payload: bytes) -> int:
    r = requests.post(f"{base}/api/layers/health/uploads", headers=bearer(token),
                      files={"file": (name, payload)}, data={"publish": "true"}, timeout=30)
    assert r.status_code == 202, r.text
    return r.json()["job"]["id"]


def _versions(base: str, token: str) -> list[tuple[int, str]]:
    listed = requests.get(f"{base}/api/layers/health/versions", headers=bearer(token), timeout=10).json()
    return [(v["version"], v["status"]) for v in listed["versions"]]


def test_a_zipped_shapefile_is_loaded_and_published(agency_server, agency_db, worker, tmp_path):
    frame = gpd.read_file(health_geojson(tmp_path / "h.geojson", 40, "SHP"))
    frame.to_file(tmp_path / "tram_y_te.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for part in tmp_path.glob("tram_y_te.*"):
            archive.write(part, part.name)
    token = agency_db[1].health_editor
    job = wait_for_job(agency_server, token, _post(agency_server, token, "tram_y_te.zip", buf.getvalue()))
    assert job["state"] == "done", job
    assert job["report"]["rows_loaded"] == 40 and job["report"]["published"]
    assert _versions(agency_server, token)[0] == (2, "published")


def test_a_zip_slip_archive_fails_the_job_and_keeps_the_published_layer(agency_server, agency_db, worker):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("../../etc/evil.geojson", '{"type": "FeatureCollection", "features": []}')
    token = agency_db[1].health_editor
    job = wait_for_job(agency_server, token, _post(agency_server, token, "evil.zip", buf.getvalue()))
    assert job["state"] == "failed"
    assert "evil.geojson" in job["error"]["messages"]["en"] and job["error"]["messages"]["vi"]
    assert _versions(agency_server, token) == [(1, "published")]
    assert [r[3] for r in audit_rows(agency_db[0], "layer.load")] == ["refused"]


def test_a_spreadsheet_with_a_title_row_is_loaded_and_published(agency_server, agency_db, worker, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH NHÀ THUỐC"])
    sheet.merge_cells("A1:D1")
    sheet.append(["Tên", "Loại", "Kinh độ", "Vĩ độ"])
    for i in range(12):
        sheet.append([f"Nhà thuốc {i}", "Nhà thuốc", f"{106.70 + i / 1000:.3f}".replace(".", ","), 10.77])
    buf = io.BytesIO()
    workbook.save(buf)
    token = agency_db[1].health_editor
    job = wait_for_job(agency_server, token, _post(agency_server, token, "nha_thuoc.xlsx", buf.getvalue()))
    assert job["state"] == "done", job
    assert job["report"]["rows_loaded"] == 12 and job["report"]["published"]
