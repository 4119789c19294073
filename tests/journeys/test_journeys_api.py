"""/api/journeys and /api/reachable over HTTP on the demo city's timetable."""

from __future__ import annotations

from datetime import datetime

import opening_hours
import psycopg2
import pytest
import requests

from etl import publish
from mapserver import create_app
from tests import pg
from tests.journeys.conftest import load
from tests.serving import serving

DEPART = "2026-12-03T07:30:00+07:00"
BEN_THANH = (106.6980, 10.7721)
THU_DUC = (106.7700, 10.8500)


def _xy(place) -> str:
    return f"{place[0]},{place[1]}"


def _get(base, path, **params):
    return requests.get(f"{base}/api/{path}", params=params, timeout=60)


def _chained(itinerary: dict) -> None:
    """Legs follow each other in time and place; the itinerary's ends are its first and last leg's."""
    legs = itinerary["legs"]
    assert legs[0]["from"]["time"] == itinerary["departure"] and legs[-1]["to"]["time"] == itinerary["arrival"]
    for before, after in zip(legs, legs[1:], strict=False):
        assert datetime.fromisoformat(before["to"]["time"]) <= datetime.fromisoformat(after["from"]["time"])
        assert (before["to"]["lon"], before["to"]["lat"]) == (after["from"]["lon"], after["from"]["lat"])
    for leg in legs:
        assert leg["geometry"]["type"] == "LineString" and len(leg["geometry"]["coordinates"]) >= 2
        assert leg["duration_s"] == (datetime.fromisoformat(leg["to"]["time"])
                                     - datetime.fromisoformat(leg["from"]["time"])).total_seconds()


def test_a_journey_across_the_city_rides_and_arrives_first(server):
    r = _get(server, "journeys", **{"from": _xy(BEN_THANH), "to": _xy(THU_DUC), "depart": DEPART})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["depart"] == DEPART and body["timetable"]["timezone"] == "Asia/Ho_Chi_Minh"
    itineraries = body["itineraries"]
    assert itineraries and body["reason"] is None
    arrivals = [datetime.fromisoformat(i["arrival"]) for i in itineraries]
    assert arrivals == sorted(arrivals)
    first = itineraries[0]
    assert {leg["mode"] for leg in first["legs"]} & {"BUS", "METRO"}
    assert first["departure"] >= DEPART and first["arrival"].endswith("+07:00")
    for it in itineraries:
        _chained(it)
        rides = [leg for leg in it["legs"] if leg["mode"] != "WALK"]
        assert it["transfers"] == max(len(rides) - 1, 0)
        assert it["walk_m"] == pytest.approx(sum(leg.get("distance_m", 0) for leg in it["legs"]), abs=len(it["legs"]))
        for leg in rides:
            assert leg["route"] and leg["trip_id"] and leg["headsign"] and leg["from"]["stop_id"]
    # Alternatives are not beaten on every count by another one.
    for a in itineraries:
        assert not any(b is not a and b["arrival"] <= a["arrival"] and b["transfers"] <= a["transfers"]
                       and b["walk_m"] < a["walk_m"] for b in itineraries)


def test_english_names_the_places_in_english(server):
    r = _get(server, "journeys", **{"from": _xy(BEN_THANH), "to": _xy(THU_DUC), "depart": DEPART,
                                    "lang": "en"})
    legs = r.json()["itineraries"][0]["legs"]
    assert legs[0]["from"]["name"] == "Origin" and legs[-1]["to"]["name"] == "Destination"


def test_a_short_hop_offers_walking(server):
    near = (BEN_THANH[0] + 0.004, BEN_THANH[1])
    r = _get(server, "journeys", **{"from": _xy(BEN_THANH), "to": _xy(near), "depart": DEPART})
    walks = [i for i in r.json()["itineraries"] if [leg["mode"] for leg in i["legs"]] == ["WALK"]]
    assert len(walks) == 1 and 400 < walks[0]["walk_m"] < 700


def test_depart_defaults_to_now(server):
    r = _get(server, "journeys", **{"from": _xy(BEN_THANH), "to": _xy(THU_DUC)})
    assert r.status_code == 200
    asked = datetime.fromisoformat(r.json()["depart"])
    assert abs((asked - datetime.now(asked.tzinfo)).total_seconds()) < 120


