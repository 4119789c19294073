"""The demo city's timetable as a GTFS feed: every bus route both ways, and metro line 1 by frequency.

The feed is read off the same routes and stops as the layers, so a journey planner built on it boards at the stops
the map shows. A direction serves the stops near its line that stand on its right-hand side (Vietnam drives on the
right) and the stops on the line itself (terminals, which other routes pass through too). Running times come from
a street speed, slower in the inner districts, plus a dwell at each stop; buses leave the first stop every headway
from the opening time until before the closing time, the half-open window GTFS frequencies use, which the metro's
template trips follow.

Nothing here is random, and the zip records fixed dates, so the same routes and stops give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from etl.demo.geo import district_of, to_lonlat, to_metres
from etl.demo.names import nfc
from etl.demo.places import DISTRICTS, METRO_OPERATOR, METRO_STATIONS
from etl.demo.transit import METRO_HEADWAY_MIN, METRO_HOURS, BusRoute, metro_line
from etl.read import fold_name

SERVICE_ID = "HANG_NGAY"                        # "every day": the one service, so any date in the feed has trips
FEED_DATES = ("20250101", "20281231")
TIMEZONE = "Asia/Ho_Chi_Minh"
PUBLISHER = "Trung tâm Quản lý Giao thông công cộng TP.HCM"
SERVE_M = 25.0          # a stop this close to a route's line is the route's (stops.MERGE_M: the stops layer agrees)
ON_LINE_M = 1.0         # closer than this a stop stands on the line (a terminal): both directions serve it
MIN_GAP_M = 50.0        # a stop closer than this along the line to the one before would only repeat it
BUS_KMH = {True: 18.0, False: 25.0}             # running speed in the inner districts / outside them
BUS_DWELL_S = 20
METRO_KMH = 50.0        # between stations; with the dwells about 40 km/h, Bến Thành – Suối Tiên in ~28 min
METRO_DWELL_S = 30
ZIP_DATE = (2025, 1, 1, 0, 0, 0)
# zlib's fast deflate: a quarter of the default level's time on the ~60 MB of stop_times, for ~1/3 more bytes
ZIP_LEVEL = 2
_HOURS = re.compile(r"Mo-Su (\d\d):(\d\d)-(\d\d):(\d\d)")
_TWO_DIGITS = pa.array([f"{i:02d}" for i in range(100)])


class Pattern(NamedTuple):
    """One route direction: its stops in order, their times after the trip leaves the first one, and its trips."""

    route_id: str
    direction: int
    headsign: str
    stop_ids: np.ndarray
    arrive: np.ndarray          # seconds after the first departure
    depart: np.ndarray
    along: np.ndarray           # metres along the shape
    shape: np.ndarray           # (k, 2) metric vertices in the direction of travel
    starts: np.ndarray          # seconds after midnight each trip leaves the first stop (one for a frequency trip)

    @property
    def shape_id(self) -> str:
        return f"{self.route_id}-{self.direction}"

    def trip_ids(self) -> np.ndarray:
        """Route, direction and departure (HHMM): ids that sort in timetable order."""
        return np.array([f"{self.shape_id}-{s // 3600:02d}{s // 60 % 60:02d}" for s in self.starts], dtype=object)


def write_feed(path: Path, routes: list[BusRoute], stops: pd.DataFrame, version: str) -> Path:
    """Write the GTFS zip for these bus routes, their stops (the bus_stops layer's rows) and metro line 1."""
    patterns = [*bus_patterns(routes, stops), *metro_patterns()]
    trips = _trips(patterns)
    tables = {
        "agency.txt": _agencies(routes),
        "stops.txt": _stops(stops),
        "routes.txt": _routes(routes),
        "trips.txt": trips,
        "stop_times.txt": _stop_times(patterns, trips["trip_id"].to_numpy()),
        "frequencies.txt": _frequencies(patterns),
        "shapes.txt": _shapes(patterns),
        "calendar.txt": pd.DataFrame([{"service_id": SERVICE_ID, **dict.fromkeys(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), 1),
            "start_date": FEED_DATES[0], "end_date": FEED_DATES[1]}]),
        "feed_info.txt": pd.DataFrame([{"feed_publisher_name": PUBLISHER, "feed_publisher_url": _url(PUBLISHER),
                                        "feed_lang": "vi", "feed_start_date": FEED_DATES[0],
                                        "feed_end_date": FEED_DATES[1], "feed_version": version}]),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, frame in tables.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, _csv(frame), compress_type=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL)
    return path


