"""The demo city's GTFS feed: the layers' routes and stops, timed, both ways, on the right side of the street."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from etl.demo import generate_demo_city
from etl.demo.generate import FEED_FILE

METRIC_CRS = "EPSG:3405"        # VN-2000 / UTM zone 48N
FILES = {"agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "frequencies.txt", "shapes.txt",
         "calendar.txt", "feed_info.txt"}
REQUIRED = {
    "agency.txt": ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"],
    "stops.txt": ["stop_id", "stop_name", "stop_lat", "stop_lon", "stop_desc"],
    "routes.txt": ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
    "trips.txt": ["route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "shape_id"],
    "stop_times.txt": ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
    "frequencies.txt": ["trip_id", "start_time", "end_time", "headway_secs", "exact_times"],
    "shapes.txt": ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence", "shape_dist_traveled"],
    "calendar.txt": ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                     "start_date", "end_date"],
    "feed_info.txt": ["feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date", "feed_end_date",
                      "feed_version"],
}


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("demo_gtfs")
    generate_demo_city(outdir)
    return outdir


@pytest.fixture(scope="module")
def feed(city) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(city / FEED_FILE) as archive:
        return {name: pd.read_csv(archive.open(name), dtype=str, keep_default_na=False, encoding="utf-8")
                for name in archive.namelist()}


@pytest.fixture(scope="module")
def layers(city) -> dict[str, pd.DataFrame]:
    transport = pyogrio.read_dataframe(city / "transport.geojson")
    stops = pd.read_csv(city / "bus_stops.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    return {"transport": transport, "bus_stops": stops}


@pytest.fixture(scope="module")
def stop_times(feed) -> pd.DataFrame:
    """stop_times with seconds, sorted by trip and sequence, and each trip's route and direction."""
    frame = feed["stop_times.txt"].copy()
    for column in ("arrival_time", "departure_time"):
        frame[column.removesuffix("_time")] = _seconds(frame[column])
    frame["stop_sequence"] = frame["stop_sequence"].astype(int)
    frame = frame.sort_values(["trip_id", "stop_sequence"], kind="stable").reset_index(drop=True)
    return frame.merge(feed["trips.txt"][["trip_id", "route_id", "direction_id", "shape_id", "trip_headsign"]],
                       on="trip_id", how="left", validate="many_to_one")


def _seconds(clock: pd.Series) -> np.ndarray:
    parts = clock.str.split(":", expand=True).astype(int).to_numpy()
    return parts @ np.array([3600, 60, 1])


def _hours(opening_hours: str) -> tuple[int, int]:
    """(opening, closing) in seconds of "Mo-Su 05:00-20:00"."""
    opening, closing = (t.split(":") for t in opening_hours.removeprefix("Mo-Su ").split("-"))
    return int(opening[0]) * 3600 + int(opening[1]) * 60, int(closing[0]) * 3600 + int(closing[1]) * 60


def test_the_feed_holds_the_gtfs_files_with_their_columns(feed):
    assert set(feed) == FILES
    for name, columns in REQUIRED.items():
        assert set(columns) <= set(feed[name].columns), name
        assert len(feed[name]) > 0, name


def test_one_agency_per_operator_in_vietnamese_and_local_time(feed, layers):
    agency = feed["agency.txt"]
    lines = layers["transport"].loc[layers["transport"]["kind"] != "metro_station"]
    assert set(agency["agency_name"]) == set(lines["operator"]) and agency["agency_id"].is_unique
    assert (agency["agency_timezone"] == "Asia/Ho_Chi_Minh").all() and (agency["agency_lang"] == "vi").all()
    assert agency["agency_url"].str.fullmatch(r"https://[a-z0-9.-]+\.vn").all()
    routes = feed["routes.txt"].merge(agency, on="agency_id", validate="many_to_one")
    operator = lines.set_index("id")["operator"]
    assert (routes["agency_name"] == operator.loc[routes["route_id"]].to_numpy()).all()


def test_stops_are_the_bus_stops_layer_and_the_metro_stations(feed, layers, stop_times):
    stops = feed["stops.txt"].set_index("stop_id")
    bus = layers["bus_stops"].set_index("id")
    stations = layers["transport"].query("kind == 'metro_station'").set_index("id")
    assert stops.index.is_unique
    assert set(stops.index) == set(bus.index) | set(stations.index)
    assert set(stop_times["stop_id"]) == set(stops.index)       # every stop is served, by bus or metro
    mine = stops.loc[bus.index]
    assert (mine["stop_name"] == bus["name"]).all() and (mine["stop_desc"] == bus["address"]).all()
    for ours, theirs in (("stop_lon", "lon"), ("stop_lat", "lat")):
        assert np.abs(mine[ours].astype(float) - bus[theirs].astype(float)).max() < 1e-9
        assert mine[ours].str.fullmatch(r"\d+(\.\d{1,6})?").all()
    metro = stops.loc[stations.index]
    assert (metro["stop_name"] == stations["name"]).all() and metro["stop_name"].str.startswith("Ga ").all()
    assert np.allclose(metro["stop_lon"].astype(float), stations.geometry.x)
    assert set(stops["location_type"]) <= {"", "0"}


