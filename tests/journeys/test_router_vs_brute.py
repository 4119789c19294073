"""The router's earliest arrival equals a plain connection scan's, and every ride is the feed's own trip.

Random journeys on a generated feed (weekday/weekend services with exceptions, trips past midnight,
frequencies, overtaking express trips) and on the real Cairns feed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import psycopg2

from mapserver.journeys import planner
from mapserver.journeys.days import build_day
from mapserver.journeys.itineraries import itinerary_json
from mapserver.journeys.network import load_network
from tests.journeys.brute import TRANSFER_M, Feed, Scanner
from tests.journeys.conftest import CAIRNS, load

QUERIES = 25


def _network(url: str, version: int):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            return load_network(cur, "transit", version)
    finally:
        conn.close()


def _seconds(iso: str, day: date) -> int:
    moment = datetime.fromisoformat(iso)
    midnight = datetime.combine(day, time(0), tzinfo=moment.tzinfo)
    return int((moment - midnight).total_seconds())


def _check_rides(itinerary: dict, trips: dict, feed: Feed, day: date) -> None:
    """Each ride boards and leaves at the feed's stop times of its trip, on a day its service runs."""
    for leg in itinerary["legs"]:
        if leg["mode"] == "WALK":
            continue
        trip = leg["trip_id"]
        stops = trips[trip]
        board, alight = stops.iloc[leg["from"]["stop_index"]], stops.iloc[leg["to"]["stop_index"]]
        assert (board["stop_id"], alight["stop_id"]) == (leg["from"]["stop_id"], leg["to"]["stop_id"])
        assert leg["from"]["stop_index"] < leg["to"]["stop_index"]
        shift = _seconds(leg["from"]["time"], day) - int(board["departure"])
        assert shift in (-86_400, 0, 86_400), leg
        assert _seconds(leg["to"]["time"], day) - int(alight["arrival"]) == shift, leg
        assert day + timedelta(seconds=shift) in feed.days[feed.service_of[trip]]


def _check_walks(itinerary: dict, network) -> None:
    legs = itinerary["legs"]
    for i, leg in enumerate(legs):
        if leg["mode"] == "WALK" and 0 < i < len(legs) - 1:
            a, b = (network.stop_ids.tolist().index(leg[e]["stop_id"]) for e in ("from", "to"))
            assert planner.geodesic_m(network.lon[a], network.lat[a], network.lon[b], network.lat[b]) <= TRANSFER_M
            assert legs[i - 1]["mode"] != "WALK" and legs[i + 1]["mode"] != "WALK"
        if leg["mode"] != "WALK" and i + 1 < len(legs) and legs[i + 1]["mode"] != "WALK":
            assert legs[i + 1]["from"]["stop_id"] == leg["to"]["stop_id"]  # same stop, no walk between
    assert legs[0]["from"]["time"] == itinerary["departure"] and legs[-1]["to"]["time"] == itinerary["arrival"]


def _compare(url, feed_path, version, day: date, seed: int, depart_hours=(5, 23)) -> int:
    feed, network = Feed.read(feed_path), _network(url, version)
    scanner, table = Scanner(feed, day), build_day(network, day)
    rng = np.random.default_rng(seed)
    trips = {t: rows.reset_index(drop=True) for t, rows in feed.times.sort_values("seq").groupby("trip_id")}
    with_rides = 0
    for _ in range(QUERIES):
        a, b = rng.integers(0, len(network.stop_ids), 2)
        origin = planner.Place(float(network.lon[a] + rng.normal(0, 0.002)),
                               float(network.lat[a] + rng.normal(0, 0.002)))
        destination = planner.Place(float(network.lon[b] + rng.normal(0, 0.002)),
                                    float(network.lat[b] + rng.normal(0, 0.002)))
        depart = int(rng.integers(depart_hours[0] * 3600, depart_hours[1] * 3600))
        found = planner.journeys(network, table, origin, destination, depart, planner.Walking())
        expected = scanner.earliest((origin.lon, origin.lat), (destination.lon, destination.lat), depart)
        if expected is None:
            assert not found
            continue
        assert found, (origin, destination, depart)
        assert abs(found[0].end - expected) <= 60, (origin, destination, depart, found[0].end, expected)
        assert all(it.end >= found[0].end for it in found)
        for it in found:
            doc = itinerary_json(network, table, it, origin, destination, ("A", "B"))
            _check_rides(doc, trips, feed, day)
            _check_walks(doc, network)
            assert it.start >= depart
            with_rides += it.rides > 0
    return with_rides