def bus_patterns(routes: list[BusRoute], stops: pd.DataFrame) -> list[Pattern]:
    """Both directions of every route, with the stops on their right and the trips of the route's hours."""
    lines = np.array([shapely.LineString(r.line) for r in routes])
    points = shapely.points(*to_metres(stops["lon"].to_numpy(), stops["lat"].to_numpy()))
    stop, route = shapely.STRtree(lines).query(points, predicate="dwithin", distance=SERVE_M)
    near = _Near(stop, *_beside(lines[route], points[stop]))
    ids = stops["id"].to_numpy(dtype=object)
    return [_bus_pattern(r, direction, near.of(route == i), ids, timing)
            for i, (r, timing) in enumerate(zip(routes, _seconds_along([r.line for r in routes]), strict=True))
            for direction in (0, 1)]


class _Near(NamedTuple):
    """The stops near a route line: index into the stops, metres along the line, the cross product of the line's
    heading and the stop's offset (negative: on the right of the line's direction), and the offset's length."""

    stop: np.ndarray
    along: np.ndarray
    cross: np.ndarray
    offset: np.ndarray

    def of(self, mask: np.ndarray) -> _Near:
        return _Near(*(a[mask] for a in self))


def _bus_pattern(route: BusRoute, direction: int, near: _Near, ids: np.ndarray,
                 timing: tuple[np.ndarray, np.ndarray]) -> Pattern:
    """One direction of a route: the stops on its line or on its right, in order, spaced, and timed.

    timing: (metres, seconds) from the line's start at each of its vertices; the way back runs the same streets the
    other way, so its timing is the same one read from the other end.
    """
    metres, seconds = timing
    if direction == 1:
        metres, seconds = metres[-1] - metres[::-1], seconds[-1] - seconds[::-1]
    right = near.cross < 0 if direction == 0 else near.cross > 0
    served = near.of(right | (near.offset < ON_LINE_M))
    along = served.along if direction == 0 else metres[-1] - served.along
    along = np.clip(along, 0.0, metres[-1])     # shapely's and numpy's sums of the line differ in the last bits
    order = np.lexsort((served.stop, along))
    kept = order[_spaced(along[order])]
    time = np.interp(along[kept], metres, seconds)
    arrive, depart = _offsets(time - time[0], BUS_DWELL_S)
    return Pattern(f"BR-{int(route.number):03d}", direction, nfc(route.end if direction == 0 else route.start),
                   ids[served.stop[kept]], arrive, depart, along[kept],
                   route.line if direction == 0 else route.line[::-1],
                   _departures(route.opening_hours, route.headway_min))


def metro_patterns() -> list[Pattern]:
    """Metro line 1 both ways through its stations: one template trip per direction, run by frequencies.txt."""
    x, y = to_metres(np.array([s.lon for s in METRO_STATIONS]), np.array([s.lat for s in METRO_STATIONS]))
    line = np.column_stack([x, y])
    ids = np.array([s["id"] for s in metro_line()[1]], dtype=object)
    first = np.array(_hours(METRO_HOURS)[:1])       # the template trip: frequencies.txt repeats it
    patterns = []
    for direction, shape, stop_ids in ((0, line, ids), (1, line[::-1], ids[::-1])):
        along = _cumulative(shape)
        arrive, depart = _offsets(along / (METRO_KMH / 3.6), METRO_DWELL_S)
        headsign = nfc(f"Ga {METRO_STATIONS[-1 if direction == 0 else 0].name}")
        patterns.append(Pattern("ML-01", direction, headsign, stop_ids, arrive, depart, along, shape, first))
    return patterns


