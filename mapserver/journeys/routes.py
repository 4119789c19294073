"""/api/journeys and /api/reachable: how do I get there, which place can I reach soonest, what is within
half an hour, by bus, metro and on foot."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Response

from mapserver.accounts.access import get_readable_layer
from mapserver.api import bp
from mapserver.api.declare import Param, bad, integer, number, numbers, route, text
from mapserver.api.params import LANG
from mapserver.api.respond import GEOJSON, JSON, answer, dumps, lang, published_layer
from mapserver.features.filters import parse_filters
from mapserver.features.query.proximity import Target
from mapserver.journeys import planner
from mapserver.journeys.current import current
from mapserver.journeys.destinations import destinations
from mapserver.journeys.itineraries import Clock, itinerary_json
from mapserver.journeys.opening import open_at
from mapserver.journeys.text import NO_CONNECTION, NO_STOP_NEAR, PLACES
from mapserver.journeys.walking import DETOUR

FAR_FROM_NETWORK_M = 30_000.0  # a place farther than this from every stop is not in the network's city
MAX_DESTINATIONS = 5000
FILTERS = "With `to_layer`: equality filters on that layer's filterable properties, e.g. `kind=vaccination`."


def _place(name: str):
    def parse(values: list[float]) -> planner.Place:
        lon, lat = values
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise bad(name, "needs lon between -180 and 180 and lat between -90 and 90",
                      "cần kinh độ trong khoảng -180 đến 180 và vĩ độ trong khoảng -90 đến 90")
        return planner.Place(lon, lat)
    return parse


def _when(raw: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        raise bad("depart", f"{raw[:40]!r} is not an ISO 8601 date and time such as 2026-12-03T07:30:00+07:00",
                  f"{raw[:40]!r} không phải ngày giờ ISO 8601, ví dụ 2026-12-03T07:30:00+07:00") from None


FROM = numbers("from", "Where the journey starts: `lon,lat` (WGS84 degrees).", 2, _place("from"), required=True)
TO = numbers("to", "Where it ends: `lon,lat`. Give either `to` or `to_layer`.", 2, _place("to"))
TO_LAYER = text("to_layer", "Instead of `to`: a collection (layer) id; answers its features in order of arrival, "
                "each with its best itinerary.", max_length=40)
DEPART = Param("depart", "When to leave, ISO 8601 (`2026-12-03T07:30:00+07:00`; without an offset: the "
               "timetable's local time). Default: now.", {"type": "string", "format": "date-time"}, _when)
WALK_SPEED = number("walk_speed", "Walking speed, metres per second.", 0.3, 3.0, default=1.2)
MAX_WALK_M = number("max_walk_m", "Longest walk to the first stop and from the last, metres of walking "
                    "(straight line times 1.3).", 0, 3000, default=1000.0)
LIMIT = integer("limit", "With `to_layer`: how many places.", 1, 50, default=5)
OPEN = Param("open", "`true` (default): only places open when you arrive, by their `opening_hours` (places "
             "without hours are kept); `false`: all.", {"type": "boolean", "default": True},
             lambda raw: _boolean("open", raw), default=True)
MINUTES = integer("minutes", "Arrive within this many minutes of leaving.", 1, 180, default=30)
LAYER = text("layer", "Collection (layer) id.", max_length=40, required=True)


def _boolean(name: str, raw: str) -> bool:
    if raw.lower() not in ("true", "false"):
        raise bad(name, "must be true or false", "phải là true hoặc false")
    return raw.lower() == "true"


def _departure(args, held) -> tuple[date, int, datetime]:
    """The service day and seconds after its midnight; 400 outside the timetable's days."""
    network = held.network
    when = args.depart or datetime.now(network.timezone).replace(microsecond=0)
    when = when.replace(tzinfo=network.timezone) if when.tzinfo is None else when.astimezone(network.timezone)
    day = when.date()
    if not network.first_date <= day <= network.last_date:
        raise bad("depart", f"{day} is outside the timetable, which runs from {network.first_date} to "
                            f"{network.last_date}", f"ngày {day:%d/%m/%Y} nằm ngoài thời gian biểu (từ "
                            f"{network.first_date:%d/%m/%Y} đến {network.last_date:%d/%m/%Y})")
    midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, int((when - midnight) / timedelta(seconds=1)), when


def _near_network(held, place: planner.Place, name: str) -> None:
    if held.network.stops_near.nearest_m(place.lon, place.lat) > FAR_FROM_NETWORK_M:
        raise bad(name, f"is more than {FAR_FROM_NETWORK_M / 1000:.0f} km from every stop of the network",
                  f"cách mọi trạm của mạng lưới hơn {FAR_FROM_NETWORK_M / 1000:.0f} km")


def _walking(args) -> planner.Walking:
    return planner.Walking(speed=args.walk_speed, max_walk_m=args.max_walk_m)


def _timetable(held, when: datetime) -> dict[str, Any]:
    return {"version": held.network.version, "timezone": str(held.network.timezone),
            "first_date": held.network.first_date.isoformat(), "last_date": held.network.last_date.isoformat()}


def _reason(itineraries: list, walking: planner.Walking, held, origin, destination) -> dict | None:
    if itineraries:
        return None
    access = held.network.stops_near.near(origin.lon, origin.lat, walking.max_walk_m / DETOUR)[0]
    egress = held.network.stops_near.near(destination.lon, destination.lat, walking.max_walk_m / DETOUR)[0]
    return NO_STOP_NEAR if not len(access) or not len(egress) else NO_CONNECTION


