"""A GTFS feed read into the timetable's tables, row by row checked, every rejected row named in the report.

What is kept is what the router can trust: stops with coordinates inside the deployment's area, trips of
known routes and services whose stop times run forward, frequencies expanded into trips. A bad stop_times
row is left out of its trip (the trip keeps its other stops); a trip whose times go back is left out whole,
since no part of it can be believed. Row numbers are the file's lines (the header is line 1).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from etl import gtfs
from etl.errors import LoadRefused
from etl.reasons import OUTSIDE_AREA
from etl.report import LoadReport
from etl.timetable import checks

_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass
class Timetable:
    """The feed as the store writes it; times in seconds after the service day's midnight."""

    timezone: str
    stops: pd.DataFrame        # stop_id, name, lon, lat, parent_station
    routes: pd.DataFrame       # route_id, agency_name, short_name, long_name, route_type
    services: pd.Series        # service_id -> sorted list of dates
    shapes: pd.Series          # shape_id -> LineString
    trips: pd.DataFrame        # trip_id, route_id, service_id, headsign, shape_id
    stop_times: pd.DataFrame   # trip_id, stop_id, arrival, departure; by trip, in stop order

    @property
    def dates(self) -> tuple[date, date]:
        days = [d for ds in self.services for d in (ds[0], ds[-1]) if ds]
        return min(days), max(days)


def read_feed(folder: Path, area: tuple[float, float, float, float], report: LoadReport) -> Timetable:
    """The feed in `folder`, checked; refuses a feed the router could not use at all."""
    timezone = _timezone(folder)
    stops = _stops(folder, area, report)
    routes = _routes(folder, report)
    services = _services(folder, report)
    trips = _trips(folder, routes, services, report)
    stop_times = _stop_times(folder, trips, stops, report)
    trips, stop_times = _expand_frequencies(folder, trips, stop_times, report)
    trips = trips[trips["trip_id"].isin(stop_times["trip_id"])]
    if trips.empty:
        raise LoadRefused("the feed has no trip the router could use (see the rejected rows)",
                          "bộ dữ liệu không có chuyến nào dùng được (xem các dòng bị loại)", source="stop_times.txt")
    used = services[services.index.isin(trips["service_id"])]
    report.rows_loaded = report.rows_read - report.rows_rejected  # the feed's rows kept, in every file
    shapes = gtfs.shape_lines(folder)
    return Timetable(timezone, stops, routes, used, pd.Series(dtype=object) if shapes is None else shapes,
                     trips.reset_index(drop=True), stop_times)


def _rows(frame: pd.DataFrame) -> np.ndarray:
    return frame.index.to_numpy() + 2


def _reject(report: LoadReport, file: str, frame: pd.DataFrame, bad: np.ndarray, column: str,
            reason) -> pd.DataFrame:
    """Report the rows of `frame` where `bad` is true and return the others."""
    bad = np.asarray(bad, dtype=bool)
    for row, value in zip(_rows(frame)[bad], frame[column].to_numpy()[bad], strict=True):
        report.reject(int(row), f"{file}:{column}", value, reason)
    return frame[~bad]


def _timezone(folder: Path) -> str:
    zones = {z.strip() for z in gtfs.read_table(folder, "agency.txt", ["agency_timezone"])["agency_timezone"]}
    zones.discard("")
    if len(zones) != 1:
        raise LoadRefused(f"agency.txt must give one agency_timezone (it gives {sorted(zones) or 'none'})",
                          f"agency.txt phải ghi đúng một agency_timezone (đang có {sorted(zones) or 'không có'})",
                          source="agency.txt", field="agency_timezone")
    zone = zones.pop()
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise LoadRefused(f"agency_timezone {zone!r} is not a time zone", f"agency_timezone {zone!r} không phải "
                          "múi giờ", source="agency.txt", field="agency_timezone") from exc
    return zone


def _stops(folder: Path, area, report: LoadReport) -> pd.DataFrame:
    table = gtfs.read_table(folder, "stops.txt", ["stop_id", "stop_name", "stop_lat", "stop_lon", "location_type",
                                                  "parent_station"])
    report.rows_read += len(table)
    table = table[table["location_type"].str.strip().isin(["", "0", "1"])]
    table = _reject(report, "stops.txt", table, table["stop_id"].duplicated().to_numpy(), "stop_id",
                    checks.DUPLICATE_ID)
    lon, lat = (pd.to_numeric(table[c], errors="coerce").to_numpy() for c in ("stop_lon", "stop_lat"))
    table = _reject(report, "stops.txt", table.assign(lon=lon, lat=lat), ~(np.isfinite(lon) & np.isfinite(lat)),
                    "stop_lat", checks.BAD_COORDINATES)
    outside = ~((table["lon"] >= area[0]) & (table["lon"] <= area[2]) & (table["lat"] >= area[1])
                & (table["lat"] <= area[3])).to_numpy()
    table = _reject(report, "stops.txt", table, outside, "stop_lat", OUTSIDE_AREA)
    name = table["stop_name"].str.strip()
    return pd.DataFrame({"stop_id": table["stop_id"], "name": name.where(name != "", table["stop_id"]),
                         "lon": table["lon"], "lat": table["lat"], "parent_station": table["parent_station"]})