def _beside(lines: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (line, point) pair: metres along the line, the cross product of the line's heading (over 2 m) and the
    point's offset from it, and the offset's length."""
    along = shapely.line_locate_point(lines, points)
    length = shapely.length(lines)
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.minimum(along + 1.0, length)))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.maximum(along - 1.0, 0.0)))
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    heading, offset = ahead - behind, shapely.get_coordinates(points) - foot
    cross = heading[:, 0] * offset[:, 1] - heading[:, 1] * offset[:, 0]
    return along, cross, np.hypot(offset[:, 0], offset[:, 1])


def _spaced(along: np.ndarray) -> np.ndarray:
    """Indices of the stops kept (along sorted): both ends, and between them each stop MIN_GAP_M past the one
    kept before it and short of the last."""
    keep = [0]
    for i in range(1, len(along) - 1):
        if along[i] - along[keep[-1]] >= MIN_GAP_M and along[-1] - along[i] >= MIN_GAP_M:
            keep.append(i)
    return np.array([*keep, len(along) - 1])


def _seconds_along(lines: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per line, (metres, seconds) at each vertex from its start: each segment at the speed of its district."""
    middles = np.vstack([(line[1:] + line[:-1]) / 2 for line in lines])
    inner = np.array([DISTRICTS[d].inner for d in district_of(*to_lonlat(middles[:, 0], middles[:, 1]))])
    speed = np.where(inner, BUS_KMH[True], BUS_KMH[False]) / 3.6
    bounds = np.cumsum([0, *(len(line) - 1 for line in lines)])
    timings = []
    for line, a, b in zip(lines, bounds[:-1], bounds[1:], strict=True):
        metres = _cumulative(line)
        timings.append((metres, np.concatenate([[0.0], np.cumsum(np.diff(metres) / speed[a:b])])))
    return timings


def _offsets(running_s: np.ndarray, dwell_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Whole-second arrivals and departures after leaving the first stop: running time plus a dwell at each stop
    between the ends (a trip leaves its first stop and ends at its last without one)."""
    dwell = np.full(len(running_s), dwell_s, dtype=np.int64)
    dwell[[0, -1]] = 0
    arrive = np.rint(running_s).astype(np.int64) + np.concatenate([[0], np.cumsum(dwell)[:-1]])
    return arrive, arrive + dwell


def _departures(opening_hours: str, headway_min: int) -> np.ndarray:
    """Seconds after midnight of each trip's departure: every headway from opening time until before closing."""
    return np.arange(*_hours(opening_hours), headway_min * 60, dtype=np.int64)


def _hours(opening_hours: str) -> tuple[int, int]:
    """(opening, closing) in seconds after midnight of the "Mo-Su HH:MM-HH:MM" the transport layer writes."""
    match = _HOURS.fullmatch(opening_hours)
    if match is None:
        raise ValueError(f"opening hours not of the form 'Mo-Su HH:MM-HH:MM': {opening_hours!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return (h1 * 60 + m1) * 60, (h2 * 60 + m2) * 60


def _agencies(routes: list[BusRoute]) -> pd.DataFrame:
    names = sorted({nfc(r.operator) for r in routes}) + [nfc(METRO_OPERATOR)]
    return pd.DataFrame({"agency_id": [_agency_id(n) for n in names], "agency_name": names,
                         "agency_url": [_url(n) for n in names], "agency_timezone": TIMEZONE, "agency_lang": "vi"})


def _agency_id(name: str) -> str:
    return fold_name(name).upper()


def _url(name: str) -> str:
    """A plausible home page for an organisation: its folded name as a .vn domain."""
    return f"https://{fold_name(name).replace('_', '-')}.vn"


def _stops(stops: pd.DataFrame) -> pd.DataFrame:
    stations = pd.DataFrame({"stop_id": [s["id"] for s in metro_line()[1]],
                             "stop_name": [nfc(s["name"]) for s in metro_line()[1]], "stop_desc": "",
                             "stop_lat": [s.lat for s in METRO_STATIONS], "stop_lon": [s.lon for s in METRO_STATIONS]})
    buses = pd.DataFrame({"stop_id": stops["id"], "stop_name": stops["name"], "stop_desc": stops["address"],
                          "stop_lat": stops["lat"].round(6), "stop_lon": stops["lon"].round(6)})   # as bus_stops.csv
    return pd.concat([buses, stations], ignore_index=True).assign(location_type=0)


def _routes(routes: list[BusRoute]) -> pd.DataFrame:
    line = metro_line()[0]
    rows = [(f"BR-{int(r.number):03d}", _agency_id(nfc(r.operator)), r.number, nfc(r.name), 3) for r in routes]
    rows.append((line["id"], _agency_id(nfc(METRO_OPERATOR)), line["route_number"], nfc(line["name"]), 1))
    return pd.DataFrame(rows, columns=["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"])


def _trips(patterns: list[Pattern]) -> pd.DataFrame:
    return pd.DataFrame({
        "route_id": np.concatenate([np.repeat(p.route_id, len(p.starts)) for p in patterns]),
        "service_id": SERVICE_ID,
        "trip_id": np.concatenate([p.trip_ids() for p in patterns]),
        "trip_headsign": np.concatenate([np.repeat(p.headsign, len(p.starts)) for p in patterns]),
        "direction_id": np.concatenate([np.repeat(p.direction, len(p.starts)) for p in patterns]),
        "shape_id": np.concatenate([np.repeat(p.shape_id, len(p.starts)) for p in patterns]),
    })


def _stop_times(patterns: list[Pattern], trip_ids: np.ndarray) -> pa.Table:
    """Every trip's stops (trip_ids: every trip's id, in pattern order): each pattern's offsets broadcast over its
    departures, and the text columns taken by index from the patterns' ids, so no Python loop runs per row."""
    def column(build) -> np.ndarray:
        return np.concatenate([build(p) for p in patterns])

    sizes = np.array([len(p.stop_ids) for p in patterns])
    rows = np.array([len(p.starts) for p in patterns]) * sizes
    sequence = column(lambda p: np.tile(np.arange(1, len(p.stop_ids) + 1), len(p.starts)))
    stop = sequence - 1 + np.repeat(np.cumsum(sizes) - sizes, rows)     # into the patterns' stops, end to end
    trip = np.repeat(np.arange(len(trip_ids)), column(lambda p: np.full(len(p.starts), len(p.stop_ids))))
    return pa.table({
        "trip_id": pa.array(trip_ids).take(trip),
        "arrival_time": _clock(column(lambda p: (p.starts[:, None] + p.arrive[None, :]).ravel())),
        "departure_time": _clock(column(lambda p: (p.starts[:, None] + p.depart[None, :]).ravel())),
        "stop_id": pa.array(column(lambda p: p.stop_ids)).take(stop),
        "stop_sequence": sequence,
        "shape_dist_traveled": np.round(column(lambda p: p.along), 1)[stop],
    })


def _frequencies(patterns: list[Pattern]) -> pd.DataFrame:
    """The metro's template trips, each repeated every headway over the line's hours (exact times)."""
    start, end = _clock(np.array(_hours(METRO_HOURS))).to_pylist()
    trips = [t for p in patterns if p.route_id == "ML-01" for t in p.trip_ids()]
    return pd.DataFrame({"trip_id": trips, "start_time": start, "end_time": end,
                         "headway_secs": METRO_HEADWAY_MIN * 60, "exact_times": 1})


def _shapes(patterns: list[Pattern]) -> pd.DataFrame:
    """Each pattern's line in its direction of travel, with the metres along it that its stops' times use."""
    shape = np.vstack([p.shape for p in patterns])
    lon, lat = to_lonlat(shape[:, 0], shape[:, 1])
    return pd.DataFrame({
        "shape_id": np.repeat([p.shape_id for p in patterns], [len(p.shape) for p in patterns]),
        "shape_pt_lat": np.round(lat, 6), "shape_pt_lon": np.round(lon, 6),
        "shape_pt_sequence": np.concatenate([np.arange(1, len(p.shape) + 1) for p in patterns]),
        "shape_dist_traveled": np.round(np.concatenate([_cumulative(p.shape) for p in patterns]), 1),
    })


def _cumulative(line: np.ndarray) -> np.ndarray:
    """Metres along a (k, 2) line at each of its vertices."""
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])


def _clock(seconds: np.ndarray) -> pa.Array:
    """HH:MM:SS for seconds after midnight (past 24:00:00 for trips that run on after midnight): each second of
    the day joined once in Arrow from two-digit parts, then taken by index rather than formatted row by row."""
    every = np.arange(seconds.max() + 1)
    parts = (every // 3600, every // 60 % 60, every % 60)
    return pc.binary_join_element_wise(*(_TWO_DIGITS.take(part) for part in parts), ":").take(seconds)


def _csv(table: pd.DataFrame | pa.Table) -> bytes:
    """A small table through pandas (quoting only what needs it); the big one through Arrow, unquoted (ids, times
    and numbers only)."""
    if isinstance(table, pa.Table):
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(quoting_style="none", quoting_header="none"))
        return buffer.getvalue()
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")
