"""CAP 1.2 alerts over HTTP: Alert adds, a resent Alert is the same feature, Update replaces, Cancel ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyproj
import requests

from tests.agency.conftest import bearer
from tests.live.writers import cap_message, cap_reference

CAP = "/api/collections/alerts/cap"


def send(base: str, token: str, body: bytes) -> requests.Response:
    return requests.post(base + CAP, data=body, headers={"Content-Type": "application/cap+xml", **bearer(token)},
                         timeout=10)


def now_ids(base: str) -> set[str]:
    page = requests.get(base + "/api/collections/alerts/items", params={"limit": 1000}, timeout=10).json()
    return {f["id"] for f in page["features"]}


def test_alert_update_cancel(live_server, writers):
    sent = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    first = send(live_server, writers.alerts, cap_message("LU-2026-001", sent=sent))
    assert first.status_code == 201, first.text
    feature = first.json()
    ring = feature["geometry"]["coordinates"][0]
    distances = [pyproj.Geod(ellps="WGS84").inv(106.700, 10.776, lon, lat)[2] for lon, lat in ring]
    assert all(abs(d - 2000) < 20 for d in distances)  # lon/lat order, radius in km
    assert feature["properties"]["headline_en"] == "Flood warning" and feature["properties"]["kind"] == "flood"
    assert feature["id"] in now_ids(live_server)

    again = send(live_server, writers.alerts, cap_message("LU-2026-001", sent=sent))
    assert again.status_code == 200 and again.json()["id"] == feature["id"]

    update = send(live_server, writers.alerts, cap_message(
        "LU-2026-002", msg_type="Update", references=cap_reference("LU-2026-001", sent), headline="Lũ lên nhanh",
        sent=sent))
    assert update.status_code == 200, update.text
    assert update.json()["id"] == feature["id"] and update.json()["properties"]["headline"] == "Lũ lên nhanh"

    cancel = send(live_server, writers.alerts, cap_message(
        "LU-2026-003", msg_type="Cancel", references=cap_reference("LU-2026-002", sent)))
    assert cancel.status_code == 200, cancel.text
    assert feature["id"] not in now_ids(live_server)


def test_an_update_of_nothing_known_is_a_404(live_server, writers):
    answer = send(live_server, writers.alerts, cap_message(
        "X-9", msg_type="Update", references=cap_reference("NEVER-SENT", datetime.now(UTC))))
    assert answer.status_code == 404 and answer.json()["messages"]["vi"]


def test_hostile_or_wrong_xml_is_refused(live_server, writers):
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>"""
    assert send(live_server, writers.alerts, bomb).status_code == 400
    assert send(live_server, writers.alerts, b"<not-cap/>").status_code == 400
    assert send(live_server, writers.health, cap_message("H-1")).status_code == 403
    outages = requests.post(live_server + "/api/collections/outages/cap", data=cap_message("O-1"), timeout=10,
                            headers={"Content-Type": "application/cap+xml", **bearer(writers.admin)})
    assert outages.status_code == 404