def _routes(folder: Path, report: LoadReport) -> pd.DataFrame:
    table = gtfs.read_table(folder, "routes.txt", ["route_id", "agency_id", "route_short_name", "route_long_name",
                                                   "route_type"])
    report.rows_read += len(table)
    table = _reject(report, "routes.txt", table, table["route_id"].duplicated().to_numpy(), "route_id",
                    checks.DUPLICATE_ID)
    kind = pd.to_numeric(table["route_type"], errors="coerce")
    table = _reject(report, "routes.txt", table.assign(kind=kind), (kind.isna() | (kind < 0)).to_numpy(),
                    "route_type", checks.BAD_NUMBER)
    agencies = gtfs.read_table(folder, "agency.txt", ["agency_id", "agency_name"])
    names = dict(zip(agencies["agency_id"], agencies["agency_name"], strict=True))
    single = agencies["agency_name"].iloc[0] if len(agencies) == 1 else None
    return pd.DataFrame({
        "route_id": table["route_id"], "agency_name": table["agency_id"].map(names).fillna(single),
        "short_name": table["route_short_name"].str.strip(), "long_name": table["route_long_name"].str.strip(),
        "route_type": table["kind"].astype(int)})


def _parse_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.str.strip(), format="%Y%m%d", errors="coerce")


def _services(folder: Path, report: LoadReport) -> pd.Series:
    """service_id -> its days: calendar.txt's weekdays between its dates, then calendar_dates' additions and
    removals."""
    days: dict[str, set[date]] = {}
    calendar = gtfs.read_table(folder, "calendar.txt", ["service_id", *_WEEKDAYS, "start_date", "end_date"],
                               required=False)
    if calendar is not None:
        report.rows_read += len(calendar)
        start, end = _parse_dates(calendar["start_date"]), _parse_dates(calendar["end_date"])
        calendar = _reject(report, "calendar.txt", calendar.assign(start=start, end=end),
                           (start.isna() | end.isna() | (end < start)).to_numpy(), "start_date", checks.BAD_DATE)
        for row in calendar.itertuples(index=False):
            weekdays = {i for i, name in enumerate(_WEEKDAYS) if getattr(row, name).strip() == "1"}
            span = pd.date_range(row.start, row.end).date
            days.setdefault(row.service_id, set()).update(d for d in span if d.weekday() in weekdays)
    exceptions = gtfs.read_table(folder, "calendar_dates.txt", ["service_id", "date", "exception_type"],
                                 required=False)
    if exceptions is not None:
        report.rows_read += len(exceptions)
        when = _parse_dates(exceptions["date"])
        exceptions = _reject(report, "calendar_dates.txt", exceptions.assign(when=when), when.isna().to_numpy(),
                             "date", checks.BAD_DATE)
        kind = exceptions["exception_type"].str.strip()
        exceptions = _reject(report, "calendar_dates.txt", exceptions, ~kind.isin(["1", "2"]).to_numpy(),
                             "exception_type", checks.BAD_NUMBER)
        for row in exceptions.itertuples(index=False):
            change = days.setdefault(row.service_id, set())
            (change.add if row.exception_type.strip() == "1" else change.discard)(row.when.date())
    if calendar is None and exceptions is None:
        raise LoadRefused("the GTFS feed has neither calendar.txt nor calendar_dates.txt",
                          "bộ dữ liệu GTFS không có calendar.txt lẫn calendar_dates.txt", source="calendar.txt")
    return pd.Series({sid: sorted(ds) for sid, ds in days.items()}, dtype=object)