@pytest.mark.parametrize("params, name", [
    ({"from": "106.7", "to": "106.77,10.85"}, "from"),
    ({"from": "106.7,10.77", "to": "106.77,10.85", "depart": "tomorrow morning"}, "depart"),
    ({"from": "106.7,10.77", "to": "106.77,10.85", "depart": "2031-01-01T08:00:00+07:00"}, "depart"),
    ({"from": "2.35,48.85", "to": "106.77,10.85", "depart": DEPART}, "from"),
    ({"from": "106.7,10.77", "depart": DEPART}, "to"),
    ({"from": "106.7,10.77", "to": "106.77,10.85", "to_layer": "health", "depart": DEPART}, "to"),
    ({"from": "106.7,10.77", "to": "106.77,10.85", "kind": "vaccination", "depart": DEPART}, "kind"),
    ({"from": "106.7,10.77", "to_layer": "health", "colour": "red", "depart": DEPART}, "colour"),
    ({"from": "106.7,10.77", "to": "106.77,10.85", "walk_speed": "0", "depart": DEPART}, "walk_speed"),
])
def test_bad_input_is_a_bilingual_400(server, params, name):
    r = _get(server, "journeys", **params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert f"'{name}'" in body["messages"]["en"] and f"'{name}'" in body["messages"]["vi"]


def test_an_unknown_layer_is_404(server):
    r = _get(server, "journeys", **{"from": "106.7,10.77", "to_layer": "nope", "depart": DEPART})
    assert r.status_code == 404 and r.json()["messages"]["vi"]


def test_far_from_every_stop_gets_a_reason_not_an_error(server):
    # Out at sea off Cần Giờ: within the network's reach, but no stop within walking distance.
    r = _get(server, "journeys", **{"from": "106.98,10.40", "to": _xy(BEN_THANH), "depart": DEPART})
    assert r.status_code == 200
    body = r.json()
    assert body["itineraries"] == [] and body["reason"]["vi"] and body["reason"]["en"]


def _soonest(server, **extra):
    params = {"from": _xy(BEN_THANH), "to_layer": "health", "kind": "vaccination", "depart": DEPART,
              "limit": 10, **extra}
    r = _get(server, "journeys", **params)
    assert r.status_code == 200, r.text
    return r.json()


def test_reach_soonest_orders_places_by_arrival_with_their_itineraries(server):
    body = _soonest(server)
    features = body["features"]
    assert len(features) == 10 and {f["properties"]["kind"] for f in features} == {"vaccination"}
    arrivals = [datetime.fromisoformat(f["properties"]["arrival"]) for f in features]
    assert arrivals == sorted(arrivals)
    for f in features[:4]:
        it = f["itinerary"]
        _chained(it)
        assert it["arrival"] == f["properties"]["arrival"] and it["transfers"] == f["properties"]["transfers"]
        end = it["legs"][-1]["to"]
        assert (end["lon"], end["lat"]) == pytest.approx(f["geometry"]["coordinates"], abs=1e-6)
        direct = _get(server, "journeys", **{"from": _xy(BEN_THANH), "depart": DEPART,
                                             "to": _xy(f["geometry"]["coordinates"])})
        assert direct.json()["itineraries"][0]["arrival"] == f["properties"]["arrival"]


def test_reach_soonest_skips_places_closed_on_arrival(server):
    late = "2026-12-03T21:30:00+07:00"
    kept = _soonest(server, depart=late, limit=50)["features"]
    every = _soonest(server, depart=late, limit=50, open="false")["features"]
    assert len(kept) < len(every)
    for f in kept:
        hours = f["properties"].get("opening_hours")
        if hours:
            arrival = datetime.fromisoformat(f["properties"]["arrival"]).replace(tzinfo=None)
            assert not opening_hours.OpeningHours(hours).is_closed(arrival)


def test_reachable_within_half_an_hour(server):
    def reachable(minutes):
        r = _get(server, "reachable", **{"from": _xy(BEN_THANH), "layer": "health", "depart": DEPART,
                                         "minutes": minutes, "open": "false"})
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/geo+json"
        return r.json()["features"]

    half, two_hours = reachable(30), reachable(120)
    assert 0 < len(half) < len(two_hours)
    assert all(f["properties"]["duration_s"] <= 1800 for f in half)
    assert {f["id"] for f in half} <= {f["id"] for f in two_hours}


def test_a_new_timetable_is_answered_at_once_and_rolled_back(fresh_db_url, grid_feed):
    app = create_app({"DATABASE_URL": fresh_db_url, "TESTING": True})
    grid_stop = "106.66,10.74"  # the generated feed's corner stop
    ask = {"from": grid_stop, "to": "106.69,10.77", "depart": DEPART}
    with serving(app) as base:
        assert _get(base, "journeys", **ask).status_code == 404  # nothing published: the body says so
        first = load(fresh_db_url, grid_feed)
        before = _get(base, "journeys", **ask).json()
        assert before["timetable"]["version"] == first.version and before["itineraries"]
        report = load(fresh_db_url, grid_feed)
        after = _get(base, "journeys", **ask).json()
        assert after["timetable"]["version"] == report.version == first.version + 1
        assert after["timetable"]["first_date"] == "2026-11-01"
        conn = psycopg2.connect(fresh_db_url)
        try:
            publish.rollback(conn, "transit", actor="test", history=publish.NETWORKS)
        finally:
            conn.close()
        back = _get(base, "journeys", **ask).json()
        assert back["timetable"] == before["timetable"]
        rows = pg.fetch(fresh_db_url, "SELECT action, version FROM mapserver.network_publications ORDER BY id")
        assert rows == [("publish", first.version), ("publish", report.version), ("rollback", first.version)]
