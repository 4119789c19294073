"""The whole staff flow in headless Chromium: log in, upload, follow the job, read the report, preview,
publish, roll back."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.agency.conftest import PASSWORD, audit_rows, health_geojson

pytestmark = pytest.mark.browser


@pytest.fixture
def upload_file(tmp_path):
    """Ten good clinics, one row outside the city and one without a name: the report must list both."""
    path = health_geojson(tmp_path / "tram-y-te.geojson", 10, "w")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][3]["geometry"]["coordinates"] = [2.35, 48.85]
    data["features"][7]["properties"]["name"] = None
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_login_upload_report_preview_publish_rollback(page, agency_server, agency_db, worker, upload_file):
    page.goto(f"{agency_server}/agency/")
    expect(page).to_have_url(f"{agency_server}/agency/login?next=/agency/")
    page.fill("input[name=username]", "editor-health")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#who")).to_contain_text("editor-health")

    page.click("a[href='/agency/layers/health']")
    page.set_input_files("input[name=file]", str(upload_file))
    page.click("#upload button[type=submit]")
    expect(page).to_have_url(f"{agency_server}/agency/layers/health/versions/2", timeout=60_000)

    expect(page.locator("#rows_read")).to_have_text("10")
    expect(page.locator("#rows_loaded")).to_have_text("8")
    expect(page.locator("#rows_rejected")).to_have_text("2")
    rejections = page.locator("#rejections tbody tr")
    expect(rejections).to_have_count(2)
    expect(rejections.nth(0)).to_contain_text("nằm ngoài khu vực triển khai")
    expect(rejections.nth(0)).to_contain_text("outside the deployment area")
    expect(rejections.nth(1)).to_contain_text("name")
    expect(page.locator("#preview")).to_have_attribute("data-count", "8")
    expect(page.locator("#preview svg circle")).to_have_count(8)
    expect(page.locator("#version-status")).to_have_attribute("data-status", "ready")
    expect(page.locator("#version-status")).to_have_text("Sẵn sàng, chưa công bố")

    page.click("#publish")
    expect(page.locator(".flash")).to_contain_text("Đã công bố phiên bản 2")
    expect(page.locator("#versions tr[data-version='2']")).to_have_attribute("data-status", "published")

    page.click("#rollback")
    expect(page.locator("#versions tr[data-version='1']")).to_have_attribute("data-status", "published")
    expect(page.locator("#versions tr[data-version='2']")).to_have_attribute("data-status", "retired")
    expect(page.locator("#versions tr[data-version='2'] .published-by")).to_contain_text("user:editor-health")
    expect(page.locator("#versions tr[data-version='2'] .rolled-back-by")).to_contain_text("user:editor-health")
    expect(page.locator("#versions tr[data-version='1'] .rolled-back-by")).to_have_text("")

    page.goto(f"{agency_server}/agency/layers/health?lang=en")
    expect(page.locator("h2").first).to_have_text("Upload a new file")

    actions = [(r[0], r[1], r[3]) for r in audit_rows(agency_db[0])]
    assert actions == [("login", "user:editor-health", "ok"), ("layer.upload", "user:editor-health", "ok"),
                       ("layer.load", "user:editor-health", "ok"), ("layer.publish", "user:editor-health", "ok"),
                       ("layer.rollback", "user:editor-health", "ok")]


def test_a_refused_file_shows_why_in_the_page(page, agency_server, agency_db, worker, tmp_path):
    empty = tmp_path / "trong.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    page.goto(f"{agency_server}/agency/login")
    page.fill("input[name=username]", "editor-health")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{agency_server}/agency/layers/health")
    page.set_input_files("input[name=file]", str(empty))
    page.click("#upload button[type=submit]")
    expect(page.locator("#upload-status")).to_contain_text("tệp không có dòng dữ liệu nào", timeout=60_000)