def _trips(folder: Path, routes: pd.DataFrame, services: pd.Series, report: LoadReport) -> pd.DataFrame:
    table = gtfs.read_table(folder, "trips.txt", ["trip_id", "route_id", "service_id", "trip_headsign", "shape_id"])
    report.rows_read += len(table)
    for column, known, reason in (("route_id", routes["route_id"], checks.UNKNOWN_ROUTE),
                                  ("service_id", services.index, checks.UNKNOWN_SERVICE)):
        table = _reject(report, "trips.txt", table, ~table[column].isin(known).to_numpy(), column, reason)
    table = _reject(report, "trips.txt", table, table["trip_id"].duplicated().to_numpy(), "trip_id",
                    checks.DUPLICATE_ID)
    return table.rename(columns={"trip_headsign": "headsign"})


def parse_times(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Seconds (NaN where empty) and a mask of values that are not GTFS times.

    The common "HH:MM:SS" is read by byte arithmetic over the whole column; other spellings ("7:05:00",
    " 07:05:00") go through the pattern.
    """
    text = values.to_numpy(dtype=str)
    seconds = np.full(len(text), np.nan)
    fixed = np.char.str_len(text) == 8
    codes = np.frombuffer(text[fixed].astype("S8").tobytes(), dtype=np.uint8).reshape(-1, 8).astype(np.int64) - 48
    ok = ((codes[:, 2] == ord(":") - 48) & (codes[:, 5] == ord(":") - 48)
          & np.all((codes[:, [0, 1, 3, 4, 6, 7]] >= 0) & (codes[:, [0, 1, 3, 4, 6, 7]] <= 9), axis=1)
          & (codes[:, 3] <= 5) & (codes[:, 6] <= 5))
    where = np.flatnonzero(fixed)
    seconds[where[ok]] = ((codes[ok, 0] * 10 + codes[ok, 1]) * 3600 + (codes[ok, 3] * 10 + codes[ok, 4]) * 60
                          + codes[ok, 6] * 10 + codes[ok, 7])
    rest = np.flatnonzero(~fixed)
    rest = np.concatenate([rest, where[~ok]])
    bad = np.zeros(len(text), dtype=bool)
    for i in rest:
        value = text[i].strip()
        if not value:
            continue
        match = _TIME.match(value)
        if match is None:
            bad[i] = True
        else:
            h, m, s = map(int, match.groups())
            seconds[i] = h * 3600 + m * 60 + s
    return seconds, bad


def _stop_times(folder: Path, trips: pd.DataFrame, stops: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    name = "stop_times.txt"
    table = gtfs.read_table(folder, name, ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"])
    report.rows_read += len(table)
    table = _reject(report, name, table, ~table["trip_id"].isin(trips["trip_id"]).to_numpy(), "trip_id",
                    checks.UNKNOWN_TRIP)
    table = _reject(report, name, table, ~table["stop_id"].isin(stops["stop_id"]).to_numpy(), "stop_id",
                    checks.UNKNOWN_STOP)
    seq = pd.to_numeric(table["stop_sequence"], errors="coerce")
    bad = (seq.isna() | (seq < 0) | (seq != seq.round()) | table.assign(seq=seq).duplicated(["trip_id", "seq"]))
    table = _reject(report, name, table.assign(seq=seq), bad.to_numpy(), "stop_sequence", checks.BAD_SEQUENCE)
    arrival, bad_arrival = parse_times(table["arrival_time"])
    departure, bad_departure = parse_times(table["departure_time"])
    table = table.assign(arrival=arrival, departure=departure)
    table = _reject(report, name, table, bad_arrival, "arrival_time", checks.BAD_TIME)
    table = _reject(report, name, table, bad_departure[~bad_arrival], "departure_time", checks.BAD_TIME)
    table = _fill_one_sided(table)
    table = _reject(report, name, table, (table["arrival"] > table["departure"]).to_numpy(), "arrival_time",
                    checks.ARRIVAL_AFTER_DEPARTURE)
    table = table.sort_values(["trip_id", "seq"], kind="stable")
    return _interpolated(_forward_only(table, report), report)


def _fill_one_sided(table: pd.DataFrame) -> pd.DataFrame:
    """A stop with only one of its two times has both equal to it."""
    arrival = table["arrival"].fillna(table["departure"])
    return table.assign(arrival=arrival, departure=table["departure"].fillna(arrival))


def _drop_trips(report: LoadReport, table: pd.DataFrame, doomed: pd.Series, first_bad: pd.DataFrame, reason,
                column: str) -> pd.DataFrame:
    """Leave out every row of the trips in `doomed`, naming the row that condemned each."""
    for row in first_bad.itertuples():
        report.reject(int(row.Index) + 2, f"stop_times.txt:{column}", getattr(row, column), reason)
    return table[~table["trip_id"].isin(doomed)]


def _forward_only(table: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Trips whose timed stops run forward in time; the others are left out whole."""
    timed = table.dropna(subset=["arrival"])
    previous = timed.groupby("trip_id", sort=False)["departure"].shift()
    backwards = timed[timed["arrival"] < previous]
    first = backwards[~backwards["trip_id"].duplicated()]
    table = _drop_trips(report, table, first["trip_id"], first, checks.TIME_GOES_BACK, "arrival_time")
    group = table.groupby("trip_id", sort=False)
    ends = pd.concat([group.head(1), group.tail(1)])
    untimed = ends[ends["arrival"].isna()]
    untimed = untimed[~untimed["trip_id"].duplicated()]
    table = _drop_trips(report, table, untimed["trip_id"], untimed, checks.UNTIMED_END, "arrival_time")
    sizes = table.groupby("trip_id", sort=False)["trip_id"].transform("size")
    short = table[sizes < 2]
    return _drop_trips(report, table, short["trip_id"], short, checks.TOO_FEW_STOPS, "trip_id")


def _interpolated(table: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Untimed intermediate stops (legal GTFS) get times evenly between the timed stops around them."""
    missing = int(table["arrival"].isna().sum())
    if missing:
        step = table.groupby("trip_id", sort=False).cumcount().astype(float)
        known = table["arrival"].notna()
        filled = table.groupby("trip_id", sort=False, group_keys=False).apply(
            lambda t: pd.Series(np.interp(step[t.index], step[t.index][known[t.index]],
                                          t["arrival"][known[t.index]]), index=t.index))
        table = table.assign(arrival=table["arrival"].fillna(filled.round()),
                             departure=table["departure"].fillna(filled.round()))
        report.warn(f"{missing} untimed stop_times rows got times between their trip's timed stops")
    return pd.DataFrame({"trip_id": table["trip_id"].to_numpy(), "stop_id": table["stop_id"].to_numpy(),
                         "arrival": table["arrival"].to_numpy(dtype=np.int32),
                         "departure": table["departure"].to_numpy(dtype=np.int32)})


def _expand_frequencies(folder: Path, trips: pd.DataFrame, stop_times: pd.DataFrame, report: LoadReport
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each frequencies.txt window becomes trips every headway_secs from start_time (before end_time), as
    scheduled trips: how OpenTripPlanner reads exact_times=1, and the best case for exact_times=0."""
    table = gtfs.read_table(folder, "frequencies.txt", ["trip_id", "start_time", "end_time", "headway_secs"],
                            required=False)
    if table is None or table.empty:
        return trips, stop_times
    report.rows_read += len(table)
    start, bad_start = parse_times(table["start_time"])
    end, bad_end = parse_times(table["end_time"])
    headway = pd.to_numeric(table["headway_secs"], errors="coerce").to_numpy()
    table = table.assign(start=start, end=end, headway=headway)
    table = _reject(report, "frequencies.txt", table, bad_start | bad_end | np.isnan(start) | np.isnan(end),
                    "start_time", checks.BAD_TIME)
    table = _reject(report, "frequencies.txt", table, ~((table["headway"] > 0) & (table["end"] > table["start"])
                                                        ).to_numpy(), "headway_secs", checks.BAD_HEADWAY)
    table = _reject(report, "frequencies.txt", table, ~table["trip_id"].isin(stop_times["trip_id"]).to_numpy(),
                    "trip_id", checks.UNKNOWN_TRIP)
    templates = stop_times[stop_times["trip_id"].isin(table["trip_id"])]
    first = templates.groupby("trip_id", sort=False)["departure"].first()
    new_trips, new_times = [], []
    for window in table.itertuples(index=False):
        times = templates[templates["trip_id"] == window.trip_id]
        base = trips[trips["trip_id"] == window.trip_id].iloc[0]
        for start_at in np.arange(window.start, window.end, window.headway, dtype=np.int64):
            trip_id = f"{window.trip_id}@{_clock(int(start_at))}"
            shift = int(start_at) - int(first[window.trip_id])
            new_trips.append({**base.to_dict(), "trip_id": trip_id})
            new_times.append(times.assign(trip_id=trip_id, arrival=times["arrival"] + shift,
                                          departure=times["departure"] + shift))
    report.warn(f"{len(table)} frequencies.txt windows became {len(new_trips)} trips")
    plain = ~stop_times["trip_id"].isin(table["trip_id"])
    return (pd.concat([trips[~trips["trip_id"].isin(table["trip_id"])], pd.DataFrame(new_trips)], ignore_index=True),
            pd.concat([stop_times[plain], *new_times], ignore_index=True))


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

