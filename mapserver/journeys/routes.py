"""/api/journeys and /api/reachable: how do I get there, which place can I reach soonest, what is within
half an hour, by bus, metro and on foot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from mapserver.journeys.current import Held, current
from mapserver.journeys.days import Day
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


@dataclass
class Asked:
    """One question's setting: the network held, the service day's table, when (seconds after that day's
    midnight, and as a time in the timetable's zone), the walking model and the asker's names for the ends."""

    held: Held
    table: Day
    depart: int
    when: datetime
    walking: planner.Walking

    @property
    def network(self):
        return self.held.network

    def envelope(self) -> dict[str, Any]:
        """What every answer starts with: when it leaves from, and which timetable answered."""
        network = self.network
        return {"depart": self.when.isoformat(timespec="seconds"),
                "timetable": {"version": network.version, "timezone": str(network.timezone),
                              "first_date": network.first_date.isoformat(),
                              "last_date": network.last_date.isoformat()}}

    def state(self) -> tuple:
        return ("transit", self.network.version, self.when.isoformat())


def _asked(args) -> Asked:
    """The question's setting; 400 for a day outside the timetable or a start far from every stop."""
    held = current()
    network = held.network
    when = args.depart or datetime.now(network.timezone).replace(microsecond=0)
    when = when.replace(tzinfo=network.timezone) if when.tzinfo is None else when.astimezone(network.timezone)
    day = when.date()
    if not network.first_date <= day <= network.last_date:
        raise bad("depart", f"{day} is outside the timetable, which runs from {network.first_date} to "
                            f"{network.last_date}", f"ngày {day:%d/%m/%Y} nằm ngoài thời gian biểu (từ "
                            f"{network.first_date:%d/%m/%Y} đến {network.last_date:%d/%m/%Y})")
    _near_network(network, args["from"], "from")
    midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return Asked(held, held.days.get(day), int((when - midnight) / timedelta(seconds=1)), when,
                 planner.Walking(speed=args.walk_speed, max_walk_m=args.max_walk_m))


def _near_network(network, place: planner.Place, name: str) -> None:
    if network.stops_near.nearest_m(place.lon, place.lat) > FAR_FROM_NETWORK_M:
        raise bad(name, f"is more than {FAR_FROM_NETWORK_M / 1000:.0f} km from every stop of the network",
                  f"cách mọi trạm của mạng lưới hơn {FAR_FROM_NETWORK_M / 1000:.0f} km")


def _reason(asked: Asked, origin: planner.Place, destination: planner.Place) -> dict:
    """Why nothing was found: no stop within walking distance of an end, or no ride at this time."""
    radius = asked.walking.max_walk_m / DETOUR
    ends = [asked.network.stops_near.near(p.lon, p.lat, radius)[0] for p in (origin, destination)]
    return NO_STOP_NEAR if any(not len(stops) for stops in ends) else NO_CONNECTION


def _to_place(args, asked: Asked) -> str:
    origin, destination = args["from"], args.to
    found = planner.journeys(asked.network, asked.table, origin, destination, asked.depart, asked.walking)
    names = PLACES[lang()]
    return dumps({**asked.envelope(),
                  "itineraries": [itinerary_json(asked.network, asked.table, it, origin, destination, names)
                                  for it in found],
                  "reason": None if found else _reason(asked, origin, destination)})


def _reached(args, asked: Asked, layer_slug: str, horizon: int | None = None
             ) -> list[tuple[dict, int, Callable, planner.Place]]:
    """(feature, arrival, itinerary maker, its place) for the layer's features reachable, soonest first;
    only those open on arrival unless `open=false`."""
    layer = get_readable_layer(layer_slug)
    target = Target(layer, published_layer(layer), parse_filters(layer, args.extra))
    found = destinations(target, MAX_DESTINATIONS)
    results = planner.soonest(asked.network, asked.table, args["from"], found.lon, found.lat, asked.depart,
                              asked.walking, horizon)
    rows = [(found.features[i], arrival, make, planner.Place(float(found.lon[i]), float(found.lat[i])))
            for i, arrival, make in results]
    if not args.open:
        return rows
    clock = Clock(asked.network, asked.table.date)
    return [r for r in rows if open_at(r[0]["properties"].get("opening_hours"), clock.at(r[1]))]


def _feature(feature: dict, arrival: str, duration_s: int, **members: Any) -> dict:
    """The layer's feature with when one gets there; `members` (the itinerary) beside its properties."""
    return {**feature, "properties": {**feature["properties"], "arrival": arrival, "duration_s": duration_s},
            **members}


def _to_layer(args, asked: Asked) -> str:
    names = PLACES[lang()]
    features = []
    for feature, arrival, make, place in _reached(args, asked, args.to_layer)[:args.limit]:
        itinerary = itinerary_json(asked.network, asked.table, make(), args["from"], place,
                                   (names[0], feature["properties"].get("name") or names[1]))
        feature = _feature(feature, itinerary["arrival"], arrival - asked.depart, itinerary=itinerary)
        feature["properties"]["transfers"] = itinerary["transfers"]
        features.append(feature)
    return dumps({"type": "FeatureCollection", **asked.envelope(), "numberReturned": len(features),
                  "features": features})


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
    asked = _asked(args)
    if args.to is not None:
        _near_network(asked.network, args.to, "to")
        return answer(args, asked.state(), "CACHE_JOURNEYS_S", lambda: _to_place(args, asked), JSON, "Journeys")
    return answer(args, asked.state(), "CACHE_JOURNEYS_S", lambda: _to_layer(args, asked), GEOJSON, "Journeys")


@route(bp, "/reachable", summary="Places reachable within a time", tag="journeys", media_type=GEOJSON,
       filters="Equality filters on the layer's filterable properties, e.g. `kind=vaccination`.",
       params=(LANG, FROM, DEPART, MINUTES, LAYER, WALK_SPEED, MAX_WALK_M, OPEN),
       description="The layer's features one can reach by bus, metro and on foot within `minutes` of leaving, "
                   "soonest first, each with `properties.arrival` and `duration_s`.")
def reachable(args) -> Response:
    asked = _asked(args)

    def produce() -> str:
        limit = asked.depart + args.minutes * 60
        clock = Clock(asked.network, asked.table.date)
        features = [_feature(f, clock.iso(arrival), arrival - asked.depart)
                    for f, arrival, _, _ in _reached(args, asked, args.layer, limit) if arrival <= limit]
        return dumps({"type": "FeatureCollection", **asked.envelope(), "minutes": args.minutes,
                      "numberReturned": len(features), "features": features})

    return answer(args, asked.state(), "CACHE_JOURNEYS_S", produce, GEOJSON, "Reachable")
