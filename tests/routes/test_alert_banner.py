"""The map page's hazard alerts in headless Chromium at a phone's width: the banner and the areas of the alerts
in force in view, kept live (written, deleted, ended) without a reload, in Vietnamese and English.

Alerts are written through the real write API with the civil defence command's token. Without a stream
service the page's stream is refused (503) and it polls `?since=` every 15 s: most tests follow that path;
the last one runs the stream service (`live_stream`) and follows the stream.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import psycopg2
import pytest
import requests
from axe_playwright_python.sync_playwright import Axe

from etl.live.sweep import sweep
from layers import load_catalog
from mapserver import create_app
from tests.agency.conftest import app_config, bearer
from tests.live import conftest as live
from tests.live.test_writes import ITEMS, post, tag
from tests.live.writers import alert, iso
from tests.routes import test_map_page as map_page
from tests.serving import serving

browser = map_page.browser  # the map page's Chromium
live_stream = live.live_stream  # the stream service, a fixture of tests/live
HERE = map_page.HERE
FAR = (107.3, 10.9)  # inside the deployment's area, an hour's drive from the first view
LIVE_WAIT_MS = 45_000  # three polls: without a stream service the page looks every 15 s
ALERT_PATHS = ".leaflet-alerts-pane path"
CHANGES = "/api/collections/alerts/changes"


def page_app(live_db, tmp_path_factory, **settings):
    """The app on the live layers' database, the base map pointed at a dead port as on the map page's tests."""
    return create_app(app_config(live_db[0], tmp_path_factory.mktemp("uploads"), BASEMAP_URL=map_page.BASEMAP,
                                 **settings))


@pytest.fixture(scope="module")
def alert_page(live_db, tmp_path_factory):
    with serving(page_app(live_db, tmp_path_factory)) as base:
        yield base


@pytest.fixture(scope="module")
def streamed_page(live_db, tmp_path_factory, live_stream):
    """The same app, its page sent to the stream service for the stream."""
    with serving(page_app(live_db, tmp_path_factory, LIVE_STREAM_URL=live_stream)) as base:
        yield base


class AlertPageRun(map_page.PageRun):
    """The map page's run, where the browser's report of the refused stream (503: no stream service here) is
    expected, as the page polls then; any other error still counts."""

    def _console(self, msg) -> None:
        if urlsplit(msg.location.get("url", "")).path != CHANGES:
            super()._console(msg)


@pytest.fixture
def run(browser, alert_page):
    runs: list[AlertPageRun] = []

    def start(base: str = alert_page, **context_args) -> AlertPageRun:
        runs.append(AlertPageRun(browser, base, **context_args))
        return runs[-1]

    yield start
    for r in runs:
        r.close()


@pytest.fixture
def written(alert_page, writers):
    """Writes alerts as the civil defence command's system does; deletes those still there at the end."""
    ids: list[str] = []

    def write(feature: dict) -> dict:
        answer = post(alert_page, writers.alerts, feature)
        assert answer.status_code == 201, answer.text
        ids.append(feature["id"])
        return answer.json()

    yield write
    for fid in ids:
        remove(alert_page, writers.alerts, fid)


def remove(base: str, token: str, fid: str) -> None:
    url = f"{base}{ITEMS}/{fid}"
    current = requests.get(url, timeout=10)
    if current.status_code == 200:
        gone = requests.delete(url, headers={"If-Match": tag(current), **bearer(token)}, timeout=10)
        assert gone.status_code == 204, gone.text


def banner_shows(page, headline: str) -> None:
    page.locator("#alert-headline").filter(has_text=headline).wait_for(timeout=LIVE_WAIT_MS)


def banner_gone(page) -> None:
    page.wait_for_selector("#alerts", state="hidden", timeout=LIVE_WAIT_MS)


