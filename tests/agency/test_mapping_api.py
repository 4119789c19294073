"""The write API's explicit mapping (`fields`, `values` as JSON in the form) and the rejected rows' CSV."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import psycopg2
import pytest
import requests

from etl.rejected import REASON_COLUMNS
from tests.agency.conftest import audit_rows, bearer, wait_for_job

HEADER = ("Tên đơn vị", "Phân nhóm", "Kinh độ", "Vĩ độ")


def clinic_csv(path: Path, kinds: list[str], prefix: str = "Trạm") -> Path:
    """A clerk's export: Vietnamese headers, `Phân nhóm` matching no field's name, title or alias."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i, kind in enumerate(kinds):
            writer.writerow([f"{prefix} {i}", kind, f"{106.68 + i * 1e-3:.5f}", f"{10.76 + i * 1e-3:.5f}"])
    return path


def upload(base: str, token: str, path: Path, **data) -> requests.Response:
    return requests.post(f"{base}/api/layers/health/uploads", headers=bearer(token),
                         files={"file": (path.name, path.read_bytes())}, data=data, timeout=30)


def kinds_of(db_url: str, version: int) -> list[tuple[str, str]]:
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute(f"SELECT name, kind FROM layer_data.health_v{int(version)} ORDER BY name")
        rows = cur.fetchall()
    conn.close()
    return rows


def test_fields_and_values_as_json_map_the_file(agency_server, agency_db, worker, tmp_path):
    token = agency_db[1].health_editor
    path = clinic_csv(tmp_path / "tiem-chung.csv", ["Điểm tiêm ngừa", "Bệnh viện", "điểm tiêm NGỪA"])
    fields = {"kind": "Phân nhóm"}
    values = {"kind": {"Điểm tiêm ngừa": "vaccination"}}
    response = upload(agency_server, token, path, fields=json.dumps(fields, ensure_ascii=False),
                      values=json.dumps(values, ensure_ascii=False))
    assert response.status_code == 202, response.text
    job = wait_for_job(agency_server, token, response.json()["job"]["id"])
    assert job["state"] == "done", job["error"]
    assert job["options"]["fields"] == fields and job["options"]["values"] == values
    assert job["report"]["rows_loaded"] == 3 and job["report"]["columns"]["kind"] == "Phân nhóm"
    assert kinds_of(agency_db[0], job["report"]["version"]) == [
        ("Trạm 0", "vaccination"), ("Trạm 1", "hospital"), ("Trạm 2", "vaccination")]
    assert audit_rows(agency_db[0], "layer.upload")[0][4]["options"]["values"] == values
    assert not job["rejected_csv"], "no row was rejected: nothing to download"


@pytest.mark.parametrize(("data", "wrong"), [
    ({"fields": '{"name": "Tên đơn vị"'}, "fields"),
    ({"fields": '["Tên đơn vị"]'}, "fields"),
    ({"fields": '{"name": 7}'}, "fields"),
    ({"values": '{"kind": "vaccination"}'}, "values"),
    ({"values": "not json"}, "values"),
])
def test_a_malformed_mapping_is_a_400_in_both_languages(agency_server, agency_db, tmp_path, data, wrong):
    path = clinic_csv(tmp_path / "x.csv", ["Bệnh viện"])
    response = upload(agency_server, agency_db[1].health_editor, path, **data)
    assert response.status_code == 400
    body = response.json()
    assert body["messages"]["en"].startswith(wrong) and body["messages"]["vi"].startswith(wrong)
    assert "{" in body["messages"]["en"], "the message shows the expected shape"
    assert audit_rows(agency_db[0], "layer.upload") == [], "nothing was queued"


