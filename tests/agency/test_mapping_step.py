"""The web area's mapping step in headless Chromium: an upload whose columns and values do not all match stops
at a form, the clerk maps them and saves the import profile, and her next upload of such a file loads straight."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.agency.conftest import PASSWORD, audit_rows
from tests.agency.test_mapping_api import clinic_csv, kinds_of

pytestmark = pytest.mark.browser


def _login(page, base: str, username: str = "editor-health") -> None:
    page.context.clear_cookies()  # whoever was logged in before
    page.goto(f"{base}/agency/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#who")).to_contain_text(username)


def _upload(page, base: str, path) -> None:
    page.goto(f"{base}/agency/layers/health")
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload button[type=submit]")


def test_mapping_step_then_the_profile_loads_the_next_file_straight(page, agency_server, agency_db, worker,
                                                                   tmp_path):
    _login(page, agency_server)
    first = clinic_csv(tmp_path / "diem-tiem.csv", ["Điểm tiêm ngừa", "Bệnh viện", "Điểm tiêm ngừa", "Nhà thuốc"])
    _upload(page, agency_server, first)
    expect(page).to_have_url(re.compile(r"/agency/jobs/\d+/mapping$"), timeout=60_000)
    job_id = int(page.url.split("/")[-2])

    name, kind = page.get_by_label("Tên đơn vị", exact=True), page.get_by_label("Phân nhóm", exact=True)
    expect(name).to_have_value("name")  # matched by the field's alias
    expect(kind).to_have_value("")  # matches nothing: not loaded unless the clerk says
    expect(page.locator(".mapping-row", has_text="Kinh độ")).to_contain_text("tọa độ")
    values = page.locator("fieldset.values[data-field=kind]")
    expect(values).to_be_hidden()  # shown once the column is the kind's

    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling on a phone"

    name.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == kind.get_attribute("id"), "one Tab from field to field"
    kind.select_option("kind")
    expect(values).to_be_visible()
    unknown = values.get_by_label(re.compile("Điểm tiêm ngừa"))
    expect(values).to_contain_text("2 dòng")
    expect(unknown).to_have_value("")  # rejecting is the default, never a guess
    unknown.select_option("vaccination")
    page.get_by_label(re.compile("Lưu làm hồ sơ nhập")).check()
    page.click("#load-with-mapping")

    expect(page).to_have_url(f"{agency_server}/agency/layers/health/versions/2", timeout=60_000)
    expect(page.locator("#rows_loaded")).to_have_text("4")
    expect(page.locator("#job-link")).to_have_attribute("href", f"/agency/jobs/{job_id}")
    assert kinds_of(agency_db[0], 2) == [("Trạm 0", "vaccination"), ("Trạm 1", "hospital"),
                                         ("Trạm 2", "vaccination"), ("Trạm 3", "pharmacy")]

    page.goto(f"{agency_server}/agency/layers/health/profile")
    expect(page.locator("#field-kind")).to_have_value("Phân nhóm")
    expect(page.locator("fieldset[data-field=kind] input[name=raw-kind]").first).to_have_value("Điểm tiêm ngừa")

    second = clinic_csv(tmp_path / "diem-tiem-thang-sau.csv", ["Nhà thuốc", "Điểm tiêm ngừa"], prefix="Cơ sở")
    _upload(page, agency_server, second)
    expect(page).to_have_url(f"{agency_server}/agency/layers/health/versions/3", timeout=60_000)
    assert kinds_of(agency_db[0], 3) == [("Cơ sở 0", "pharmacy"), ("Cơ sở 1", "vaccination")]

    actions = [(r[0], r[3]) for r in audit_rows(agency_db[0]) if r[0] != "login"]
    assert actions == [("layer.upload", "ok"), ("layer.mapping_needed", "ok"), ("layer.mapping", "ok"),
                       ("import_profile.save", "ok"), ("layer.load", "ok"), ("layer.upload", "ok"),
                       ("layer.load", "ok")]
    second_upload = audit_rows(agency_db[0], "layer.upload")[1][4]["options"]
    assert second_upload["profile_fields"]["kind"] == "Phân nhóm"
    assert second_upload["values"] == {"kind": {"Điểm tiêm ngừa": "vaccination"}}


def test_a_value_left_to_reject_lists_its_rows_and_the_csv(page, agency_server, agency_db, worker,
                                                          tmp_path):
    _login(page, agency_server)
    _upload(page, agency_server, clinic_csv(tmp_path / "spa.csv", ["Bệnh viện", "Spa", "Bệnh viện"]))
    expect(page).to_have_url(re.compile(r"/mapping$"), timeout=60_000)
    page.get_by_label("Phân nhóm", exact=True).select_option("kind")
    page.click("#load-with-mapping")
    expect(page).to_have_url(re.compile(r"/versions/2$"), timeout=60_000)
    expect(page.locator("#rejected-by-reason tr[data-code=not_a_category]")).to_contain_text("1")
    expect(page.locator("#rejection-groups")).to_contain_text("1 dòng")
    expect(page.locator("#rejections tbody tr")).to_have_count(1)
    expect(page.locator("#rejections tbody tr")).to_contain_text("Spa")
    with page.expect_download() as download:
        page.click("#rejected-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename.startswith("spa-rejected-rows-job")
    assert "Trạm 1,Spa" in text and "không phải là loại" in text


def test_the_mapping_page_is_for_the_layers_agency(page, agency_server, agency_db, worker, tmp_path):
    _login(page, agency_server)
    _upload(page, agency_server, clinic_csv(tmp_path / "a.csv", ["Bệnh viện"]))
    expect(page).to_have_url(re.compile(r"/mapping$"), timeout=60_000)
    url = page.url
    _login(page, agency_server, "editor-education")
    assert page.goto(url).status == 403
    assert page.goto(f"{agency_server}/agency/jobs/999999/mapping").status == 404
    _login(page, agency_server, "viewer-health")
    page.goto(url)
    expect(page.get_by_label("Phân nhóm", exact=True)).to_be_disabled()
    expect(page.locator("#load-with-mapping")).to_have_count(0)
