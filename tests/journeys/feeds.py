"""Small GTFS feeds written by the tests: a grid city near Ho Chi Minh City with lines across it.

What a real feed throws at a router is here on purpose: weekday and weekend services with holiday
exceptions, trips past midnight, a frequency-based line, and express trips that overtake the stopping
ones on the same stops (so a pattern's trips are not first-in first-out).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ORIGIN = (106.66, 10.74)
SPACING_DEG = 0.003  # ~330 m
SIZE = 18


def _stops() -> pd.DataFrame:
    i, j = np.meshgrid(np.arange(SIZE), np.arange(SIZE), indexing="ij")
    return pd.DataFrame({"stop_id": [f"S{a:02d}{b:02d}" for a, b in zip(i.ravel(), j.ravel(), strict=True)],
                         "stop_name": [f"Trạm {a}-{b}" for a, b in zip(i.ravel(), j.ravel(), strict=True)],
                         "stop_lat": np.round(ORIGIN[1] + i.ravel() * SPACING_DEG, 6),
                         "stop_lon": np.round(ORIGIN[0] + j.ravel() * SPACING_DEG, 6)})


def _line(rng: np.random.Generator) -> list[str]:
    """A walk across the grid: mostly straight, turning now and then, never revisiting a stop."""
    a, b = int(rng.integers(0, SIZE)), 0
    step = (0, 1)
    if rng.random() < 0.5:
        a, b, step = 0, int(rng.integers(0, SIZE)), (1, 0)
    seen, path = set(), []
    while 0 <= a < SIZE and 0 <= b < SIZE and (a, b) not in seen:
        seen.add((a, b))
        path.append(f"S{a:02d}{b:02d}")
        if rng.random() < 0.15:
            step = (step[1], step[0]) if rng.random() < 0.5 else (-step[1], -step[0]) if step[0] == 0 else step
            step = (abs(step[0]), abs(step[1]))
        a, b = a + step[0], b + step[1]
    return path


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def write_feed(path: Path, seed: int = 1, lines: int = 14) -> Path:
    """A GTFS zip at `path`; the same seed gives the same feed."""
    rng = np.random.default_rng(seed)
    stops = _stops()
    routes, trips, times, frequencies = [], [], [], []
    for n in range(lines):
        path_stops = _line(rng)
        if len(path_stops) < 4:
            continue
        route_id = f"R{n:02d}"
        routes.append({"route_id": route_id, "route_short_name": str(10 + n), "route_long_name": f"Tuyến {10 + n}",
                       "route_type": 1 if n == 0 else 3})
        headway = int(rng.choice([300, 600, 900, 1200]))
        hop = int(rng.integers(50, 90))  # seconds between neighbouring stops
        for direction, sequence in enumerate((path_stops, path_stops[::-1])):
            service = "WEEKDAY" if n % 3 else "DAILY"
            first, last = 5 * 3600 + int(rng.integers(0, 1800)), 24 * 3600 + int(rng.integers(0, 3600))
            template_only = n == 1
            starts = [first] if template_only else range(first, last, headway)
            for k, start in enumerate(starts):
                trip_id = f"{route_id}-{direction}-{k:03d}"
                express = not template_only and k % 7 == 3
                trips.append({"route_id": route_id, "service_id": service, "trip_id": trip_id,
                              "trip_headsign": sequence[-1], "direction_id": direction})
                at = start + (240 if express else 0)
                for seq, stop_id in enumerate(sequence):
                    times.append({"trip_id": trip_id, "arrival_time": _clock(at), "departure_time":
                                  _clock(at + (0 if express else 20)), "stop_id": stop_id, "stop_sequence": seq + 1})
                    at += (hop // 2 if express else hop) + (0 if express else 20)
            if template_only:
                frequencies.append({"trip_id": f"{route_id}-{direction}-000", "start_time": _clock(first),
                                    "end_time": _clock(22 * 3600), "headway_secs": 480})
    tables = {
        "agency.txt": pd.DataFrame([{"agency_id": "A", "agency_name": "Xe buýt thử", "agency_url": "https://example.vn",
                                     "agency_timezone": "Asia/Ho_Chi_Minh"}]),
        "stops.txt": stops, "routes.txt": pd.DataFrame(routes).assign(agency_id="A"),
        "trips.txt": pd.DataFrame(trips), "stop_times.txt": pd.DataFrame(times),
        "frequencies.txt": pd.DataFrame(frequencies),
        "calendar.txt": pd.DataFrame([
            {"service_id": "WEEKDAY", **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), 1),
             "saturday": 0, "sunday": 0, "start_date": "20261101", "end_date": "20270228"},
            {"service_id": "DAILY", **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday",
                                                    "saturday", "sunday"), 1),
             "start_date": "20261101", "end_date": "20270228"}]),
        "calendar_dates.txt": pd.DataFrame([{"service_id": "WEEKDAY", "date": "20261202", "exception_type": 2},
                                            {"service_id": "WEEKDAY", "date": "20261206", "exception_type": 1}]),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(name, frame.to_csv(index=False, lineterminator="\n"))
    return path