def test_an_unknown_field_or_code_fails_the_job_naming_the_allowed_ones(agency_server, agency_db, worker,
                                                                         tmp_path):
    token = agency_db[1].health_editor
    path = clinic_csv(tmp_path / "x.csv", ["Bệnh viện"])
    bad_field = upload(agency_server, token, path, fields='{"loai": "Phân nhóm"}').json()["job"]["id"]
    bad_code = upload(agency_server, token, path, fields='{"kind": "Phân nhóm"}',
                      values='{"kind": {"Bệnh viện": "spa"}}').json()["job"]["id"]
    field_job, code_job = (wait_for_job(agency_server, token, j) for j in (bad_field, bad_code))
    assert field_job["state"] == "failed" and "loai" in field_job["error"]["messages"]["en"]
    assert "kind" in field_job["error"]["messages"]["vi"], "the layer's fields are listed"
    assert code_job["state"] == "failed" and "hospital" in code_job["error"]["messages"]["en"]


def _csv_rows(response: requests.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_rejected_row_downloads_as_csv_with_its_reason(agency_server, agency_db, worker, tmp_path):
    token = agency_db[1].health_editor
    kinds = ["Bệnh viện"] * 5 + ["Cơ sở thẩm mỹ", "Bệnh viện", "Cơ sở thẩm mỹ"]
    path = clinic_csv(tmp_path / "co-so.csv", kinds)
    job_id = upload(agency_server, token, path, fields='{"kind": "Phân nhóm"}').json()["job"]["id"]
    job = wait_for_job(agency_server, token, job_id)
    assert job["state"] == "done" and job["report"]["rows_rejected"] == 2 and job["rejected_csv"]
    url = f"{agency_server}{job['links']['rejected_csv']}"
    assert url == f"{agency_server}/api/jobs/{job_id}/rejected.csv"

    response = requests.get(url, headers=bearer(agency_db[1].health_viewer), timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="co-so-rejected-rows-job{job_id}.csv"'
    rows = _csv_rows(response)
    assert rows[0] == [*HEADER, *REASON_COLUMNS]
    assert [r[:2] + r[4:7] for r in rows[1:]] == [["Trạm 5", "Cơ sở thẩm mỹ", "6", "kind", "Cơ sở thẩm mỹ"],
                                                  ["Trạm 7", "Cơ sở thẩm mỹ", "8", "kind", "Cơ sở thẩm mỹ"]]
    assert "không phải là loại của Cơ sở y tế" in rows[1][7] and "is not a kind of Health facilities" in rows[1][8]

    plain = requests.get(url, headers={**bearer(token), "Accept-Encoding": "identity"}, timeout=10, stream=True)
    assert "Content-Encoding" not in plain.headers and _csv_rows(plain) == rows
    packed = requests.get(url, headers={**bearer(token), "Accept-Encoding": "gzip"}, timeout=10, stream=True)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.raw.read()).decode("utf-8-sig") == response.content.decode("utf-8-sig")

    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers=bearer(agency_db[1].education_editor), timeout=10).status_code == 403


def test_a_refused_load_still_offers_its_rejected_rows(agency_server, agency_db, worker, tmp_path):
    token = agency_db[1].health_editor
    path = clinic_csv(tmp_path / "tham-my.csv", ["Cơ sở thẩm mỹ", "Spa"])
    job = wait_for_job(agency_server, token,
                       upload(agency_server, token, path, fields='{"kind": "Phân nhóm"}').json()["job"]["id"])
    assert job["state"] == "failed" and "none of the 2 rows is valid" in job["error"]["messages"]["en"]
    response = requests.get(f"{agency_server}/api/jobs/{job['id']}/rejected.csv", headers=bearer(token), timeout=10)
    assert response.status_code == 200
    assert [r[1] for r in _csv_rows(response)[1:]] == ["Cơ sở thẩm mỹ", "Spa"]


def test_a_job_without_rejected_rows_has_no_csv(agency_server, agency_db, worker, tmp_path):
    token = agency_db[1].health_editor
    path = clinic_csv(tmp_path / "ok.csv", ["Bệnh viện"])
    job = wait_for_job(agency_server, token,
                       upload(agency_server, token, path, fields='{"kind": "Phân nhóm"}').json()["job"]["id"])
    response = requests.get(f"{agency_server}/api/jobs/{job['id']}/rejected.csv", headers=bearer(token), timeout=10)
    assert job["state"] == "done" and response.status_code == 404 and response.json()["messages"]["vi"]
