"""Itineraries as JSON in OpenTripPlanner's shape: legs with mode, from/to places with times, route, trip,
headsign and a GeoJSON line; times in ISO 8601 with the feed's offset."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import shapely
from shapely import ops

from mapserver.journeys.days import Day
from mapserver.journeys.legs import Itinerary, Leg
from mapserver.journeys.network import Network
from mapserver.journeys.planner import Place

COORD_DECIMALS = 6
# GTFS route_type, basic and extended (Google's), to the modes OpenTripPlanner clients know.
_BASIC_MODES = {0: "TRAM", 1: "METRO", 2: "RAIL", 3: "BUS", 4: "FERRY", 5: "CABLE_CAR", 6: "GONDOLA",
                7: "FUNICULAR", 11: "TROLLEYBUS", 12: "MONORAIL"}
_EXTENDED_MODES = ((100, 199, "RAIL"), (200, 299, "COACH"), (400, 499, "METRO"), (700, 799, "BUS"),
                   (800, 899, "TROLLEYBUS"), (900, 999, "TRAM"), (1000, 1099, "FERRY"), (1300, 1399, "GONDOLA"),
                   (1400, 1499, "FUNICULAR"))


def mode(route_type: int) -> str:
    if route_type in _BASIC_MODES:
        return _BASIC_MODES[route_type]
    return next((m for low, high, m in _EXTENDED_MODES if low <= route_type <= high), "TRANSIT")


class Clock:
    """Seconds after a service day's midnight as wall-clock times in the feed's zone."""

    def __init__(self, network: Network, day: date):
        self.midnight = datetime.combine(day, time(0), tzinfo=network.timezone)

    def at(self, seconds: int) -> datetime:
        return (self.midnight + timedelta(seconds=int(seconds))).astimezone(self.midnight.tzinfo)

    def iso(self, seconds: int) -> str:
        return self.at(seconds).isoformat(timespec="seconds")


def _line(coords) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": np.round(np.asarray(coords, dtype=float), COORD_DECIMALS).tolist()}


def _place(network: Network, clock: Clock, stop: int | None, place: Place, name: str, seconds: int) -> dict:
    if stop is None:
        return {"name": name, "stop_id": None, "lon": round(place.lon, COORD_DECIMALS),
                "lat": round(place.lat, COORD_DECIMALS), "time": clock.iso(seconds)}
    return {"name": str(network.stop_names[stop]), "stop_id": str(network.stop_ids[stop]),
            "lon": round(float(network.lon[stop]), COORD_DECIMALS), "lat": round(float(network.lat[stop]),
                                                                              COORD_DECIMALS),
            "time": clock.iso(seconds)}


def _ride_geometry(network: Network, day: Day, leg: Leg) -> dict[str, Any]:
    """The trip's shape between the two stops, or the line through the stops ridden when it has none."""
    stops = day.pos_stop[leg.board_pos:leg.alight_pos + 1]
    through = np.column_stack([network.lon[stops], network.lat[stops]])
    shape = network.shapes.get(network.trip_shape[leg.trip]) if network.trip_shape[leg.trip] else None
    if shape is not None:
        start, end = (shape.project(shapely.Point(xy)) for xy in (through[0], through[-1]))
        if end > start:
            return _line(shapely.get_coordinates(ops.substring(shape, start, end)))
    return _line(through)


def _leg_json(network: Network, day: Day, clock: Clock, leg: Leg, ends: tuple[Place, Place],
              names: tuple[str, str]) -> dict[str, Any]:
    origin, destination = ends
    start = _place(network, clock, leg.from_stop, origin, names[0], leg.start)
    end = _place(network, clock, leg.to_stop, destination, names[1], leg.end)
    out: dict[str, Any] = {"mode": "WALK", "from": start, "to": end, "duration_s": leg.end - leg.start}
    if leg.mode == "WALK":
        out["distance_m"] = round(leg.walk_m)
        out["geometry"] = _line([(start["lon"], start["lat"]), (end["lon"], end["lat"])])
        return out
    start["stop_index"], end["stop_index"] = int(day.pos_index[leg.board_pos]), int(day.pos_index[leg.alight_pos])
    route = int(network.trip_route[leg.trip])
    routes = network.routes
    out.update({
        "mode": mode(int(routes["route_type"][route])),
        "route": routes["short_name"][route] or routes["long_name"][route],
        "route_id": routes["id"][route], "route_name": routes["long_name"][route],
        "agency": routes["agency_name"][route], "trip_id": str(network.trip_ids[leg.trip]),
        "headsign": str(network.trip_headsign[leg.trip]), "stops": int(leg.alight_pos - leg.board_pos),
        "geometry": _ride_geometry(network, day, leg)})
    return out


def itinerary_json(network: Network, day: Day, itinerary: Itinerary, origin: Place, destination: Place,
                   names: tuple[str, str]) -> dict[str, Any]:
    """One itinerary; `names` are what the origin and destination are called (in the asker's language)."""
    clock = Clock(network, day.date)
    legs = [_leg_json(network, day, clock, leg, (origin, destination), names) for leg in itinerary.legs]
    return {"departure": clock.iso(itinerary.start), "arrival": clock.iso(itinerary.end),
            "duration_s": itinerary.end - itinerary.start, "transfers": max(itinerary.rides - 1, 0),
            "walk_m": round(itinerary.walk_m), "legs": legs}
