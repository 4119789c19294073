"""GET /: the citizens' map page in headless Chromium, at a phone's width, with the real server behind it."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests
from werkzeug.serving import make_server

import mapserver
from mapserver.web.catalog import published

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
BASEMAP = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # loopback port 9 (discard): nothing answers
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HERE = (106.7009, 10.7769)  # central Ho Chi Minh City, lon/lat
FIRST_VIEW_LIMIT = 600_000
ALERTS_CHANGES = "/api/collections/alerts/changes"


@pytest.fixture(scope="module")
def page_server(db_url):
    """The app with the base map pointed at a dead loopback port: the page must work without it."""
    app = mapserver.create_app({"DATABASE_URL": db_url, "TESTING": True, "BASEMAP_URL": BASEMAP})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageRun:
    """A page at 360 x 740 that records JS errors, every request, and the bytes our server sent."""

    def __init__(self, browser, base: str, **context_args):
        self.base = base
        context_args.setdefault("locale", "vi-VN")
        self.context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1,
                                           is_mobile=True, has_touch=True, **context_args)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.bytes_from_us = 0
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", self._console)
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("requestfinished", self._finished)

    def _console(self, msg) -> None:
        # A dead base map is expected, and so is the alerts' stream refused (503) where no stream service runs
        # (the page polls then): their failed loads are the only console errors allowed.
        url = urlsplit(msg.location.get("url", ""))
        if msg.type == "error" and url.port != 9 and url.path != ALERTS_CHANGES:
            self.errors.append(msg.text)

    def _finished(self, req) -> None:
        if req.url.startswith(self.base):  # bytes on the wire: headers and (compressed) body
            sizes = req.sizes()
            self.bytes_from_us += sizes["responseHeadersSize"] + sizes["responseBodySize"]

    def open(self, path: str = "/") -> PageRun:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return self

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def run(browser, page_server):
    runs: list[PageRun] = []

    def start(**context_args) -> PageRun:
        runs.append(PageRun(browser, page_server, **context_args))
        return runs[-1]

    yield start
    for r in runs:
        r.close()


def _svg_paths(page, slug: str) -> int:
    return page.locator(f".leaflet-layer-{slug}-pane path").count()


@pytest.mark.browser
def test_the_page_loads_light_with_no_error_and_no_foreign_request(run, page_server):
    r = run().open("/")
    page = r.page
    page.wait_for_function("document.querySelectorAll('.leaflet-layer-health-pane path').length > 0")
    page.wait_for_load_state("networkidle")
    assert page.title() == "Bản đồ dịch vụ công"
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("#near-me").inner_text() == "Gần tôi nhất"
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Phóng to"
    assert r.errors == []
    foreign = {urlsplit(u).netloc for u in r.requests if not u.startswith(("data:", page_server))}
    assert foreign <= {"127.0.0.1:9"}, foreign
    assert any("/api/tiles/health/v" in u for u in r.requests)
    print(f"first view: {r.bytes_from_us} bytes from our server")
    assert 0 < r.bytes_from_us < FIRST_VIEW_LIMIT, r.bytes_from_us
    page.screenshot(path=str(SCREENSHOTS / "map-360.png"))
    assert (SCREENSHOTS / "map-360.png").stat().st_size > 10_000


@pytest.mark.browser
def test_english_by_accept_language_and_by_the_switch(run):
    r = run(locale="en-US", extra_http_headers={"Accept-Language": "en-US,en;q=0.9"}).open("/")
    assert r.page.locator("#near-me").inner_text() == "Nearest to me"
    assert r.page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    assert r.page.locator("html").get_attribute("lang") == "en"
    r.page.click("header .lang")
    r.page.wait_for_load_state("networkidle")
    assert r.page.locator("#near-me").inner_text() == "Gần tôi nhất"
    assert r.errors == []


@pytest.mark.browser
def test_controls_are_labelled_and_big_enough_for_a_thumb(run):
    page = run().open("/").page
    for selector in ("#near-me", "#search-q", "#layers-toggle", "#near-kind", "#search button"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
    assert page.locator("#near-me").get_attribute("aria-label")
    assert page.locator("label[for=search-q]").inner_text()
    assert page.locator("#map").get_attribute("aria-label")


@pytest.mark.browser
def test_layers_toggle_off_and_on(run):
    page = run().open("/").page
    page.wait_for_function("document.querySelectorAll('.leaflet-layer-education-pane path').length > 0")
    page.click("#layers-toggle")
    assert page.locator("#layers-panel").is_visible()
    assert page.locator("#layers-panel .legend li").filter(has_text="Điểm tiêm chủng").count() == 1
    page.uncheck("#layer-education")
    assert _svg_paths(page, "education") == 0
    assert _svg_paths(page, "health") > 0
    page.check("#layer-education")
    page.wait_for_function("document.querySelectorAll('.leaflet-layer-education-pane path').length > 0")
    assert not page.is_checked("#layer-bus_stops") and _svg_paths(page, "bus_stops") == 0  # dense: off at first
    page.check("#layer-bus_stops")
    page.wait_for_function("document.querySelectorAll('.leaflet-layer-bus_stops-pane path').length > 0")


@pytest.mark.browser
def test_search_finds_a_known_feature(run, db_url):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT id, name FROM layer_data.{published(cur, 'health').table_name} "
                    "WHERE kind = 'hospital' ORDER BY gid LIMIT 1")
        feature_id, name = cur.fetchone()
    page = run().open("/").page
    page.fill("#search-q", name)
    page.press("#search-q", "Enter")
    item = page.locator(f'#search-results li[data-id="{feature_id}"]')
    item.wait_for()
    assert name in item.inner_text()
    item.locator("button").click()
    page.locator(".leaflet-popup-content h3").filter(has_text=name).wait_for()


@pytest.mark.browser
def test_near_me_lists_the_same_first_feature_as_the_nearest_api(run, page_server):
    expected = requests.get(f"{page_server}/api/nearest", timeout=10, params={
        "layer": "health", "lon": HERE[0], "lat": HERE[1], "limit": 5, "kind": "vaccination"}).json()["features"]
    r = run(geolocation={"longitude": HERE[0], "latitude": HERE[1]}, permissions=["geolocation"]).open("/")
    page = r.page
    page.click("#near-me")
    items = page.locator("#near-results li")
    items.first.wait_for()
    assert items.count() == len(expected)
    assert items.first.get_attribute("data-id") == expected[0]["id"]
    assert "m" in items.first.locator(".dist").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "map-360-nearest.png"))
    items.first.locator("button.place").click()
    page.locator(".leaflet-popup-content h3").filter(has_text=expected[0]["properties"]["name"]).wait_for()
    assert r.errors == []


@pytest.mark.browser
def test_without_location_permission_a_tap_on_the_map_picks_the_point(run):
    r = run(permissions=[])
    page = r.open("/").page
    page.click("#near-me")
    message = page.locator("#message")
    message.filter(has_text="chạm vào bản đồ").wait_for()
    page.locator("#map").click(position={"x": 180, "y": 120})
    page.locator("#near-results li").first.wait_for()
    assert page.locator("#near-results li").first.get_attribute("data-id")


def test_static_files_are_ours_and_vendored_ones_cached_long(server):
    page = requests.get(f"{server}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    vendored = requests.get(f"{server}/static/vendor/leaflet/leaflet.js", timeout=10)
    assert vendored.status_code == 200 and "max-age=31536000" in vendored.headers["Cache-Control"]
    assert 'lang="vi"' in page.text  # no Accept-Language: Vietnamese
    outside = requests.get(f"{server}/static/%2e%2e/setup.cfg", timeout=10)
    assert outside.status_code == 404 and outside.json()["code"] == "NotFound"


@pytest.mark.browser
def test_a_tap_on_a_point_opens_its_popup_with_directions(run):
    r = run()
    page = r.open("/").page
    page.wait_for_function("document.querySelectorAll('.leaflet-layer-health-pane path').length > 0")
    point = page.locator(".leaflet-layer-health-pane path").first
    point.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("h3").inner_text()
    assert popup.locator("button.directions").inner_text() == "Chỉ đường"
    assert r.errors == []
