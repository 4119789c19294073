"""GET /coverage: the wards as circles coloured by distance, worst-served listed first, in headless Chromium."""

from __future__ import annotations

import pytest
import requests

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, locale: str = "vi-VN"):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    foreign: list[str] = []
    page.on("request", lambda req: foreign.append(req.url) if not req.url.startswith(url.split("/coverage")[0])
            else None)
    page.goto(url)
    page.wait_for_function("document.querySelectorAll('#wards circle').length > 0 "
                           "&& document.querySelectorAll('#worst li').length > 0")
    return context, page, errors, foreign


def test_the_page_is_light_html_in_vietnamese_by_default(server):
    r = requests.get(f"{server}/coverage", timeout=10, headers={"Accept-Language": "vi"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert '<html lang="vi">' in r.text and "Phường, xã xa dịch vụ" in r.text
    js = requests.get(f"{server}/static/coverage/coverage.js", timeout=10)
    css = requests.get(f"{server}/static/coverage/coverage.css", timeout=10)
    assert js.status_code == css.status_code == 200
    assert len(r.content) + len(js.content) + len(css.content) < 30_000
    assert requests.get(f"{server}/static/coverage/../../setup.cfg", timeout=10).status_code == 404


@pytest.mark.browser
def test_circles_legend_and_the_worst_served_wards_first(browser, server):
    context, page, errors, foreign = _open(browser, f"{server}/coverage")
    try:
        assert page.title() == "Phường, xã xa dịch vụ"                    # Vietnamese first
        assert page.locator("#wards circle").count() == 168
        assert page.locator("#legend li").count() == 6
        api = requests.get(f"{server}/api/coverage", params={"layer": "health", "kind": "vaccination",
                                                            "province": "79", "radius": 2000}, timeout=30).json()
        worst = api["features"][0]["properties"]
        first = page.locator("#worst li").first.inner_text()
        assert first.startswith(worst["ward"] + " — ")
        assert page.locator("#worst li").count() == 20
        fills = set(page.eval_on_selector_all("#wards circle", "cs => cs.map(c => c.getAttribute('fill'))"))
        assert len(fills) >= 3                                   # distances vary across the city
        assert "kind=vaccination" in page.get_attribute("#csv", "href")
        page.select_option("#kind", "pharmacy")
        page.wait_for_function("document.getElementById('csv').href.includes('kind=pharmacy') "
                               "&& document.getElementById('status').textContent === ''")
        pharmacies = requests.get(f"{server}/api/coverage", params={"layer": "health", "kind": "pharmacy",
                                                                   "province": "79"}, timeout=30).json()
        page.wait_for_function("w => document.querySelector('#worst li').textContent.startsWith(w)",
                               arg=pharmacies["features"][0]["properties"]["ward"] + " — ")
        assert errors == [] and foreign == []
    finally:
        context.close()


@pytest.mark.browser
def test_english_is_available(browser, server):
    context, page, errors, _ = _open(browser, f"{server}/coverage?lang=en", locale="en-GB")
    try:
        assert page.title() == "Wards far from services"
        assert page.locator("#worst-title").inner_text() == "Worst-served wards"
        assert "km²" in page.locator("#worst li").first.inner_text() and errors == []
    finally:
        context.close()
