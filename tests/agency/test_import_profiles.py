"""Import profiles: saved, edited and deleted on the profile page (each change audited with before and after),
applied under every upload through either door; and the mapping form's checks, over real HTTP."""

from __future__ import annotations

import os
import re
import threading

import psycopg2
import pytest
import requests

from mapserver.jobs.worker import Worker, WorkerSettings
from tests.agency.conftest import PASSWORD, audit_rows, bearer, wait_for_job
from tests.agency.test_mapping_api import clinic_csv, kinds_of, upload
from tests.pg import fetch


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def staff(base: str, username: str) -> requests.Session:
    session = requests.Session()
    token = _csrf(session, f"{base}/agency/login")
    response = session.post(f"{base}/agency/login", data={"username": username, "password": PASSWORD,
                                                          "csrf_token": token}, timeout=30, allow_redirects=False)
    assert response.status_code == 302
    return session


PROFILE = "/agency/layers/health/profile"


def _save(session: requests.Session, base: str, **form) -> requests.Response:
    return session.post(base + PROFILE, data={"csrf_token": _csrf(session, base + PROFILE), **form}, timeout=10,
                        allow_redirects=False)


def _profile_rows(db_url: str) -> list[tuple]:
    return fetch(db_url, "SELECT layer_slug, field_columns, value_codes, ignored_columns, updated_by "
                         "FROM mapserver.import_profiles")


def test_save_edit_and_delete_a_profile_each_audited(agency_server, agency_db):
    editor = staff(agency_server, "editor-health")
    saved = _save(editor, agency_server, **{"field-kind": "Phân nhóm", "raw-kind": ["Điểm tiêm ngừa", ""],
                                            "code-kind": ["vaccination", ""], "ignored_columns": "STT\nGhi chú"})
    assert saved.status_code == 302
    assert _profile_rows(agency_db[0]) == [("health", {"kind": "Phân nhóm"},
                                            {"kind": {"Điểm tiêm ngừa": "vaccination"}}, ["STT", "Ghi chú"],
                                            "user:editor-health")]
    page = editor.get(agency_server + PROFILE, timeout=10).text
    assert 'value="Phân nhóm"' in page and 'value="Điểm tiêm ngừa"' in page and "user:editor-health" in page

    _save(editor, agency_server, **{"field-kind": "Loại hình", "raw-kind": ["Điểm tiêm ngừa", "Quầy thuốc tây"],
                                    "code-kind": ["", "pharmacy"], "ignored_columns": ""})
    assert _profile_rows(agency_db[0])[0][1:4] == ({"kind": "Loại hình"}, {"kind": {"Quầy thuốc tây": "pharmacy"}}, [])

    delete = editor.post(agency_server + PROFILE + "/delete",
                         data={"csrf_token": _csrf(editor, agency_server + PROFILE)}, timeout=10)
    assert delete.status_code == 200 and "Chưa có hồ sơ nhập" in delete.text
    assert _profile_rows(agency_db[0]) == []

    rows = [(r[0], r[3], r[4]) for r in audit_rows(agency_db[0]) if r[0].startswith("import_profile")]
    first = {"fields": {"kind": "Phân nhóm"}, "values": {"kind": {"Điểm tiêm ngừa": "vaccination"}},
             "ignored_columns": ["STT", "Ghi chú"]}
    second = {"fields": {"kind": "Loại hình"}, "values": {"kind": {"Quầy thuốc tây": "pharmacy"}},
              "ignored_columns": []}
    assert rows == [("import_profile.save", "ok", {"before": None, "after": first}),
                    ("import_profile.save", "ok", {"before": first, "after": second}),
                    ("import_profile.delete", "ok", {"before": second, "after": None})]