def test_generated_feed_matches_the_connection_scan(journeys_db, grid_feed):
    report = load(journeys_db, grid_feed)
    assert report.published and report.rows_rejected == 0
    # A weekday, the weekday service's removed day (2 Dec) and its added Sunday (6 Dec), and late at night.
    rides = sum(_compare(journeys_db, grid_feed, report.version, day, seed)
                for seed, day in enumerate((date(2026, 12, 3), date(2026, 12, 2), date(2026, 12, 6))))
    rides += _compare(journeys_db, grid_feed, report.version, date(2026, 12, 4), 9, depart_hours=(22, 25))
    assert rides > QUERIES  # most answers ride something: the comparison is not all walking


def test_real_feed_matches_the_connection_scan(journeys_db, cairns_feed):
    report = load(journeys_db, cairns_feed, area=CAIRNS)
    assert report.published
    rides = sum(_compare(journeys_db, cairns_feed, report.version, day, seed)
                for seed, day in enumerate((date(2014, 6, 3), date(2014, 6, 7), date(2014, 6, 9))))
    assert rides > QUERIES


def test_overtaking_trips_are_kept_apart(journeys_db, grid_feed):
    """The express trips overtake the stopping ones on the same stops: the day table splits them into
    chains that are each first-in first-out, and still holds every trip running that day, once."""
    report = load(journeys_db, grid_feed, publish=False)
    network = _network(journeys_db, report.version)
    day = date(2026, 12, 3)
    table = build_day(network, day)
    assert len(table.chain_trips) > len(network.patterns)
    for chain in range(len(table.chain_trips)):
        at = np.flatnonzero(table.pos_chain == chain)
        departures = np.array([[table.departure(p, r) for p in at] for r in range(table.pos_count[at[0]])])
        assert (np.diff(departures, axis=0) >= 0).all()
    today = {(int(t), 0) for ts, sh in zip(table.chain_trips, table.chain_shift, strict=True)
             for t, s in zip(ts, sh, strict=True) if s == 0}
    running = np.flatnonzero(network.services_running(day)[network.trip_service])
    assert today == {(int(t), 0) for t in running}
    pairs = [(int(t), int(s)) for ts, sh in zip(table.chain_trips, table.chain_shift, strict=True)
             for t, s in zip(ts, sh, strict=True)]
    assert len(pairs) == len(set(pairs))


def test_a_day_on_which_no_service_runs_has_nothing_to_ride(journeys_db, grid_feed):
    """A day inside the timetable's span may still have no service (a holiday removed from every calendar):
    the day's table is empty and the planner offers only the walk, never an error."""
    report = load(journeys_db, grid_feed, publish=False)
    network = _network(journeys_db, report.version)
    idle = date(2030, 1, 1)  # no service of the feed runs
    assert not network.services_running(idle).any()
    table = build_day(network, idle)
    assert len(table.pos_stop) == 0 and table.chain_trips == []
    origin = planner.Place(float(network.lon[0]), float(network.lat[0]))
    near = planner.Place(float(network.lon[1]), float(network.lat[1]))
    found = planner.journeys(network, table, origin, near, 8 * 3600, planner.Walking())
    assert [[leg.mode for leg in it.legs] for it in found] == [["WALK"]]
    far = planner.Place(float(network.lon[-1]), float(network.lat[-1]))
    assert planner.soonest(network, table, origin, np.array([far.lon]), np.array([far.lat]), 8 * 3600,
                           planner.Walking()) == []