@pytest.mark.browser
def test_alerts_in_view_show_the_most_severe_first_with_their_areas(run, written, alert_page):
    written(alert("banner-severe", lon=HERE[0], lat=HERE[1]))
    written(alert("banner-extreme", lon=HERE[0] + 0.01, lat=HERE[1], severity="extreme",
                  headline="Lũ quét khẩn cấp", instruction="Sơ tán ngay lên chỗ cao."))
    written(alert("banner-far", lon=FAR[0], lat=FAR[1], severity="minor", headline="Triều cường ở Cần Giờ"))
    last_event = requests.get(alert_page + CHANGES, timeout=10).json()["last"]
    r = run()
    page = r.open("/").page
    banner_shows(page, "Lũ quét khẩn cấp")
    top = page.locator("#alert-top")
    assert "sev-extreme" in top.get_attribute("class").split()
    assert page.locator("#alert-sev").inner_text().lower() == "đặc biệt nguy hiểm"
    assert page.locator("#alert-until").inner_text().startswith("Hiệu lực đến ")
    assert page.locator("#alert-others").inner_text() == "+1 cảnh báo khác"
    assert page.locator(ALERT_PATHS).count() == 2  # the far one is neither listed nor drawn
    assert {page.locator(ALERT_PATHS).nth(i).get_attribute("stroke") for i in range(2)} == {"#7f0000", "#bf360c"}

    assert page.locator("#alert-detail").is_hidden()
    page.click("#alert-expand")
    assert page.locator("#alert-detail p").all_inner_texts() == ["Hướng dẫn: Sơ tán ngay lên chỗ cao.",
                                                                 "Nguồn: Ban Chỉ huy PCTT TP.HCM"]
    assert page.get_attribute("#alert-expand", "aria-expanded") == "true"
    page.click("#alert-others")
    other = page.locator("#alert-list .alert-item")
    assert other.count() == 1 and "sev-severe" in other.get_attribute("class").split()
    assert "Ngập sâu đường Nguyễn Hữu Cảnh" in other.inner_text()
    axe = Axe().run(page)
    assert axe.violations_count == 0, axe.generate_report()
    page.screenshot(path=str(map_page.SCREENSHOTS / "map-360-alerts.png"))

    area = f'{ALERT_PATHS}[stroke="#7f0000"]'
    before = page.locator(area).bounding_box()["width"]
    page.click("#alert-zoom")  # zooms to the alert's area: the area is drawn at least twice as large
    page.wait_for_function(f"document.querySelector('{area}').getBoundingClientRect().width > 1.9 * {before}")
    assert r.errors == []
    # The stream resumes from the last event when the page was made, before the alerts were read: any
    # change made in between reaches the page, whichever request the browser sends first.
    (stream,) = [u for u in r.requests if urlsplit(u).path == CHANGES and "lastEventId=" in u]
    assert parse_qs(urlsplit(stream).query)["lastEventId"] == [str(last_event)]


@pytest.mark.browser
def test_an_alert_written_while_the_page_is_open_appears_and_goes_when_deleted(run, written, alert_page, writers):
    r = run()
    page = r.open("/").page
    page.evaluate("window.notReloaded = true")
    assert page.locator("#alerts").is_hidden() and page.locator(ALERT_PATHS).count() == 0  # no empty banner
    written(alert("live-1", lon=HERE[0], lat=HERE[1], severity="moderate", headline="Mưa lớn, ngập cục bộ"))
    banner_shows(page, "Mưa lớn, ngập cục bộ")
    assert "sev-moderate" in page.get_attribute("#alert-top", "class").split()
    assert page.locator("#alerts-news").inner_text() == "Cảnh báo, Cần đề phòng: Mưa lớn, ngập cục bộ"
    assert page.locator(ALERT_PATHS).count() == 1
    remove(alert_page, writers.alerts, "live-1")
    banner_gone(page)
    assert page.locator(ALERT_PATHS).count() == 0
    assert page.evaluate("window.notReloaded") is True
    assert any(urlsplit(u).path == CHANGES and "since=" in u for u in r.requests)  # it polled: no stream service
    assert r.errors == []


@pytest.mark.browser
def test_an_alert_goes_when_its_end_passes_by_the_page_clock(run, written):
    """No event needed: the page's own timer ends it (the browser's clock is moved on two hours)."""
    written(alert("ends-1", lon=HERE[0], lat=HERE[1], hours=1, headline="Nắng nóng gay gắt", kind="heat"))
    r = run()
    r.page.clock.install(time=datetime.now(UTC))
    page = r.open("/").page
    banner_shows(page, "Nắng nóng gay gắt")
    page.clock.fast_forward("02:00:00")
    banner_gone(page)
    assert page.locator(ALERT_PATHS).count() == 0


@pytest.mark.browser
def test_an_expire_event_ends_an_alert_the_page_clock_still_holds_valid(run, written, alert_page, live_db, writers):
    """The browser's clock is two hours late, so its own timer cannot be what ends the alert: the expire event
    (the sweep's, once its end has passed on the server) is."""
    written(alert("expires-1", lon=HERE[0], lat=HERE[1], starts=-3, headline="Sạt lở bờ sông Sài Gòn",
                  kind="landslide"))
    r = run()
    r.page.clock.install(time=datetime.now(UTC) - timedelta(hours=2))
    page = r.open("/").page
    banner_shows(page, "Sạt lở bờ sông Sài Gòn")
    ends = datetime.now(UTC) + timedelta(seconds=1)
    url = f"{alert_page}{ITEMS}/expires-1"
    patched = requests.patch(url, data=json.dumps({"properties": {"valid_to": iso(ends)}}), timeout=10, headers={
        "Content-Type": "application/merge-patch+json", "If-Match": tag(requests.get(url, timeout=10)),
        **bearer(writers.alerts)})
    assert patched.status_code == 200, patched.text
    conn = psycopg2.connect(live_db[0])
    try:  # the stream service sweeps every second; here, the test does, until the end has passed
        assert any(sweep(conn, load_catalog()) or page.wait_for_timeout(200) for _ in range(150))
    finally:
        conn.close()
    banner_gone(page)
    assert page.locator(ALERT_PATHS).count() == 0


