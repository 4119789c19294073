"""Questions a citizen asks, answered from one or two searches: how do I get there, and which of these
places can I reach soonest.

Alternatives come from the rounds of the search (each extra ride that arrives earlier is another
itinerary, so fewer transfers are always offered when they cost time), from a second search that allows
only short walks to and from the stops when the first walks far, and from walking the whole way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from mapserver.journeys import raptor
from mapserver.journeys.days import Day
from mapserver.journeys.legs import Itinerary, Leg, read_back
from mapserver.journeys.network import Network
from mapserver.journeys.walking import DETOUR, geodesic_m, walk_m

SHORT_WALK_M = 400.0   # the "less walking" alternative walks at most this far to and from the stops
MAX_ITINERARIES = 5


@dataclass(frozen=True)
class Walking:
    speed: float = 1.2             # m/s
    max_walk_m: float = 1000.0     # the walk to the first stop and from the last (walking distance)
    max_walk_only_m: float = 3000.0  # offer walking the whole way up to this far (or when it is fastest)

    def seconds(self, metres):
        return np.ceil(np.asarray(metres) / self.speed).astype(np.int64)


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float


def _walks(network: Network, place: Place, walking: Walking, max_walk_m: float) -> tuple[dict, dict]:
    """Stop -> seconds and stop -> metres of walking between `place` and each stop within `max_walk_m`."""
    stops, geodesic = network.stops_near.near(place.lon, place.lat, max_walk_m / DETOUR)
    metres = walk_m(geodesic)
    return (dict(zip(stops.tolist(), walking.seconds(metres).tolist(), strict=True)),
            dict(zip(stops.tolist(), metres.tolist(), strict=True)))


def walk_only(origin: Place, destination: Place, depart: int, walking: Walking) -> Itinerary:
    metres = float(walk_m(geodesic_m(origin.lon, origin.lat, destination.lon, destination.lat)))
    return Itinerary([Leg("WALK", depart, depart + int(walking.seconds(metres)), None, None, walk_m=metres)])


def _by_rounds(search: raptor.Search, egress_s: dict, egress_m: dict) -> list[Itinerary]:
    """One itinerary per number of rides that arrives earlier than with fewer rides."""
    if not egress_s or not search.rounds:
        return []
    stops = np.fromiter(egress_s, dtype=np.int64)
    seconds = np.fromiter(egress_s.values(), dtype=np.int64)
    found, best = [], raptor.INF
    for k, label in enumerate(search.rounds):
        arrival = label.ride_arrival[stops] + seconds
        i = int(np.argmin(arrival))
        if arrival[i] < best:
            best = int(arrival[i])
            stop = int(stops[i])
            found.append(read_back(search, stop, k, egress_s[stop], egress_m[stop]))
    return found


def _pareto(itineraries: list[Itinerary]) -> list[Itinerary]:
    """Those no other beats on arrival, rides and walking all at once; by arrival, then rides, then walking."""
    unique = {it.signature(): it for it in sorted(itineraries, key=lambda i: (i.end, i.rides, i.walk_m),
                                                  reverse=True)}
    kept = []
    for it in sorted(unique.values(), key=lambda i: (i.end, i.rides, i.walk_m)):
        if not any(o.end <= it.end and o.rides <= it.rides and o.walk_m <= it.walk_m for o in kept):
            kept.append(it)
    return kept


def journeys(network: Network, day: Day, origin: Place, destination: Place, depart: int,
             walking: Walking) -> list[Itinerary]:
    """Itineraries from origin to destination leaving at `depart`, earliest arrival first."""
    found = []
    limits = [walking.max_walk_m] + ([SHORT_WALK_M] if walking.max_walk_m > SHORT_WALK_M else [])
    for limit in limits:
        access_s, access_m = _walks(network, origin, walking, limit)
        egress_s, egress_m = _walks(network, destination, walking, limit)
        search = raptor.search(day, network, depart, access_s, access_m, walking.speed, egress=egress_s)
        found += _by_rounds(search, egress_s, egress_m)
        if not found or min(it.walk_m for it in found) <= SHORT_WALK_M * 2:
            break
    walk = walk_only(origin, destination, depart, walking)
    if walk.walk_m <= walking.max_walk_only_m or (found and walk.end <= min(it.end for it in found)):
        found.append(walk)
    return _pareto(found)[:MAX_ITINERARIES]


def soonest(network: Network, day: Day, origin: Place, lon: np.ndarray, lat: np.ndarray, depart: int,
            walking: Walking, horizon: int | None = None) -> list[tuple[int, int, Callable[[], Itinerary]]]:
    """(place index, arrival, its itinerary's maker) for each place reachable (by `horizon` if given), soonest
    first: one search for them all; itineraries are read back only for the places the caller keeps."""
    access_s, access_m = _walks(network, origin, walking, walking.max_walk_m)
    search = raptor.search(day, network, depart, access_s, access_m, walking.speed, horizon=horizon)
    place, stop, geodesic = network.stops_near.near_many(lon, lat, walking.max_walk_m / DETOUR)
    metres = walk_m(geodesic)
    seconds = walking.seconds(metres)
    best = np.full(len(lon), raptor.INF, dtype=np.int64)
    choice = np.full((len(lon), 2), -1, dtype=np.int64)  # (round, index into place/stop)
    for k, label in enumerate(search.rounds):
        arrival = label.ride_arrival[stop] + seconds
        order = np.lexsort((arrival, place))
        first = order[np.flatnonzero(np.diff(place[order], prepend=-1))]
        better = arrival[first] < best[place[first]]
        best[place[first[better]]] = arrival[first[better]]
        choice[place[first[better]]] = np.column_stack([np.full(better.sum(), k), first[better]])
    walked = depart + walking.seconds(walk_m(geodesic_m(np.full(len(lon), origin.lon), np.full(len(lat), origin.lat),
                                                        lon, lat)))
    walk_wins = (walked <= best) & (walked - depart <= walking.seconds(walking.max_walk_only_m))
    results = []
    for i in np.flatnonzero((best < raptor.INF) | walk_wins):
        if walk_wins[i]:
            results.append((int(i), int(walked[i]), partial(walk_only, origin, Place(float(lon[i]), float(lat[i])),
                                                             depart, walking)))
        else:
            k, j = choice[i]
            results.append((int(i), int(best[i]), partial(read_back, search, int(stop[j]), int(k), int(seconds[j]),
                                                          float(metres[j]))))
    return sorted(results, key=lambda r: (r[1], r[0]))