def test_a_viewer_reads_the_profile_but_may_not_change_it(agency_server, agency_db):
    _save(staff(agency_server, "editor-health"), agency_server, **{"field-name": "Tên đơn vị"})
    viewer = staff(agency_server, "viewer-health")
    page = viewer.get(agency_server + PROFILE, timeout=10)
    assert page.status_code == 200 and 'value="Tên đơn vị"' in page.text
    assert 'id="save-profile"' not in page.text and 'id="delete-profile"' not in page.text
    assert _save(viewer, agency_server, **{"field-name": "Tên"}).status_code == 403
    assert _profile_rows(agency_db[0])[0][1] == {"name": "Tên đơn vị"}
    assert [(r[1], r[3]) for r in audit_rows(agency_db[0], "import_profile.save")] == [
        ("user:editor-health", "ok"), ("user:viewer-health", "refused")]
    assert staff(agency_server, "editor-education").get(agency_server + PROFILE, timeout=10).status_code == 403


def test_a_profile_with_an_unknown_code_is_refused(agency_server, agency_db):
    response = _save(staff(agency_server, "editor-health"), agency_server,
                     **{"raw-kind": "Spa", "code-kind": "spa"})
    assert response.status_code == 400 and "spa" in response.json()["messages"]["vi"]
    assert _profile_rows(agency_db[0]) == []


def test_the_profile_goes_under_an_api_upload(agency_server, agency_db, worker, tmp_path):
    """The request's own values win over the profile's; what was applied is kept on the job."""
    _save(staff(agency_server, "editor-health"), agency_server,
          **{"field-kind": "Phân nhóm", "raw-kind": ["Điểm tiêm ngừa", "Phòng tiêm"],
             "code-kind": ["vaccination", "vaccination"]})
    token = agency_db[1].health_editor
    path = clinic_csv(tmp_path / "a.csv", ["Điểm tiêm ngừa", "Phòng tiêm"])
    job = wait_for_job(agency_server, token, upload(agency_server, token, path,
                                                    values='{"kind": {"Phòng tiêm": "clinic"}}').json()["job"]["id"])
    assert job["state"] == "done", job["error"]
    assert kinds_of(agency_db[0], job["report"]["version"]) == [("Trạm 0", "vaccination"), ("Trạm 1", "clinic")]
    options = job["options"]
    assert options["profile_fields"] == {"kind": "Phân nhóm"}
    assert options["values"] == {"kind": {"Điểm tiêm ngừa": "vaccination", "Phòng tiêm": "clinic"}}
    assert options["profile"]["updated_by"] == "user:editor-health"
    assert audit_rows(agency_db[0], "layer.upload")[0][4]["options"] == options


def test_a_file_without_the_profiles_column_is_matched_as_usual(agency_server, agency_db, worker, tmp_path):
    _save(staff(agency_server, "editor-health"), agency_server, **{"field-kind": "Phân nhóm"})
    path = tmp_path / "b.csv"
    path.write_text("Tên cơ sở,Loại hình,Kinh độ,Vĩ độ\nTrạm X,Bệnh viện,106.7,10.77\n", encoding="utf-8")
    token = agency_db[1].health_editor
    job = wait_for_job(agency_server, token, upload(agency_server, token, path).json()["job"]["id"])
    assert job["state"] == "done", job["error"]
    assert job["report"]["columns"]["kind"] == "Loại hình"


