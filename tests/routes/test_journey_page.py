"""The map page's directions by public transport and its reach-soonest order, in headless Chromium at a
phone's width, against the real /api/journeys over the demo timetable.

The browser's clock starts at tomorrow 07:30 in the timetable's zone (the demo buses run then), and each
test fetches the very URL the page asked, depart included, to compare the page with the API's answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe

from tests.routes import test_map_page as map_page

HERE = map_page.HERE
browser, page_server, run = map_page.browser, map_page.page_server, map_page.run  # the map page's fixtures

LOCAL = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh: the demo timetable's zone, no summer time
MORNING = datetime.combine(datetime.now(LOCAL).date() + timedelta(days=1), time(7, 30), LOCAL)
RIDES = {"BUS", "METRO", "TRAM", "RAIL", "FERRY"}
JOURNEYS = "**/api/journeys?*"
OVERLAY_PATHS = ".leaflet-overlay-pane path"
FAR = (105.8542, 21.0285)  # Hanoi: far from every stop of the demo network


def _open(run, lang: str = "vi", **context_args):
    """The page at MORNING, the citizen at HERE."""
    r = run(geolocation={"longitude": HERE[0], "latitude": HERE[1]}, permissions=["geolocation"], **context_args)
    r.page.clock.install(time=MORNING)
    return r.open(f"/?lang={lang}")


def _near_me(page) -> list[str]:
    page.click("#near-me")
    items = page.locator("#near-results li")
    items.first.wait_for()
    return [items.nth(i).get_attribute("data-id") for i in range(items.count())]


def _answer(url: str) -> dict:
    """What the API answers to the URL the page asked."""
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _hhmm(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M")  # in the string's own offset, as the page shows it


def _page_now(page) -> datetime:
    return datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, UTC)


def _rides(itinerary: dict) -> list[dict]:
    return [leg for leg in itinerary["legs"] if leg["mode"] in RIDES]


def _assert_steps_match(page, itinerary: dict, arrive: str) -> None:
    """#journey reads the itinerary: every ride's route, stops and time, then the arrival."""
    steps = page.locator("#journey li")
    walks = sum(leg["mode"] == "WALK" for leg in itinerary["legs"])
    assert steps.count() == walks + 2 * len(_rides(itinerary)) + 1
    text = page.locator("#journey").inner_text()
    for leg in _rides(itinerary):
        assert f" {leg['route']} " in text and leg["from"]["name"] in text and leg["to"]["name"] in text
        assert _hhmm(leg["from"]["time"]) in text
    assert steps.last.inner_text() == f"{arrive} {_hhmm(itinerary['arrival'])}"


def _directions_from_the_list(page, index: int) -> str:
    """Clicks the index-th entry's Directions; the URL of the journeys request it made."""
    with page.expect_request(JOURNEYS) as asked:
        page.locator("#near-results li").nth(index).locator("button.directions").click()
    page.locator("#journey li").first.wait_for()
    return asked.value.url


def _first_riding(page_server: str, nearest: list[dict]) -> int:
    """The first of the nearest places that the earliest itinerary reaches by riding (the near ones are walked)."""
    depart = MORNING.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for i, feature in enumerate(nearest):
        lon, lat = feature["geometry"]["coordinates"]
        answer = _answer(f"{page_server}/api/journeys?from={HERE[0]:.6f},{HERE[1]:.6f}&to={lon:.6f},{lat:.6f}"
                         f"&depart={depart}&lang=vi")
        if answer["itineraries"] and _rides(answer["itineraries"][0]):
            return i
    pytest.fail("none of the nearest places is reached by a ride first: choose another HERE")


def _nearest(page_server: str) -> list[dict]:
    return requests.get(f"{page_server}/api/nearest", timeout=10, params={
        "layer": "health", "lon": HERE[0], "lat": HERE[1], "limit": 5, "kind": "vaccination"}).json()["features"]


