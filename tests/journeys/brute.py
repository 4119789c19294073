"""An earliest-arrival search written plainly, to check the router against: a connection scan over the
feed's own files (read here with pandas, nothing shared with the loader or the router).

Same walking model as the product: walking distance is the geodesic times 1.3 at the walking speed; the
walk to the first stop and from the last at most `max_walk_m` of walking; one walk of at most 500 m
(geodesic) between two rides, only from where a ride ended; walking the whole way when it is at most
3000 m of walking or beats every ride.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
DETOUR, TRANSFER_M, WALK_ONLY_M = 1.3, 500.0, 3000.0
DAY = 86_400


def _seconds(text: str) -> float:
    if not isinstance(text, str) or not text.strip():
        return math.nan
    h, m, s = text.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


@dataclass
class Feed:
    stops: pd.DataFrame        # stop_id, lon, lat
    times: pd.DataFrame        # trip_id, stop_id, seq, arrival, departure (untimed rows interpolated)
    service_of: dict[str, str]
    days: dict[str, set[date]]

    @classmethod
    def read(cls, path: Path) -> Feed:
        with zipfile.ZipFile(path) as archive:
            def table(name):
                if name not in archive.namelist():
                    return None
                with archive.open(name) as fh:
                    return pd.read_csv(fh, dtype=str, keep_default_na=False)
            stops, trips, times = table("stops.txt"), table("trips.txt"), table("stop_times.txt")
            calendar, dates, frequencies = table("calendar.txt"), table("calendar_dates.txt"), table("frequencies.txt")
        stops = pd.DataFrame({"stop_id": stops["stop_id"], "lon": stops["stop_lon"].astype(float),
                              "lat": stops["stop_lat"].astype(float)})
        times = times.assign(seq=times["stop_sequence"].astype(int),
                             arrival=times["arrival_time"].map(_seconds),
                             departure=times["departure_time"].map(_seconds)).sort_values(["trip_id", "seq"])
        untimed = times["trip_id"].isin(times.loc[times["arrival"].isna(), "trip_id"])
        times = pd.concat([times[~untimed], *(_interpolate(t) for _, t in times[untimed].groupby("trip_id"))])
        service_of = dict(zip(trips["trip_id"], trips["service_id"], strict=True))
        if frequencies is not None and len(frequencies):
            times, service_of = _expand(times, frequencies, service_of)
        return cls(stops, times[["trip_id", "stop_id", "seq", "arrival", "departure"]], service_of,
                   _days(calendar, dates))

    def running(self, day: date) -> set[str]:
        return {s for s, ds in self.days.items() if day in ds}


def _interpolate(trip: pd.DataFrame) -> pd.DataFrame:
    index = np.arange(len(trip), dtype=float)
    known = trip["arrival"].notna().to_numpy()
    filled = np.round(np.interp(index, index[known], trip["arrival"].to_numpy()[known]))
    return trip.assign(arrival=np.where(known, trip["arrival"], filled),
                       departure=np.where(trip["departure"].notna(), trip["departure"], filled))


def _expand(times, frequencies, service_of):
    parts = [times[~times["trip_id"].isin(frequencies["trip_id"])]]
    for row in frequencies.itertuples(index=False):
        template = times[times["trip_id"] == row.trip_id]
        first = template["departure"].iloc[0]
        start, end, step = _seconds(row.start_time), _seconds(row.end_time), int(row.headway_secs)
        t = start
        while t < end:
            trip_id = f"{row.trip_id}@{int(t) // 3600:02d}:{int(t) // 60 % 60:02d}:{int(t) % 60:02d}"
            parts.append(template.assign(trip_id=trip_id, arrival=template["arrival"] + t - first,
                                         departure=template["departure"] + t - first))
            service_of[trip_id] = service_of[row.trip_id]
            t += step
    return pd.concat(parts, ignore_index=True), service_of


def _days(calendar, dates) -> dict[str, set[date]]:
    days: dict[str, set[date]] = {}
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for row in (calendar.itertuples(index=False) if calendar is not None else ()):
        d = date(int(row.start_date[:4]), int(row.start_date[4:6]), int(row.start_date[6:]))
        end = date(int(row.end_date[:4]), int(row.end_date[4:6]), int(row.end_date[6:]))
        while d <= end:
            if getattr(row, names[d.weekday()]) == "1":
                days.setdefault(row.service_id, set()).add(d)
            d += timedelta(days=1)
    for row in (dates.itertuples(index=False) if dates is not None else ()):
        d = date(int(row.date[:4]), int(row.date[4:6]), int(row.date[6:]))
        (days.setdefault(row.service_id, set()).add if row.exception_type == "1"
         else days.setdefault(row.service_id, set()).discard)(d)
    return days


def _walk_s(metres: np.ndarray, speed: float) -> np.ndarray:
    return np.ceil(metres * DETOUR / speed)


class Scanner:
    """Connections of three service days around a date, sorted by departure, and the stops' walks."""

    def __init__(self, feed: Feed, day: date):
        self.feed = feed
        parts = []
        for offset in (-1, 0, 1):
            running = feed.running(day + timedelta(days=offset))
            trips = [t for t, s in feed.service_of.items() if s in running]
            part = feed.times[feed.times["trip_id"].isin(trips)]
            parts.append(part.assign(arrival=part["arrival"] + offset * DAY, departure=part["departure"] + offset * DAY,
                                     trip_key=part["trip_id"] + f"/{offset}"))
        times = pd.concat(parts)
        nxt = times.groupby("trip_key").shift(-1)
        ok = nxt["stop_id"].notna()
        index = {s: i for i, s in enumerate(feed.stops["stop_id"])}
        self.connections = sorted(zip(times["departure"][ok], nxt["arrival"][ok], times["stop_id"][ok].map(index),
                                      nxt["stop_id"][ok].map(index), times["trip_key"][ok], strict=True))
        lon, lat = feed.stops["lon"].to_numpy(), feed.stops["lat"].to_numpy()
        self.lon, self.lat = lon, lat
        a, b = np.meshgrid(np.arange(len(lon)), np.arange(len(lon)), indexing="ij")
        metres = GEOD.inv(lon[a.ravel()], lat[a.ravel()], lon[b.ravel()], lat[b.ravel()])[2].reshape(a.shape)
        self.neighbours = [[(int(j), float(metres[i, j])) for j in np.flatnonzero(metres[i] <= TRANSFER_M) if j != i]
                           for i in range(len(lon))]

    def _from_place(self, lon: float, lat: float) -> np.ndarray:
        return GEOD.inv(np.full(len(self.lon), lon), np.full(len(self.lat), lat), self.lon, self.lat)[2]

    def earliest(self, origin: tuple[float, float], destination: tuple[float, float], depart: int,
                 speed: float = 1.2, max_walk_m: float = 1000.0) -> float | None:
        """Earliest arrival at the destination (seconds after the day's midnight), None when unreachable."""
        access = self._from_place(*origin) * DETOUR
        egress = self._from_place(*destination) * DETOUR
        board = np.where(access <= max_walk_m, depart + np.ceil(access / speed), np.inf)
        ride = np.full(len(self.lon), np.inf)
        on_trip: set[str] = set()
        for dep, arr, u, v, trip in self.connections:
            if dep < depart:
                continue
            if trip in on_trip or board[u] <= dep:
                on_trip.add(trip)
                if arr < ride[v]:
                    ride[v] = arr
                    board[v] = min(board[v], arr)
                    for n, metres in self.neighbours[v]:
                        board[n] = min(board[n], arr + _walk_s(metres, speed))
        reachable = egress <= max_walk_m
        transit = float(np.min(ride[reachable] + np.ceil(egress[reachable] / speed))) if reachable.any() else np.inf
        walk_m = float(GEOD.inv(*origin, *destination)[2]) * DETOUR
        walk = depart + math.ceil(walk_m / speed)
        if walk_m <= WALK_ONLY_M or walk <= transit < math.inf:
            transit = min(transit, walk)
        return None if math.isinf(transit) else transit