@pytest.mark.browser
def test_english_shows_the_english_headline_and_words(run, written):
    written(alert("en-1", lon=HERE[0], lat=HERE[1], severity="extreme"))
    written(alert("en-2", lon=HERE[0] + 0.01, lat=HERE[1], severity="minor", headline="Gió giật mạnh ven sông",
                  headline_en=None))
    r = run(locale="en-US", extra_http_headers={"Accept-Language": "en-US,en;q=0.9"})
    page = r.open("/").page
    banner_shows(page, "Deep flooding on Nguyen Huu Canh street")
    assert page.locator("#alert-sev").inner_text().lower() == "extreme"
    assert page.locator("#alert-until").inner_text().startswith("Valid until ")
    assert page.locator("#alert-others").inner_text() == "+1 more alert"
    page.click("#alert-expand")
    assert page.locator("#alert-detail p").first.inner_text() == "What to do: Không đi qua khu vực ngập."
    page.click("#alert-others")
    fallback = page.locator("#alert-list .headline")
    assert fallback.inner_text() == "Gió giật mạnh ven sông" and fallback.get_attribute("lang") == "vi"
    assert Axe().run(page).violations_count == 0
    assert r.errors == []


def zoom_out(page, times: int) -> None:
    for _ in range(times):
        page.click(".leaflet-control-zoom-out")
        page.wait_for_load_state("networkidle")


@pytest.mark.browser
def test_once_located_the_banner_keeps_to_the_alerts_near_the_citizen(run, written):
    written(alert("near-1", lon=HERE[0], lat=HERE[1], headline="Ngập ngay gần bạn"))
    written(alert("away-1", lon=HERE[0] + 0.2, lat=HERE[1], severity="minor", headline="Ngập cách 20 km"))
    r = run(geolocation={"longitude": HERE[0], "latitude": HERE[1]}, permissions=["geolocation"])
    page = r.open("/").page
    banner_shows(page, "Ngập ngay gần bạn")
    assert page.locator("#alert-others").is_hidden()
    page.on("response", lambda resp: print("RESP", resp.url, resp.status, resp.text()[:300] if "items" in resp.url else ""))
    zoom_out(page, 3)  # a wider view takes in the far alert
    page.wait_for_timeout(1000)
    print("BOUNDS", page.evaluate("document.getElementById('alerts').outerHTML"))
    page.locator("#alert-others").filter(has_text="+1 cảnh báo khác").wait_for()

    page.click(".leaflet-control-locate a")  # the page now asks for the alerts around the citizen alone
    page.wait_for_selector("#alert-others", state="hidden")
    asked = [u for u in r.requests if urlsplit(u).path == ITEMS][-1]
    west, south, east, north = map(float, parse_qs(urlsplit(asked).query)["bbox"][0].split(","))
    assert west < HERE[0] < east and south < HERE[1] < north and 0.08 < north - south < 0.1  # 5 km either way
    assert page.locator("#alert-headline").inner_text() == "Ngập ngay gần bạn"
    assert r.errors == []


@pytest.mark.browser
def test_with_the_stream_service_alerts_come_and_end_by_the_stream(run, written, streamed_page, live_stream):
    """The page clock is two hours late, so the alert ends by the stream's expire event (the service sweeps)."""
    r = run(streamed_page)
    r.page.clock.install(time=datetime.now(UTC) - timedelta(hours=2))
    page = r.open("/").page
    soon = datetime.now(UTC) + timedelta(seconds=3)
    written(alert("streamed-1", lon=HERE[0], lat=HERE[1], starts=-3, headline="Triều cường vượt báo động 3",
                  valid_to=iso(soon)))
    banner_shows(page, "Triều cường vượt báo động 3")
    banner_gone(page)
    streams = [u for u in r.requests if urlsplit(u).path == CHANGES]
    assert streams and all(u.startswith(live_stream) for u in streams)  # no poll: the stream carried both
    assert r.errors == []