@pytest.mark.browser
def test_each_nearest_place_has_directions_that_show_the_apis_itinerary(run, page_server):
    nearest = _nearest(page_server)
    riding = _first_riding(page_server, nearest)
    r = _open(run)
    page = r.page
    assert _near_me(page) == [f["id"] for f in nearest]
    buttons = page.locator("#near-results li button.directions")
    assert buttons.count() == len(nearest)
    for i, feature in enumerate(nearest):
        button = buttons.nth(i)
        assert button.inner_text() == "Chỉ đường"
        assert button.get_attribute("aria-label") == f"Chỉ đường đến {feature['properties']['name']}"
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44 and box["x"] + box["width"] <= 360
    drawn_before = page.locator(OVERLAY_PATHS).count()

    url = _directions_from_the_list(page, riding)
    asked = parse_qs(urlsplit(url).query)
    lon, lat = nearest[riding]["geometry"]["coordinates"]
    assert asked["from"] == [f"{HERE[0]:.6f},{HERE[1]:.6f}"] and asked["to"] == [f"{lon:.6f},{lat:.6f}"]
    depart = datetime.fromisoformat(asked["depart"][0])  # the page's clock, to the minute
    assert MORNING <= depart <= _page_now(page) and depart.second == 0 and asked["lang"] == ["vi"]
    itinerary = _answer(url)["itineraries"][0]
    assert _rides(itinerary)
    _assert_steps_match(page, itinerary, "Đến nơi")
    assert page.locator("#journey li").first.inner_text().startswith("Đi bộ ")
    assert page.locator("#journey-title").inner_text() == f"Chỉ đường đến {nearest[riding]['properties']['name']}"
    assert page.evaluate("document.activeElement.id") == "journey-title"
    assert page.locator(OVERLAY_PATHS).count() > drawn_before
    assert page.locator("#results").is_hidden()
    page.wait_for_function("!document.querySelector('.leaflet-zoom-anim')")  # the fit to the journey is over
    page.screenshot(path=str(map_page.SCREENSHOTS / "map-360-journey.png"))

    page.click("#journey-close")
    assert page.locator("#journey-panel").is_hidden()
    assert page.locator(OVERLAY_PATHS).count() == drawn_before
    assert page.locator("#results").is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        f"Chỉ đường đến {nearest[riding]['properties']['name']}"
    assert r.errors == []


@pytest.mark.browser
def test_other_itineraries_can_be_picked(run, page_server):
    riding = _first_riding(page_server, _nearest(page_server))
    page = _open(run).page
    _near_me(page)
    itineraries = _answer(_directions_from_the_list(page, riding))["itineraries"]
    assert len(itineraries) > 1, "the demo gives one itinerary here: choose a place with alternatives"
    choices = page.locator("#journey-options button")
    assert choices.count() == len(itineraries)
    assert choices.first.get_attribute("aria-pressed") == "true"
    choices.nth(1).click()
    assert choices.nth(1).get_attribute("aria-pressed") == "true"
    assert choices.first.get_attribute("aria-pressed") == "false"
    _assert_steps_match(page, itineraries[1], "Đến nơi")


@pytest.mark.browser
def test_reach_soonest_orders_by_arrival_and_directions_need_no_other_request(run, page_server):
    r = _open(run)
    page = r.page
    page.check("#near-soonest")
    with page.expect_request(JOURNEYS) as asked:
        ids = _near_me(page)
    url = asked.value.url
    assert parse_qs(urlsplit(url).query)["to_layer"] == ["health"]
    answer = _answer(url)
    assert ids == [f["id"] for f in answer["features"]] and ids
    arrivals = [f["properties"]["arrival"] for f in answer["features"]]
    assert arrivals == sorted(arrivals, key=datetime.fromisoformat)
    assert page.locator("#results-title").inner_text() == "Đến sớm nhất bằng xe buýt, metro"
    for i, arrival in enumerate(arrivals):
        assert page.locator("#near-results li .dist").nth(i).inner_text().startswith(f"đến lúc {_hhmm(arrival)}")

    journeys_asked = [u for u in r.requests if "/api/journeys" in u]
    page.locator("#near-results li").first.locator("button.directions").click()
    page.locator("#journey li").first.wait_for()
    _assert_steps_match(page, answer["features"][0]["itinerary"], "Đến nơi")
    assert [u for u in r.requests if "/api/journeys" in u] == journeys_asked
    page.keyboard.press("Escape")
    assert page.locator("#journey-panel").is_hidden() and page.locator(OVERLAY_PATHS).count() == 0

    page.uncheck("#near-soonest")
    page.locator("#results-title").filter(has_text="Gần bạn nhất").wait_for()
    assert [page.locator("#near-results li").nth(i).get_attribute("data-id") for i in range(len(ids))] == \
        [f["id"] for f in _nearest(page_server)]
    assert r.errors == []


