"""The map page's hazard alerts in headless Chromium at a phone's width: the banner and the areas of the alerts
in force in view, kept live (written, deleted, ended) without a reload, in Vietnamese and English.

Alerts are written through the real write API with the civil defence command's token. Without a stream
service the page's stream is refused (503) and it polls `?since=` every 15 s: most tests follow that path;
the last two run the stream service (`live_stream`) and follow the stream, the last one after it was down.
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


@pytest.fixture
def run(browser, alert_page):
    runs: list[map_page.PageRun] = []

    def start(base: str = alert_page, **context_args) -> map_page.PageRun:
        runs.append(map_page.PageRun(browser, base, **context_args))
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


def zoom_out(page, times: int, area: str) -> None:
    """Leaflet drops a zoom asked for while the last one is still animating (and the page's network went idle
    long before), so each click waits for its zoom to be over: no animation, `area` drawn smaller."""
    width = f"document.querySelector('{area}').getBoundingClientRect().width"  # the path, even when redrawn
    for _ in range(times):
        before = page.evaluate(width)
        page.click(".leaflet-control-zoom-out")
        page.wait_for_function(f"!document.querySelector('.leaflet-zoom-anim') && {width} < 0.75 * {before}")


def asked_area(r: map_page.PageRun) -> tuple[float, float, float, float]:
    """The bbox (west, south, east, north) of the page's last request for alerts."""
    asked = [u for u in r.requests if urlsplit(u).path == ITEMS][-1]
    west, south, east, north = map(float, parse_qs(urlsplit(asked).query)["bbox"][0].split(","))
    return west, south, east, north


def around(bbox: tuple[float, float, float, float], lon: float, lat: float) -> bool:
    """Whether bbox is the 5 km either way of (lon, lat) the page asks for once it knows where the citizen is."""
    west, south, east, north = bbox
    return west < lon < east and south < lat < north and 0.08 < north - south < 0.1


@pytest.mark.browser
def test_once_located_the_banner_keeps_to_the_alerts_near_the_citizen(run, written):
    """Placed by "Gần tôi nhất" first, then moved by the locate control: the banner follows both."""
    away = (HERE[0] + 0.2, HERE[1])
    written(alert("near-1", lon=HERE[0], lat=HERE[1], headline="Ngập ngay gần bạn"))
    written(alert("away-1", lon=away[0], lat=away[1], severity="minor", headline="Ngập cách 20 km"))
    r = run(geolocation={"longitude": HERE[0], "latitude": HERE[1]}, permissions=["geolocation"])
    page = r.open("/").page
    banner_shows(page, "Ngập ngay gần bạn")
    assert page.locator("#alert-others").is_hidden()
    zoom_out(page, 3, f'{ALERT_PATHS}[stroke="#bf360c"]')  # a wider view takes in the far alert
    page.locator("#alert-others").filter(has_text="+1 cảnh báo khác").wait_for()

    page.click("#near-me")  # placed near the citizen: the page asks for the alerts around them alone
    page.wait_for_selector("#alert-others", state="hidden")
    assert around(asked_area(r), *HERE)
    assert page.locator("#alert-headline").inner_text() == "Ngập ngay gần bạn"

    r.context.set_geolocation({"longitude": away[0], "latitude": away[1]})
    page.click(".leaflet-control-locate a")  # the citizen has moved 20 km: the banner goes with them
    banner_shows(page, "Ngập cách 20 km")
    assert page.locator("#alert-others").is_hidden()
    assert around(asked_area(r), *away)
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


@pytest.mark.browser
def test_after_polling_the_page_takes_the_stream_again_once_it_is_back(run, written, streamed_page, live_stream,
                                                                      alert_page, writers):
    """The stream service refuses the page's first stream (503, as when it is down), then is back: the page polls,
    tries the stream again minutes later and follows it. The page clock stands still but for the test's jumps,
    so no poll of the page's own comes between."""
    refused: list[str] = []

    def first_refused(route) -> None:
        if refused:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.fulfill(status=503, content_type="application/json", body="{}")

    r = run(streamed_page)
    now = datetime.now(UTC)  # installed a minute early, so the pause is always a step forward
    r.page.clock.install(time=now - timedelta(minutes=1))
    r.page.clock.pause_at(now)
    r.page.route(f"{live_stream}{CHANGES}?lastEventId=*", first_refused)
    page = r.open("/").page
    assert refused and any("since=" in u for u in r.requests)  # refused, so it polls
    with page.expect_request(lambda req: req.url.startswith(f"{live_stream}{CHANGES}?lastEventId=")):
        page.clock.fast_forward("05:00")  # a few minutes on: the stream again
    written(alert("back-1", lon=HERE[0], lat=HERE[1], headline="Triều cường, dịch vụ luồng đã trở lại"))
    banner_shows(page, "Triều cường, dịch vụ luồng đã trở lại")  # the clock stands: by the stream alone
    followed = len(r.requests)  # the stream is open now
    page.clock.fast_forward("00:30")  # a poll loop still running would ask now
    remove(alert_page, writers.alerts, "back-1")
    banner_gone(page)
    assert not [u for u in r.requests[followed:] if urlsplit(u).path == CHANGES and "since=" in u]
    assert r.errors == []
