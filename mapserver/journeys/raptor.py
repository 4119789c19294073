"""Earliest arrival by rounds (RAPTOR, Delling, Pajor & Werneck 2012), each round one vectorised pass.

Round k finds, for every stop, the earliest arrival using k rides. A round scans every position of every
chain at once (see days.py): the first catchable trip at each position, the earliest of those along the
chain before it (a cumulative minimum), that trip's arrival, then the minimum per stop. After the rides,
one walk of at most network.TRANSFER_MAX_M to another stop; walks start only where a ride ended, so a
journey never walks twice in a row. A stop keeps two arrivals: by a ride (where one may walk on or get off
for good) and by any means (where one may board).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mapserver.journeys.days import KEY_OFFSET, SPAN, Day
from mapserver.journeys.network import Network
from mapserver.journeys.walking import walk_m

INF = np.int64(np.iinfo(np.int64).max // 4)  # a numpy int64: NumPy 2 keeps an int32 array int32 beside a Python int
MAX_ROUNDS = 8


@dataclass
class Round:
    """What round k set; -1 where it set nothing."""

    ride_pos: np.ndarray     # per stop: the position where the ride got off
    ride_board: np.ndarray   # per stop: the position where it got on
    ride_rank: np.ndarray    # per stop: the trip's rank in its chain
    walk_from: np.ndarray    # per stop: the stop the transfer walk started from
    ride_arrival: np.ndarray  # per stop: earliest arrival by a ride within k rides
    any_arrival: np.ndarray   # per stop: earliest arrival by any means within k rides


@dataclass
class Search:
    day: Day
    network: Network
    depart: int
    walk_speed: float
    access: dict[int, int] = field(default_factory=dict)  # stop -> seconds of walking from the origin
    access_m: dict[int, float] = field(default_factory=dict)  # stop -> metres of that walk
    rounds: list[Round] = field(default_factory=list)

    def transfer_walk_m(self, source: int, target: int) -> float:
        start, end = self.network.transfer_start[source], self.network.transfer_start[source + 1]
        at = start + int(np.flatnonzero(self.network.transfer_to[start:end] == target)[0])
        return float(walk_m(self.network.transfer_m[at]))


def _first_trips(day: Day, board: np.ndarray, rank: np.ndarray, changed: np.ndarray) -> None:
    """Per position, in place: the rank of the first trip leaving at or after `board`, or the chain's trip
    count; recomputed only where the stop's boarding time changed since the last round."""
    positions = np.flatnonzero(changed[day.pos_stop])
    query = positions * SPAN + np.minimum(board[day.pos_stop[positions]] + KEY_OFFSET, SPAN - 1)
    rank[positions] = np.searchsorted(day.keys, query) - day.pos_off[positions]