def _web_upload(session: requests.Session, base: str, path) -> int:
    token = _csrf(session, f"{base}/agency/layers/health")
    response = session.post(f"{base}/agency/layers/health/uploads", data={"csrf_token": token},
                            files={"file": (path.name, path.read_bytes())}, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["job"]


def _job(db_url: str, job_id: int) -> tuple:
    return fetch(db_url, "SELECT state, options, survey IS NOT NULL FROM mapserver.jobs WHERE id = %s", (job_id,))[0]


def test_the_mapping_form_names_what_is_wrong_and_queues_nothing(agency_server, agency_db, worker, tmp_path):
    editor = staff(agency_server, "editor-health")
    job_id = _web_upload(editor, agency_server, clinic_csv(tmp_path / "c.csv", ["Bệnh viện"]))
    job = wait_for_job(agency_server, agency_db[1].health_editor, job_id)
    assert job["state"] == "needs_mapping" and job["survey"]["missing_required"] == ["kind"]
    url = f"{agency_server}/agency/jobs/{job_id}/mapping"
    both_name = editor.post(url, data={"csrf_token": _csrf(editor, url), "column-0": "name", "column-1": "name"},
                            timeout=10)
    assert both_name.status_code == 400
    assert "Trường «Tên» được chọn cho nhiều cột: Tên đơn vị, Phân nhóm" in both_name.text
    assert "Trường bắt buộc «Loại» chưa được chọn cho cột nào" in both_name.text
    assert _job(agency_db[0], job_id)[0] == "needs_mapping"
    assert audit_rows(agency_db[0], "layer.mapping") == []


def test_a_category_column_nobody_surveyed_is_surveyed_again(agency_server, agency_db, worker, tmp_path):
    """Moving `kind` onto a column the survey did not read for it stops again, with that column's values."""
    path = tmp_path / "d.csv"
    path.write_text("Tên đơn vị,Loại hình,Nhóm 2,Kinh độ,Vĩ độ\nTrạm X,Bệnh viện,Spa,106.7,10.77\n", encoding="utf-8")
    editor = staff(agency_server, "editor-health")
    job_id = _web_upload(editor, agency_server, path)
    token = agency_db[1].health_editor
    assert wait_for_job(agency_server, token, job_id)["state"] == "needs_mapping"  # `Nhóm 2` matches nothing
    url = f"{agency_server}/agency/jobs/{job_id}/mapping"
    editor.post(url, data={"csrf_token": _csrf(editor, url), "column-0": "name", "column-1": "",
                           "column-2": "kind"}, timeout=10)
    again = wait_for_job(agency_server, token, job_id)
    assert again["state"] == "needs_mapping"
    assert [(v["column"], v["unknown"]) for v in again["survey"]["values"] if v["matched"]] == [
        ("Nhóm 2", [{"value": "Spa", "count": 1}])]


def test_a_job_left_waiting_for_its_mapping_expires_with_its_file(agency_app, agency_server, agency_db, tmp_path):
    editor = staff(agency_server, "editor-health")
    job_id = _web_upload(editor, agency_server, clinic_csv(tmp_path / "e.csv", ["Bệnh viện"]))
    settings = WorkerSettings.from_config(agency_app.config)
    runner = Worker(settings, agency_app.extensions["mapserver.catalog"])
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 1), daemon=True)
    thread.start()
    try:
        assert wait_for_job(agency_server, agency_db[1].health_editor, job_id)["state"] == "needs_mapping"
    finally:
        stop.set()
        thread.join(60)
    conn = psycopg2.connect(agency_db[0])
    with conn, conn.cursor() as cur:
        cur.execute("SELECT file_path FROM mapserver.jobs WHERE id = %s", (job_id,))
        path = cur.fetchone()[0]
        assert os.path.exists(path), "kept while it waits"
        cur.execute("UPDATE mapserver.jobs SET finished_at = now() - interval '2 days' WHERE id = %s", (job_id,))
    assert runner.take(conn, "test") is None
    conn.close()
    state, _options, _survey = _job(agency_db[0], job_id)
    job = requests.get(f"{agency_server}/api/jobs/{job_id}", headers=bearer(agency_db[1].health_editor),
                       timeout=10).json()
    assert state == "failed" and "tải tệp lên lại" in job["error"]["messages"]["vi"]
    assert not os.path.exists(path)


@pytest.mark.parametrize("who", ["editor-education", None])
def test_job_pages_are_for_the_layers_agency(agency_server, agency_db, tmp_path, who):
    job_id = _web_upload(staff(agency_server, "editor-health"), agency_server,
                         clinic_csv(tmp_path / "f.csv", ["Bệnh viện"]))
    other = staff(agency_server, who) if who else requests.Session()
    for path in (f"/agency/jobs/{job_id}", f"/agency/jobs/{job_id}/mapping", f"/agency/jobs/{job_id}/rejected.csv"):
        response = other.get(agency_server + path, timeout=10, allow_redirects=False)
        assert response.status_code == (403 if who else 302), path