def test_routes_are_the_transport_layers_lines(feed, layers):
    routes = feed["routes.txt"].set_index("route_id")
    lines = layers["transport"].query("kind != 'metro_station'").set_index("id")
    assert routes.index.is_unique and set(routes.index) == set(lines.index)
    lines = lines.loc[routes.index]
    assert (routes["route_short_name"] == lines["route_number"]).all()
    assert (routes["route_long_name"] == lines["name"]).all()
    assert (routes["route_type"] == np.where(lines["kind"] == "bus_route", "3", "1")).all()
    assert set(feed["trips.txt"]["route_id"]) == set(routes.index)


def test_every_trip_runs_forward_in_time_and_along_its_shape(stop_times):
    same_trip = stop_times["trip_id"].eq(stop_times["trip_id"].shift())
    assert (stop_times["arrival"] <= stop_times["departure"]).all()
    assert (stop_times["arrival"][same_trip] > stop_times["departure"].shift()[same_trip]).all()
    assert (stop_times["stop_sequence"].diff()[same_trip] > 0).all()
    along = stop_times["shape_dist_traveled"].astype(float)
    assert (along.diff()[same_trip] > 0).all() and (along >= 0).all()
    assert stop_times.groupby("trip_id").size().min() >= 2
    # dwell: a bus waits at the stops between its ends, not at them
    first = ~same_trip
    last = ~stop_times["trip_id"].eq(stop_times["trip_id"].shift(-1))
    dwell = stop_times["departure"] - stop_times["arrival"]
    assert (dwell[first | last] == 0).all() and (dwell[~(first | last)] > 0).all()


def test_bus_trips_leave_every_headway_over_the_routes_hours(feed, layers, stop_times):
    buses = layers["transport"].query("kind == 'bus_route'").set_index("id")
    starts = stop_times.drop_duplicates("trip_id")        # each trip's first stop: sorted by sequence
    starts = starts.loc[starts["route_id"].isin(buses.index)]
    departures = starts.groupby(["route_id", "direction_id"])["departure"].apply(sorted)
    assert set(departures.index) == {(r, d) for r in buses.index for d in ("0", "1")}
    for (route, _), times in departures.items():
        opening, closing = _hours(buses.loc[route, "opening_hours"])
        headway = int(buses.loc[route, "headway_min"]) * 60
        expected = list(range(opening, closing, headway))      # from opening, until before closing
        assert times == expected, route
        assert len(times) == -(-(closing - opening) // headway)


def test_each_direction_runs_terminal_to_terminal_towards_its_headsign(feed, layers, stop_times):
    buses = layers["transport"].query("kind == 'bus_route'").set_index("id")
    kind = layers["bus_stops"].set_index("id")["kind"]
    bus = stop_times.loc[stop_times["route_id"].isin(buses.index)]
    ends = bus.groupby("trip_id").agg(first=("stop_id", "first"), last=("stop_id", "last"),
                                      route=("route_id", "first"), direction=("direction_id", "first"),
                                      headsign=("trip_headsign", "first"))
    assert (kind.loc[ends["first"]].to_numpy() == "terminal").all()
    assert (kind.loc[ends["last"]].to_numpy() == "terminal").all()
    start, end = (buses["name"].str.split(" – ").str[i] for i in (0, 1))
    towards = np.where(ends["direction"] == "0", end.loc[ends["route"]], start.loc[ends["route"]])
    assert (ends["headsign"].to_numpy() == towards).all()
    # the way back ends where the way out began
    pattern = ends.groupby(["route", "direction"])[["first", "last"]].first().unstack("direction")
    assert (pattern[("first", "0")] == pattern[("last", "1")]).all()
    assert (pattern[("last", "0")] == pattern[("first", "1")]).all()


def test_each_direction_serves_the_stops_on_its_right(feed, layers, stop_times):
    """Vietnam drives on the right: off the line, a direction's stops stand on the right of its shape, so the two
    directions of a street stop at the two stops of a pair."""
    patterns = stop_times.loc[stop_times["route_id"].str.startswith("BR-")].drop_duplicates(["shape_id", "stop_id"])
    shapes = _metric_shapes(feed["shapes.txt"])
    stops = feed["stops.txt"].set_index("stop_id")
    x, y = _to_metric(stops["stop_lon"].astype(float), stops["stop_lat"].astype(float))
    points = shapely.points(x, y)[stops.index.get_indexer(patterns["stop_id"])]
    lines = shapes.loc[patterns["shape_id"]].to_numpy()
    along = shapely.line_locate_point(lines, points)
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines, along + 2.0))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(lines, along - 2.0))
    heading, offset = ahead - behind, shapely.get_coordinates(points) - foot
    cross = heading[:, 0] * offset[:, 1] - heading[:, 1] * offset[:, 0]
    beside = np.hypot(offset[:, 0], offset[:, 1]) > 2.0      # not one of the stops on the line (terminals)
    assert beside.mean() > 0.9
    assert (cross[beside] < 0).all()
    assert shapely.distance(lines, points).max() < 26.0
    # the two directions share only stops on the line: the other side of the street is the other direction's
    served = patterns.assign(beside=beside).loc[beside].groupby(["route_id", "stop_id"])["direction_id"].nunique()
    assert (served == 1).all()


