"""The Transport department's GTFS timetable through the write API and the agency area: who may upload, the
worker's load and its report, versions, publish and rollback, the audit log, and a refused feed that leaves the
published timetable as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import psycopg2
import pytest
import requests
from playwright.sync_api import expect
from psycopg2 import sql

from etl.publish import NETWORK_TABLES
from mapserver import accounts, create_app
from mapserver.accounts import tokens
from tests.agency.conftest import PASSWORD, app_config, bearer, health_geojson, wait_for_job
from tests.journeys.feeds import write_feed
from tests.pg import fetch
from tests.serving import serving

TRANSIT = "/api/transit"


@pytest.fixture
def transport(agency_db) -> dict[str, str]:
    """Staff of the Department of Transport (it owns the `transport` layer, hence the timetable): clear tokens."""
    conn = psycopg2.connect(agency_db[0])
    with conn, conn.cursor() as cur:
        accounts.add_user(cur, "editor-transport", PASSWORD, "editor", "so-giao-thong")
        accounts.add_user(cur, "viewer-transport", PASSWORD, "viewer", "so-giao-thong")
        made = {name: tokens.create(cur, name=name, role=role, agency="so-giao-thong", days=30, created_by="test")[0]
                for name, role in (("transport-sync", "editor"), ("transport-read", "viewer"))}
    conn.close()
    return made


@pytest.fixture(autouse=True)
def no_timetable(agency_db) -> None:
    """Start each test from a network without versions (the template may hold the demo city's timetable), so
    versions are counted from 1 here."""
    conn = psycopg2.connect(agency_db[0])
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE mapserver.networks SET published_version = NULL WHERE slug = 'transit'")
        for table in (*NETWORK_TABLES, "network_publications", "network_versions"):
            cur.execute(sql.SQL("DELETE FROM {} WHERE network_slug = 'transit'").format(
                sql.Identifier("mapserver", table)))
    conn.close()


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> Path:
    return write_feed(tmp_path_factory.mktemp("gtfs") / "xe-buyt.zip", seed=3, lines=4)


def _variant(feed: Path, path: Path, drop: tuple[str, ...] = (), append: dict[str, str] | None = None) -> Path:
    """A copy of `feed` without the files in `drop`, with lines appended to others."""
    with zipfile.ZipFile(feed) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            if name not in drop:
                target.writestr(name, source.read(name).decode() + (append or {}).get(name, ""))
    return path


def _layer_zip(path: Path) -> Path:
    """A zip that is not GTFS: a layer's file, sent to the timetable by mistake."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(health_geojson(path.with_suffix(".geojson"), 3, "z"), "tram-y-te.geojson")
    return path


def _upload(base: str, token: str | None, path: Path, **data) -> requests.Response:
    with path.open("rb") as fh:
        return requests.post(f"{base}{TRANSIT}/uploads", headers=bearer(token) if token else {},
                             files={"file": (path.name, fh)}, data=data, timeout=30)


def _loaded(base: str, token: str, path: Path, **data) -> dict:
    response = _upload(base, token, path, **data)
    assert response.status_code == 202, response.text
    return wait_for_job(base, token, response.json()["job"]["id"])


def _versions(base: str, token: str) -> list[tuple]:
    listed = requests.get(f"{base}{TRANSIT}/versions", headers=bearer(token), timeout=10)
    assert listed.status_code == 200 and listed.json()["network"] == "transit"
    return [(v["version"], v["status"]) for v in listed.json()["versions"]]


def _published(db_url: str) -> int | None:
    return fetch(db_url, "SELECT published_version FROM mapserver.networks WHERE slug = 'transit'")[0][0]


def _audit(db_url: str, prefix: str = "transit.") -> list[tuple]:
    """(action, actor, agency, client address, result, details) of the timetable's audit rows, in order."""
    return fetch(db_url, "SELECT l.action, l.actor, a.slug, host(l.client_addr), l.result, l.details "
                 "FROM mapserver.audit_log l LEFT JOIN mapserver.agencies a ON a.id = l.agency_id "
                 "WHERE l.action LIKE %s ORDER BY l.id", (prefix + "%",))


def test_only_the_transport_agencys_editors_and_admins_may_upload(agency_server, agency_db, transport, feed):
    assert _upload(agency_server, None, feed).status_code == 401
    viewer = _upload(agency_server, transport["transport-read"], feed)
    assert viewer.status_code == 403 and viewer.json()["messages"]["vi"] and viewer.json()["messages"]["en"]
    assert _upload(agency_server, agency_db[1].health_editor, feed).status_code == 403
    accepted = _upload(agency_server, transport["transport-sync"], feed)
    assert accepted.status_code == 202
    job = accepted.json()["job"]
    assert (job["target"], job["layer"], job["source"], job["state"]) == ("timetable", "transport", "xe-buyt.zip",
                                                                         "queued")
    assert accepted.headers["Location"] == f"/api/jobs/{job['id']}"
    assert _upload(agency_server, agency_db[1].admin, feed).status_code == 202
    seen = requests.get(agency_server + accepted.headers["Location"], headers=bearer(transport["transport-read"]),
                        timeout=10)
    assert seen.status_code == 200 and seen.json()["target"] == "timetable"
    hidden = requests.get(agency_server + accepted.headers["Location"], headers=bearer(agency_db[1].health_editor),
                          timeout=10)
    assert hidden.status_code == 403
    rows = [(r[0], r[1], r[2], r[3], r[4]) for r in _audit(agency_db[0])]
    assert rows == [("transit.upload", "anonymous", "so-giao-thong", "127.0.0.1", "refused"),
                    ("transit.upload", "token:transport-read", "so-giao-thong", "127.0.0.1", "refused"),
                    ("transit.upload", "token:health-sync", "so-giao-thong", "127.0.0.1", "refused"),
                    ("transit.upload", "token:transport-sync", "so-giao-thong", "127.0.0.1", "ok"),
                    ("transit.upload", "token:city-admin", "so-giao-thong", "127.0.0.1", "ok")]
    assert _audit(agency_db[0])[3][5]["job"] == job["id"]


def test_a_file_that_is_not_a_zip_is_415_and_the_size_limit_is_413(agency_db, transport, tmp_path, feed):
    app = create_app(app_config(agency_db[0], tmp_path / "uploads", MAX_UPLOAD_BYTES=feed.stat().st_size - 1))
    token = transport["transport-sync"]
    with serving(app) as base:
        stops = tmp_path / "stops.txt"
        stops.write_text("stop_id,stop_name,stop_lat,stop_lon\n")
        wrong = _upload(base, token, stops)
        assert wrong.status_code == 415 and ".zip" in wrong.json()["messages"]["en"] and wrong.json()["messages"]["vi"]
        missing = requests.post(f"{base}{TRANSIT}/uploads", headers=bearer(token), data={"publish": "true"},
                                timeout=10)
        assert missing.status_code == 415
        too_big = _upload(base, token, feed)
        assert too_big.status_code == 413 and too_big.json()["messages"]["vi"] == "Tệp quá lớn."
        assert _upload(base, token, stops, publish="maybe").status_code == 400
    assert not list((tmp_path / "uploads").glob("*/*")), "nothing of a refused upload is kept"
    assert [(r[0], r[4], r[5]["code"]) for r in _audit(agency_db[0])] == [
        ("transit.upload", "refused", "UnsupportedMediaType"), ("transit.upload", "refused", "UnsupportedMediaType")]


def test_the_worker_loads_and_publishes_the_feed_and_names_the_rejected_rows(agency_server, agency_db, transport,
                                                                           worker, feed, tmp_path):
    token = transport["transport-sync"]
    odd = _variant(feed, tmp_path / "odd.zip", append={"stops.txt": "SX99,Trạm Paris,48.85,2.35\n"})
    job = _loaded(agency_server, token, odd, publish="true")
    assert job["state"] == "done" and job["target"] == "timetable", job
    report = job["report"]
    assert (report["version"], report["published"], report["rows_rejected"]) == (1, True, 1)
    assert report["rows_loaded"] > 1000
    (rejection,) = report["rejections"]
    assert (rejection["row"], rejection["field"], rejection["value"]) == (18 * 18 + 2, "stops.txt:stop_lat", "48.85")
    assert "outside" in rejection["reason"] and "ngoài" in rejection["reason_vi"]
    assert _versions(agency_server, transport["transport-read"]) == [(1, "published")]
    assert _published(agency_db[0]) == 1
    listed = requests.get(f"{agency_server}{TRANSIT}/versions", headers=bearer(token), timeout=10).json()["versions"]
    assert listed[0]["published_by"] == "token:transport-sync" and listed[0]["counts"]["stops"] == 18 * 18
    assert [(r[0], r[1], r[2], r[4]) for r in _audit(agency_db[0])] == [
        ("transit.upload", "token:transport-sync", "so-giao-thong", "ok"),
        ("transit.load", "token:transport-sync", "so-giao-thong", "ok")]
    assert _audit(agency_db[0])[1][5]["version"] == 1
    layer_jobs = requests.get(f"{agency_server}/api/layers/transport/versions", headers=bearer(token), timeout=10)
    assert [v["version"] for v in layer_jobs.json()["versions"]] == [1], "the transport layer itself is untouched"


def test_publish_and_roll_back_the_timetable_through_the_api(agency_server, agency_db, transport, worker, feed):
    token, viewer = transport["transport-sync"], transport["transport-read"]
    assert _loaded(agency_server, token, feed, publish="true")["report"]["version"] == 1
    second = _loaded(agency_server, token, feed)
    assert (second["report"]["version"], second["report"]["published"]) == (2, False)
    assert _versions(agency_server, viewer) == [(2, "ready"), (1, "published")]
    assert requests.post(f"{agency_server}{TRANSIT}/versions/2/publish", headers=bearer(viewer),
                         timeout=10).status_code == 403
    assert requests.post(f"{agency_server}{TRANSIT}/rollback", headers=bearer(agency_db[1].education_editor),
                         timeout=10).status_code == 403
    unknown = requests.post(f"{agency_server}{TRANSIT}/versions/9/publish", headers=bearer(token), timeout=10)
    assert unknown.status_code == 404 and "9" in unknown.json()["messages"]["vi"]
    published = requests.post(f"{agency_server}{TRANSIT}/versions/2/publish", headers=bearer(token), timeout=10)
    assert published.status_code == 200
    assert published.json() == {"network": "transit", "published_version": 2, "previous": 1}
    assert _published(agency_db[0]) == 2
    rolled = requests.post(f"{agency_server}{TRANSIT}/rollback", headers=bearer(agency_db[1].admin), timeout=10)
    assert rolled.status_code == 200 and rolled.json() == {"network": "transit", "published_version": 1}
    assert _published(agency_db[0]) == 1
    second, first = requests.get(f"{agency_server}{TRANSIT}/versions", headers=bearer(viewer),
                                 timeout=10).json()["versions"]
    assert (second["status"], second["published_by"], second["rolled_back_by"]) == \
        ("retired", "token:transport-sync", "token:city-admin")
    assert (first["status"], first["rolled_back_at"]) == ("published", None)
    nothing_before = requests.post(f"{agency_server}{TRANSIT}/rollback", headers=bearer(token), timeout=10)
    assert nothing_before.status_code == 409 and nothing_before.json()["messages"]["vi"]
    switches = [(r[0], r[1], r[4], r[5]) for r in _audit(agency_db[0]) if r[0] != "transit.upload"
                and r[0] != "transit.load"]
    assert [(a, who, result) for a, who, result, _ in switches] == [
        ("transit.publish", "token:transport-read", "refused"), ("transit.rollback", "token:education-sync", "refused"),
        ("transit.publish", "token:transport-sync", "refused"), ("transit.publish", "token:transport-sync", "ok"),
        ("transit.rollback", "token:city-admin", "ok"), ("transit.rollback", "token:transport-sync", "refused")]
    assert switches[2][3]["code"] == "NotFound" and switches[3][3] == {"version": 2, "previous": 1}


@pytest.mark.parametrize("kind", ["no_stop_times", "not_gtfs"])
def test_a_refused_feed_fails_its_job_and_leaves_the_published_timetable(agency_server, agency_db, transport, worker,
                                                                         feed, tmp_path, kind):
    token = transport["transport-sync"]
    assert _loaded(agency_server, token, feed, publish="true")["report"]["version"] == 1
    if kind == "no_stop_times":
        bad, words = _variant(feed, tmp_path / "thieu.zip", drop=("stop_times.txt",)), ("stop_times.txt", "thiếu")
    else:
        bad, words = _layer_zip(tmp_path / "tram-y-te.zip"), ("GTFS", "thời gian biểu")
    job = _loaded(agency_server, token, bad, publish="true")
    assert job["state"] == "failed" and job["attempts"] == 1 and job["report"] is None
    assert words[0] in job["error"]["messages"]["en"] and words[1] in job["error"]["messages"]["vi"]
    assert _versions(agency_server, token) == [(1, "published")]
    assert _published(agency_db[0]) == 1
    loads = [(r[0], r[4]) for r in _audit(agency_db[0], "transit.load")]
    assert loads == [("transit.load", "ok"), ("transit.load", "refused")]
    assert _audit(agency_db[0], "transit.load")[1][5]["messages"]["en"] == job["error"]["messages"]["en"]


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/agency/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#who")).to_contain_text(username)


@pytest.mark.browser
def test_the_timetable_page_uploads_publishes_and_rolls_back(page, agency_server, agency_db, transport, worker,
                                                              feed, tmp_path):
    _log_in(page, agency_server, "editor-transport")
    page.click("#timetable-link")
    expect(page).to_have_url(f"{agency_server}/agency/transit")
    expect(page.locator("h1")).to_contain_text("Thời gian biểu")
    expect(page.locator("#none-published")).to_be_visible()
    for expected in (1, 2):
        page.set_input_files("input[name=file]", str(feed))
        page.click("#upload button[type=submit]")
        expect(page).to_have_url(f"{agency_server}/agency/transit/versions/{expected}", timeout=60_000)
        expect(page.locator("#version-status")).to_have_attribute("data-status", "ready")
        expect(page.locator("#count-stops")).to_have_text(str(18 * 18))
        expect(page.locator("#rows_rejected")).to_have_text("0")
        page.click("#publish")
        expect(page.locator(".flash")).to_contain_text(f"Đã công bố phiên bản {expected}")
        page.goto(f"{agency_server}/agency/transit")
    expect(page.locator("#versions tr[data-version='2']")).to_have_attribute("data-status", "published")
    page.click("#rollback")
    expect(page.locator("#versions tr[data-version='1']")).to_have_attribute("data-status", "published")
    expect(page.locator("#versions tr[data-version='2']")).to_have_attribute("data-status", "retired")
    expect(page.locator("#versions tr[data-version='2'] .rolled-back-by")).to_contain_text("user:editor-transport")
    page.click("#versions tr[data-version='2'] .publish button")
    expect(page.locator("#versions tr[data-version='2']")).to_have_attribute("data-status", "published")
    assert _published(agency_db[0]) == 2

    page.set_input_files("input[name=file]", str(_layer_zip(tmp_path / "tram-y-te.zip")))
    page.click("#upload button[type=submit]")
    expect(page.locator("#upload-status")).to_contain_text("bộ dữ liệu GTFS", timeout=60_000)
    page.click("#upload-status a")
    expect(page.locator("#job-error")).to_contain_text("tệp zip có stops.txt")
    expect(page.locator("a[href='/agency/transit']").first).to_be_visible()
    assert _published(agency_db[0]) == 2, "the refused feed left the published timetable"

    page.goto(f"{agency_server}/agency/transit?lang=en")
    expect(page.locator("h2").first).to_have_text("Upload a new timetable (GTFS)")
    actions = [(r[0], r[1], r[4]) for r in _audit(agency_db[0])]
    who = "user:editor-transport"
    assert actions == [("transit.upload", who, "ok"), ("transit.load", who, "ok"), ("transit.publish", who, "ok"),
                       ("transit.upload", who, "ok"), ("transit.load", who, "ok"), ("transit.publish", who, "ok"),
                       ("transit.rollback", who, "ok"), ("transit.publish", who, "ok"),
                       ("transit.upload", who, "ok"), ("transit.load", who, "refused")]


@pytest.mark.browser
def test_a_viewer_sees_the_timetable_without_the_forms(page, agency_server, agency_db, transport):
    _log_in(page, agency_server, "viewer-transport")
    page.goto(f"{agency_server}/agency/layers/transport")
    page.click("#timetable-link")
    expect(page.locator("#versions")).to_be_visible()
    expect(page.locator("#upload")).to_have_count(0)
    expect(page.locator("#rollback")).to_have_count(0)


def test_web_writes_need_the_form_token_and_the_transport_agency(agency_server, agency_db, transport, feed):
    session = requests.Session()

    def form_token(path: str) -> str:
        page_text = session.get(f"{agency_server}{path}", timeout=10).text
        return page_text.split('name="csrf_token" value="')[1].split('"')[0]

    session.post(f"{agency_server}/agency/login", data={"username": "editor-health", "password": PASSWORD,
                                                        "csrf_token": form_token("/agency/login")}, timeout=10)
    csrf = form_token("/agency/")  # the login starts a new session, with a new token
    assert session.get(f"{agency_server}/agency/transit", timeout=10).status_code == 403
    without_token = session.post(f"{agency_server}/agency/transit/rollback", timeout=10)
    assert without_token.status_code == 400
    with feed.open("rb") as fh:
        refused = session.post(f"{agency_server}/agency/transit/uploads", files={"file": fh},
                               data={"csrf_token": csrf}, timeout=30)
    assert refused.status_code == 403
    assert [(r[0], r[1], r[4]) for r in _audit(agency_db[0])] == [("transit.upload", "user:editor-health",
                                                                    "refused")]