def _ride(day: Day, board: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per position: arrival by the best trip boarded at an earlier position of its chain, that trip's rank
    and the position it was boarded at (INF, -1, -1 where none)."""
    n = len(day.pos_stop)
    can = (board[day.pos_stop] < INF) & (rank < day.pos_count) & ~day.pos_last
    chain_key, none = day.chain_key, day.no_trip
    value = chain_key + np.where(can, rank, none) * n + np.arange(n)
    best = np.minimum.accumulate(value)
    before = np.empty_like(best)
    before[1:] = best[:-1]
    before[day.pos_first] = chain_key[day.pos_first] + none * n
    local = before - chain_key
    ride_rank, board_pos = local // n, local % n
    has = ride_rank < none
    arrival = np.where(has, day.arrivals[day.pos_off + np.where(has, ride_rank, 0)], INF)
    return arrival, np.where(has, ride_rank, -1), np.where(has, board_pos, -1)


def _per_stop_min(day: Day, values: np.ndarray, n_stops: int) -> np.ndarray:
    out = np.full(n_stops, INF, dtype=np.int64)
    out[day.by_stop_stop] = np.minimum.reduceat(values[day.by_stop], day.by_stop_start)
    return out


def _transfers(network: Network, improved: np.ndarray, ride: np.ndarray, walk_speed: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Earliest arrival at each stop by one walk from a stop a ride just improved, and where it came from."""
    n = len(ride)
    arrival, source = np.full(n, INF, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    sources = np.flatnonzero(improved)
    if not len(sources):
        return arrival, source
    counts = network.transfer_start[sources + 1] - network.transfer_start[sources]
    edges = np.repeat(network.transfer_start[sources] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    origin = np.repeat(sources, counts)
    target = network.transfer_to[edges]
    times = ride[origin] + np.ceil(walk_m(network.transfer_m[edges]) / walk_speed).astype(np.int64)
    np.minimum.at(arrival, target, times)
    best = np.flatnonzero(times == arrival[target])
    source[target[best]] = origin[best]
    return arrival, source


def _target_bound(ride_arrival: np.ndarray, egress: tuple[np.ndarray, np.ndarray] | None, bound: int) -> int:
    """The earliest arrival at the destination so far: boarding later than that cannot help (target pruning)."""
    if egress is None or not len(egress[0]):
        return bound
    return min(bound, int(np.min(ride_arrival[egress[0]] + egress[1])))


def search(day: Day, network: Network, depart: int, access: dict[int, int], access_m: dict[int, float],
           walk_speed: float, egress: dict[int, int] | None = None, horizon: int | None = None,
           max_rounds: int = MAX_ROUNDS) -> Search:
    """Earliest arrivals from the stops in `access` (stop -> seconds of walking to it), leaving at `depart`.

    With `egress` (stop -> seconds of walking to the destination), stops reached after the best arrival at the
    destination so far are not boarded from; with `horizon`, nothing arriving after it is boarded from.
    """
    n = len(network.stop_ids)
    result = Search(day, network, depart, walk_speed, access, access_m)
    any_arrival = np.full(n, INF, dtype=np.int64)
    if access:
        stops = np.fromiter(access, dtype=np.int64)
        any_arrival[stops] = depart + np.fromiter(access.values(), dtype=np.int64)
    ride_arrival = np.full(n, INF, dtype=np.int64)
    first_trip = day.pos_count.copy()
    boarded_at = np.full(n, INF, dtype=np.int64)
    targets = None if egress is None else (np.fromiter(egress, dtype=np.int64),
                                           np.fromiter(egress.values(), dtype=np.int64))
    bound = INF if horizon is None else horizon
    for _ in range(max_rounds if len(day.pos_stop) else 0):  # a day without trips has nothing to ride
        bound = _target_bound(ride_arrival, targets, bound)
        boarding = np.where(any_arrival < bound, any_arrival, INF)
        _first_trips(day, boarding, first_trip, boarding != boarded_at)
        boarded_at = boarding
        arrival, rank, board = _ride(day, boarding, first_trip)
        per_stop = _per_stop_min(day, arrival, n)
        improved = per_stop < ride_arrival
        if not improved.any():
            break
        ride_arrival = np.minimum(ride_arrival, per_stop)
        chosen = improved[day.pos_stop] & (arrival == per_stop[day.pos_stop]) & (arrival < INF)
        ride_pos, ride_board, ride_rank = (np.full(n, -1, dtype=np.int64) for _ in range(3))
        where = np.flatnonzero(chosen)
        ride_pos[day.pos_stop[where]] = where
        ride_board[day.pos_stop[where]] = board[where]
        ride_rank[day.pos_stop[where]] = rank[where]
        walked, walk_from = _transfers(network, improved, ride_arrival, walk_speed)
        reached = np.minimum(np.where(improved, per_stop, INF), any_arrival)
        walk_better = walked < reached
        walk_from = np.where(walk_better, walk_from, -1)
        any_arrival = np.minimum(reached, walked)
        result.rounds.append(Round(ride_pos, ride_board, ride_rank, walk_from, ride_arrival.copy(),
                                   any_arrival.copy()))
    return result