def _to_place(args, held, day, depart, when) -> str:
    walking = _walking(args)
    found = planner.journeys(held.network, held.days.get(day), args["from"], args.to, depart, walking)
    names = PLACES[lang()]
    table = held.days.get(day)
    return dumps({"depart": when.isoformat(timespec="seconds"), "timetable": _timetable(held, when),
                  "itineraries": [itinerary_json(held.network, table, it, args["from"], args.to, names)
                                  for it in found],
                  "reason": _reason(found, walking, held, args["from"], args.to)})


def _reached(args, held, day, depart, layer_slug: str, extra: dict, horizon: int | None = None
             ) -> list[tuple[dict, int, Any, planner.Place]]:
    """(feature, arrival, itinerary maker, its place) for the layer's features reachable, soonest first."""
    layer = get_readable_layer(layer_slug)
    target = Target(layer, published_layer(layer), parse_filters(layer, extra))
    found = destinations(target, MAX_DESTINATIONS)
    results = planner.soonest(held.network, held.days.get(day), args["from"], found.lon, found.lat, depart,
                              _walking(args), horizon)
    return [(found.features[i], arrival, make, planner.Place(float(found.lon[i]), float(found.lat[i])))
            for i, arrival, make in results]


def _open_filter(args, held, day, rows):
    """Only the places open at the arrival time, when asked (the default)."""
    if not args.open:
        return rows
    clock = Clock(held.network, day)
    return [r for r in rows if open_at(r[0]["properties"].get("opening_hours"), clock.at(r[1]))]


def _feature(feature: dict, arrival: str, duration_s: int, **members: Any) -> dict:
    """The layer's feature with when one gets there; `members` (the itinerary) beside its properties."""
    return {**feature, "properties": {**feature["properties"], "arrival": arrival, "duration_s": duration_s},
            **members}


def _to_layer(args, held, day, depart, when) -> str:
    rows = _open_filter(args, held, day, _reached(args, held, day, depart, args.to_layer, args.extra))[:args.limit]
    table = held.days.get(day)
    names = PLACES[lang()]
    features = []
    for feature, arrival, make, place in rows:
        itinerary = itinerary_json(held.network, table, make(), args["from"], place,
                                   (names[0], feature["properties"].get("name") or names[1]))
        features.append(_feature(feature, itinerary["arrival"], arrival - depart, itinerary=itinerary))
    return dumps({"type": "FeatureCollection", "depart": when.isoformat(timespec="seconds"),
                  "timetable": _timetable(held, when), "numberReturned": len(features), "features": features})


def _state(held, when: datetime) -> tuple:
    return ("transit", held.network.version, when.isoformat())


@route(bp, "/journeys", summary="Journeys by bus, metro and on foot", tag="journeys", media_type=JSON,
       filters=FILTERS, params=(LANG, FROM, TO, TO_LAYER, DEPART, WALK_SPEED, MAX_WALK_M, LIMIT, OPEN),
       description="OpenTripPlanner-shaped itineraries from the published GTFS timetable, earliest arrival "
                   "first, then alternatives with fewer transfers or less walking, and walking the whole way "
                   "when reasonable. Walking is the straight line on the ellipsoid times 1.3 at `walk_speed`; "
                   "walks between two rides join stops at most 500 m apart. With `to_layer` the answer is a "
                   "GeoJSON FeatureCollection of that layer's places by arrival time, each with "
                   "`properties.arrival`, `duration_s` and its `itinerary`.")
def journeys(args) -> Response:
    if (args.to is None) == (args.to_layer is None):
        raise bad("to", "give either to or to_layer", "cần đúng một trong hai: to hoặc to_layer")
    if args.extra and args.to_layer is None:
        name = next(iter(args.extra))[:40]
        raise bad(name, "is not a parameter of this route (filters need to_layer)",
                  "không phải là tham số của đường dẫn này (bộ lọc cần to_layer)")
    held = current()
    day, depart, when = _departure(args, held)
    _near_network(held, args["from"], "from")
    if args.to is not None:
        _near_network(held, args.to, "to")
        return answer(args, _state(held, when), "CACHE_JOURNEYS_S", lambda: _to_place(args, held, day, depart, when),
                      JSON, "Journeys")
    return answer(args, _state(held, when), "CACHE_JOURNEYS_S", lambda: _to_layer(args, held, day, depart, when),
                  GEOJSON, "Journeys")


@route(bp, "/reachable", summary="Places reachable within a time", tag="journeys", media_type=GEOJSON,
       filters="Equality filters on the layer's filterable properties, e.g. `kind=vaccination`.",
       params=(LANG, FROM, DEPART, MINUTES, LAYER, WALK_SPEED, MAX_WALK_M, OPEN),
       description="The layer's features one can reach by bus, metro and on foot within `minutes` of leaving, "
                   "soonest first, each with `properties.arrival`, `duration_s` and `transfers`.")
def reachable(args) -> Response:
    held = current()
    day, depart, when = _departure(args, held)
    _near_network(held, args["from"], "from")

    def produce() -> str:
        limit = depart + args.minutes * 60
        rows = [r for r in _reached(args, held, day, depart, args.layer, args.extra, limit) if r[1] <= limit]
        clock = Clock(held.network, day)
        features = [_feature(f, clock.iso(arrival), arrival - depart) for f, arrival, _, _ in
                    _open_filter(args, held, day, rows)]
        return dumps({"type": "FeatureCollection", "depart": when.isoformat(timespec="seconds"),
                      "minutes": args.minutes, "timetable": _timetable(held, when),
                      "numberReturned": len(features), "features": features})

    return answer(args, _state(held, when), "CACHE_JOURNEYS_S", produce, GEOJSON, "Reachable")