@pytest.mark.browser
def test_english_by_the_language_switch(run, page_server):
    riding = _first_riding(page_server, _nearest(page_server))
    r = _open(run)
    page = r.page
    page.click("header .lang")
    page.wait_for_load_state("networkidle")
    assert page.locator("label.soonest").inner_text().startswith("Reach soonest")
    _near_me(page)
    assert page.locator("#near-results li button.directions").first.inner_text() == "Directions"
    url = _directions_from_the_list(page, riding)
    assert parse_qs(urlsplit(url).query)["lang"] == ["en"]
    itinerary = _answer(url)["itineraries"][0]
    _assert_steps_match(page, itinerary, "Arrive")
    assert page.locator("#journey li").first.inner_text().startswith("Walk ")
    first_ride = _rides(itinerary)[0]
    assert page.locator("#journey li.ride").first.locator(".what").inner_text().startswith(
        f"{'Metro' if first_ride['mode'] == 'METRO' else 'Bus'} {first_ride['route']} ")
    assert page.locator("#journey-title").inner_text().startswith("Directions to ")
    page.click("#journey-close")
    page.check("#near-soonest")
    page.locator("#near-results li .dist").first.filter(has_text="arrive ").wait_for()
    assert r.errors == []


@pytest.mark.browser
def test_a_popups_directions_ask_for_the_position_then_plan_in_the_page(run, page_server):
    r = run(permissions=[])
    r.page.clock.install(time=MORNING)
    page = r.open("/").page
    page.wait_for_function("document.querySelectorAll('.leaflet-layer-health-pane path').length > 0")
    page.locator(".leaflet-layer-health-pane path").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    name = popup.locator("h3").inner_text()
    assert popup.locator("a").filter(has_text="Chỉ đường").count() == 0  # no routing site: directions are here
    popup.locator("button.directions").dispatch_event("click")
    page.locator("#message").filter(has_text="chạm vào bản đồ").wait_for()
    page.locator(".leaflet-popup").wait_for(state="detached")  # it fades out: a tap meanwhile lands on it
    with page.expect_request(JOURNEYS) as asked:
        page.locator("#map").click(position={"x": 180, "y": 200})
    page.locator("#journey-title").filter(has_text=name).wait_for()
    answer = _answer(asked.value.url)
    status = page.locator("#journey-status")
    if answer["itineraries"]:
        page.locator("#journey li.arrive").wait_for()
        assert status.inner_text().startswith(f"Đến nơi {_hhmm(answer['itineraries'][0]['arrival'])}")
    else:
        status.filter(has_text=answer["reason"]["vi"]).wait_for()
    assert r.errors == []


@pytest.mark.browser
def test_the_apis_refusal_is_shown_in_the_pages_language(run):
    """A citizen far from the city (Hanoi): the API refuses a journey from there, and the page says why."""
    r = run(geolocation={"longitude": FAR[0], "latitude": FAR[1]}, permissions=["geolocation"],
            locale="en-US", extra_http_headers={"Accept-Language": "en-US,en;q=0.9"})
    r.page.clock.install(time=MORNING)
    page = r.open("/").page
    _near_me(page)
    with page.expect_response(JOURNEYS) as answered:
        page.locator("#near-results li button.directions").first.click()
    assert answered.value.status == 400
    page.locator("#journey-status").filter(has_text=answered.value.json()["messages"]["en"]).wait_for()
    assert page.locator("#journey li").count() == 0
    page.click("#journey-close")

    page.check("#near-soonest")
    with page.expect_response(JOURNEYS) as answered:
        page.click("#near-me")
    assert answered.value.status == 400
    page.locator("#message").filter(has_text=answered.value.json()["messages"]["en"]).wait_for()


@pytest.mark.browser
def test_accessible_with_a_journey_shown(run, page_server):
    riding = _first_riding(page_server, _nearest(page_server))
    page = _open(run).page
    _near_me(page)
    _directions_from_the_list(page, riding)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()
    page.keyboard.press("Escape")
    assert page.locator("#journey-panel").is_hidden()
