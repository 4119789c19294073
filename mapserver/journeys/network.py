"""The published timetable as arrays, read once per process and version (see `current`).

Trips with the same stop sequence form a pattern (RAPTOR's "route"): their times are one matrix, trips by
row, stops by column. The query side (days, raptor) never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from mapserver.journeys import walking

TRANSFER_MAX_M = 500.0  # walks between two rides only between stops at most this far apart (geodesic)
_SEP = "\x1f"


@dataclass
class Pattern:
    stops: np.ndarray      # (L,) stop indices
    trips: np.ndarray      # (T,) trip indices, by first departure
    arrivals: np.ndarray   # (T, L) seconds after the service day's midnight
    departures: np.ndarray


@dataclass
class Network:
    slug: str
    version: int
    timezone: ZoneInfo
    first_date: date
    last_date: date
    stop_ids: np.ndarray
    stop_names: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    patterns: list[Pattern]
    trip_ids: np.ndarray
    trip_route: np.ndarray     # index into route_* arrays
    trip_service: np.ndarray   # index into services
    trip_headsign: np.ndarray
    trip_shape: np.ndarray     # shape_id or None
    routes: dict[str, np.ndarray]  # id, short_name, long_name, route_type, agency_name
    services_on: dict[int, np.ndarray]  # date ordinal -> indices of the services running that day
    n_services: int
    shapes: dict[str, shapely.LineString]
    transfer_start: np.ndarray = field(init=False)  # CSR over stops: transfer_to[start[s]:start[s+1]]
    transfer_to: np.ndarray = field(init=False)
    transfer_m: np.ndarray = field(init=False)      # geodesic metres
    stops_near: walking.StopIndex = field(init=False)

    def __post_init__(self) -> None:
        self.stops_near = walking.StopIndex(self.lon, self.lat)
        self.transfer_start, self.transfer_to, self.transfer_m = self.stops_near.pairs_within(TRANSFER_MAX_M)

    def nbytes(self) -> int:
        """The arrays' memory, for the benchmark's per-process figure."""
        arrays = [self.lon, self.lat, self.transfer_start, self.transfer_to, self.transfer_m, self.trip_route,
                  self.trip_service]
        arrays += [a for p in self.patterns for a in (p.stops, p.trips, p.arrivals, p.departures)]
        return sum(a.nbytes for a in arrays)

    def services_running(self, day: date) -> np.ndarray:
        """A mask over services: which run on `day`."""
        mask = np.zeros(self.n_services, dtype=bool)
        mask[self.services_on.get(day.toordinal(), np.empty(0, dtype=np.int64))] = True
        return mask


_PATTERNS_SQL = """
SELECT array_to_string(stop_ids, %(sep)s), string_agg(trip_id, %(sep)s ORDER BY departures[1], trip_id),
       string_agg(route_id, %(sep)s ORDER BY departures[1], trip_id),
       string_agg(service_id, %(sep)s ORDER BY departures[1], trip_id),
       string_agg(headsign, %(sep)s ORDER BY departures[1], trip_id),
       string_agg(coalesce(shape_id, ''), %(sep)s ORDER BY departures[1], trip_id),
       string_agg(array_to_string(arrivals, ','), ',' ORDER BY departures[1], trip_id),
       string_agg(array_to_string(departures, ','), ',' ORDER BY departures[1], trip_id)
FROM mapserver.timetable_trips WHERE network_slug = %(slug)s AND version = %(version)s
GROUP BY stop_ids ORDER BY min(trip_id)
"""


def _ints(text: str) -> np.ndarray:
    return np.array(text.split(","), dtype=np.int32)


def load_network(cur, slug: str, version: int) -> Network:
    """Read one version of the network into arrays (a few hundred milliseconds for a city)."""
    key = {"slug": slug, "version": version, "sep": _SEP}
    cur.execute("SELECT timezone, first_date, last_date FROM mapserver.network_versions "
                "WHERE network_slug = %(slug)s AND version = %(version)s", key)
    timezone, first_date, last_date = cur.fetchone()
    cur.execute("SELECT stop_id, name, ST_X(geom), ST_Y(geom) FROM mapserver.timetable_stops "
                "WHERE network_slug = %(slug)s AND version = %(version)s ORDER BY stop_id", key)
    stop_ids, names, lon, lat = (np.array(c) for c in zip(*cur.fetchall(), strict=True))
    cur.execute("SELECT route_id, short_name, long_name, route_type, agency_name FROM mapserver.timetable_routes "
                "WHERE network_slug = %(slug)s AND version = %(version)s ORDER BY route_id", key)
    routes = dict(zip(("id", "short_name", "long_name", "route_type", "agency_name"),
                      (np.array(c, dtype=object) for c in zip(*cur.fetchall(), strict=True)), strict=True))
    cur.execute("SELECT service_id, dates FROM mapserver.timetable_services "
                "WHERE network_slug = %(slug)s AND version = %(version)s ORDER BY service_id", key)
    services = cur.fetchall()
    cur.execute("SELECT shape_id, ST_AsBinary(geom) FROM mapserver.timetable_shapes "
                "WHERE network_slug = %(slug)s AND version = %(version)s", key)
    shapes = {sid: shapely.from_wkb(bytes(wkb)) for sid, wkb in cur.fetchall()}
    cur.execute(_PATTERNS_SQL, key)
    rows = cur.fetchall()
    return _assemble(slug, version, ZoneInfo(timezone), first_date, last_date, stop_ids, names, lon.astype(float),
                     lat.astype(float), routes, services, shapes, rows)


def _services_on(services: list) -> dict[int, np.ndarray]:
    days: dict[int, list[int]] = {}
    for index, (_, dates) in enumerate(services):
        for d in dates:
            days.setdefault(d.toordinal(), []).append(index)
    return {d: np.array(s, dtype=np.int64) for d, s in days.items()}


def _assemble(slug, version, timezone, first_date, last_date, stop_ids, names, lon, lat, routes, services, shapes,
              rows) -> Network:
    stop_index = {s: i for i, s in enumerate(stop_ids)}
    route_index = {r: i for i, r in enumerate(routes["id"])}
    service_index = {s: i for i, (s, _) in enumerate(services)}
    patterns, trip_cols = [], {"id": [], "route": [], "service": [], "headsign": [], "shape": []}
    for stops_text, trips, route_ids, service_ids, headsigns, shape_ids, arrivals, departures in rows:
        stops = np.array([stop_index[s] for s in stops_text.split(_SEP)], dtype=np.int32)
        ids = trips.split(_SEP)
        first = len(trip_cols["id"])
        trip_cols["id"] += ids
        trip_cols["route"] += [route_index[r] for r in route_ids.split(_SEP)]
        trip_cols["service"] += [service_index[s] for s in service_ids.split(_SEP)]
        trip_cols["headsign"] += headsigns.split(_SEP)
        trip_cols["shape"] += [s or None for s in shape_ids.split(_SEP)]
        shape = (len(ids), len(stops))
        patterns.append(Pattern(stops, np.arange(first, first + len(ids), dtype=np.int32),
                                _ints(arrivals).reshape(shape), _ints(departures).reshape(shape)))
    return Network(slug, version, timezone, first_date, last_date, stop_ids, names, lon, lat, patterns,
                   np.array(trip_cols["id"], dtype=object), np.array(trip_cols["route"], dtype=np.int32),
                   np.array(trip_cols["service"], dtype=np.int32), np.array(trip_cols["headsign"], dtype=object),
                   np.array(trip_cols["shape"], dtype=object), routes, _services_on(services), len(services), shapes)