def test_a_stop_that_lists_a_route_is_one_of_its_stops(layers, stop_times):
    listed = layers["bus_stops"].assign(route=layers["bus_stops"]["routes"].str.split(";")).explode("route")
    listed = set(zip(listed["id"], "BR-" + listed["route"].astype(int).map("{:03d}".format), strict=True))
    served = set(zip(stop_times["stop_id"], stop_times["route_id"], strict=True))
    assert listed <= served


def test_buses_run_at_city_speeds(stop_times):
    bus = stop_times.loc[stop_times["route_id"].str.startswith("BR-")]
    trip = bus.groupby("trip_id").agg(metres=("shape_dist_traveled", "last"), start=("departure", "first"),
                                      end=("arrival", "last"))
    kmh = trip["metres"].astype(float) / (trip["end"] - trip["start"]) * 3.6
    assert kmh.between(12.0, 30.0).all()


def test_metro_line_1_runs_by_frequency_through_its_stations(feed, layers, stop_times):
    metro = stop_times.loc[stop_times["route_id"] == "ML-01"]
    stations = sorted(layers["transport"].query("kind == 'metro_station'")["id"])
    frequencies = feed["frequencies.txt"]
    assert set(frequencies["trip_id"]) == set(metro["trip_id"]) and metro["trip_id"].nunique() == 2
    assert (frequencies[["start_time", "end_time", "headway_secs", "exact_times"]].to_numpy() ==
            ["05:00:00", "22:00:00", "600", "1"]).all()
    for direction, order in (("0", stations), ("1", stations[::-1])):
        trip = metro.loc[metro["direction_id"] == direction]
        assert trip["stop_id"].tolist() == order
        minutes = (trip["arrival"].iloc[-1] - trip["departure"].iloc[0]) / 60
        assert 25 <= minutes <= 40, minutes
        assert (trip["departure"] - trip["arrival"]).iloc[1:-1].between(20, 60).all()
    assert feed["trips.txt"]["trip_id"].isin(frequencies["trip_id"]).sum() == 2     # buses run by timetable


def test_one_service_every_day_from_2025_to_2028(feed):
    calendar = feed["calendar.txt"]
    assert len(calendar) == 1
    day = calendar.iloc[0]
    assert (day[["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]] == "1").all()
    assert (day["start_date"], day["end_date"]) == ("20250101", "20281231")
    assert (feed["trips.txt"]["service_id"] == day["service_id"]).all()
    info = feed["feed_info.txt"].iloc[0]
    assert info["feed_lang"] == "vi" and (info["feed_start_date"], info["feed_end_date"]) == ("20250101", "20281231")
    assert info["feed_version"] and info["feed_publisher_url"].startswith("https://")


def test_shapes_follow_the_transport_layers_lines(feed, layers):
    shapes = _metric_shapes(feed["shapes.txt"])
    lines = layers["transport"].query("kind != 'metro_station'").set_index("id").to_crs(METRIC_CRS).geometry
    trips = feed["trips.txt"].drop_duplicates("shape_id").set_index("shape_id")
    assert set(shapes.index) == set(trips.index) and len(shapes) == 2 * len(lines)
    route_lines = lines.loc[trips.loc[shapes.index, "route_id"]].to_numpy()
    assert shapely.hausdorff_distance(shapes.to_numpy(), route_lines).max() < 1.0
    points = feed["shapes.txt"]
    along = points["shape_dist_traveled"].astype(float)
    same = points["shape_id"].eq(points["shape_id"].shift())
    assert (along.diff()[same] >= 0).all()
    total = points.groupby("shape_id")["shape_dist_traveled"].last().astype(float).loc[shapes.index]
    assert np.allclose(total, shapely.length(shapes.to_numpy()), rtol=0.01)


def test_the_same_seed_writes_the_same_feed(city, tmp_path):
    generate_demo_city(tmp_path)
    assert (tmp_path / FEED_FILE).read_bytes() == (city / FEED_FILE).read_bytes()


def _to_metric(lon: pd.Series, lat: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True).transform(lon.to_numpy(),
                                                                                        lat.to_numpy())


def _metric_shapes(points: pd.DataFrame) -> pd.Series:
    """One metric LineString per shape_id, its points in sequence."""
    points = points.assign(seq=points["shape_pt_sequence"].astype(int)).sort_values(["shape_id", "seq"])
    x, y = _to_metric(points["shape_pt_lon"].astype(float), points["shape_pt_lat"].astype(float))
    codes, ids = pd.factorize(points["shape_id"])
    return pd.Series(shapely.linestrings(np.column_stack([x, y]), indices=codes), index=ids)
