"""One service day's trips laid out for the vectorised RAPTOR scan (raptor.py), built once per day and cached.

A day holds the trips running that day, the previous day's trips still running after midnight and the next
day's early trips (a late search continues into the morning), all in seconds after this day's midnight.

Every pattern's trips are split into chains in which no trip overtakes another (FIFO): then the earliest
trip one can board anywhere along a chain is also the earliest to reach every later stop, which is what
lets a whole round be computed with a sort, a cumulative minimum and a few gathers instead of a loop over
stops. Positions are the (chain, stop) pairs laid end to end; each position's departures, one per trip in
chain order, lie in `keys` as position * SPAN + departure + KEY_OFFSET, sorted, so one searchsorted finds the first
catchable trip at every position at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from mapserver.journeys.network import Network, Pattern

DAY_S = 86_400
NEXT_MORNING_S = 12 * 3600  # of the next day's trips, those leaving before noon are in today's table
SPAN = 1 << 22  # more than any key time (a day's table spans three days, offset by one)
KEY_OFFSET = DAY_S  # keys hold departure + a day: yesterday's trips have negative times
DAYS_CACHED = 3


@dataclass
class Day:
    date: date
    pos_stop: np.ndarray       # (P,) stop of each position
    pos_chain: np.ndarray      # (P,) chain of each position
    pos_first: np.ndarray      # (P,) True at each chain's first position
    pos_last: np.ndarray       # (P,) True at each chain's last position
    pos_index: np.ndarray      # (P,) the position's place along its chain
    pos_off: np.ndarray        # (P,) where the position's trips start in keys / arrivals
    pos_count: np.ndarray      # (P,) trips of the position's chain
    keys: np.ndarray           # position * SPAN + departure, position-major, trips in chain order
    arrivals: np.ndarray       # arrival, same layout
    chain_trips: list[np.ndarray]   # per chain: trip indices, in chain order
    chain_shift: list[np.ndarray]   # per chain: seconds added to each trip's times (-1, 0 or +1 day)
    by_stop: np.ndarray        # positions sorted by stop
    by_stop_start: np.ndarray  # where each stop's run starts in by_stop (for stops having positions)
    by_stop_stop: np.ndarray   # the stop of each run
    # For raptor's cumulative minimum: a rank past every chain's trips, and per position a key that makes
    # each chain's values smaller than all of the chains before it (so the minimum starts afresh per chain).
    no_trip: int = field(init=False)
    chain_key: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.no_trip = int(self.pos_count.max(initial=0))
        span = (self.no_trip + 1) * len(self.pos_stop)
        self.chain_key = (int(self.pos_chain.max(initial=0)) - self.pos_chain) * span

    def departure(self, pos: int, rank: int) -> int:
        return int(self.keys[self.pos_off[pos] + rank] - pos * SPAN - KEY_OFFSET)

    def arrival(self, pos: int, rank: int) -> int:
        return int(self.arrivals[self.pos_off[pos] + rank])

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.pos_stop, self.pos_chain, self.pos_off, self.pos_count, self.keys,
                                      self.arrivals, self.by_stop))


def _running(network: Network, pattern: Pattern, day: date, offset: int) -> np.ndarray:
    """Rows of the pattern's trips in this day's table when taken from the day `offset` days away."""
    running = network.services_running(day + timedelta(days=offset))[network.trip_service[pattern.trips]]
    if offset < 0:
        running &= pattern.arrivals[:, -1] >= DAY_S
    elif offset > 0:
        running &= pattern.departures[:, 0] < NEXT_MORNING_S
    return np.flatnonzero(running)


def _fifo_chains(arr: np.ndarray, dep: np.ndarray) -> list[np.ndarray]:
    """Rows (already by first departure) split greedily into chains where no trip overtakes the one before."""
    chains: list[list[int]] = []
    for row in range(len(arr)):
        for chain in chains:
            last = chain[-1]
            if np.all(arr[row] >= arr[last]) and np.all(dep[row] >= dep[last]):
                chain.append(row)
                break
        else:
            chains.append([row])
    return [np.array(c, dtype=np.int64) for c in chains]


def _day_chains(network: Network, day: date):
    """(stops, trips, shift, arrivals, departures) for every chain of the day."""
    for pattern in network.patterns:
        parts = [(rows, offset) for offset in (-1, 0, 1) if len(rows := _running(network, pattern, day, offset))]
        if not parts:
            continue
        rows = np.concatenate([r for r, _ in parts])
        shift = np.concatenate([np.full(len(r), o * DAY_S, dtype=np.int64) for r, o in parts])
        arr = pattern.arrivals[rows].astype(np.int64) + shift[:, None]
        dep = pattern.departures[rows].astype(np.int64) + shift[:, None]
        order = np.lexsort((arr[:, -1], dep[:, 0]))
        rows, shift, arr, dep = rows[order], shift[order], arr[order], dep[order]
        monotone = bool(np.all(np.diff(arr, axis=0) >= 0) and np.all(np.diff(dep, axis=0) >= 0))
        for chain in [np.arange(len(rows))] if monotone else _fifo_chains(arr, dep):
            yield pattern.stops, pattern.trips[rows[chain]], shift[chain], arr[chain], dep[chain]


def _flat(parts: list[np.ndarray], transpose: bool = False) -> np.ndarray:
    """The parts laid end to end (each matrix position-major when `transpose`); empty on a day without trips."""
    return np.concatenate([p.T.ravel() if transpose else p for p in parts]) if parts else np.empty(0, np.int64)


def build_day(network: Network, day: date) -> Day:
    """The day's table; a day on which no service runs gives a table without positions (nothing to ride)."""
    stops, trips, shifts, arrs, deps = [], [], [], [], []
    for chain in _day_chains(network, day):
        for bucket, value in zip((stops, trips, shifts, arrs, deps), chain, strict=True):
            bucket.append(value)
    lengths = np.array([len(s) for s in stops], dtype=np.int64)
    counts = np.array([len(t) for t in trips], dtype=np.int64)
    pos_chain = np.repeat(np.arange(len(stops)), lengths)
    pos_index = np.arange(len(pos_chain)) - (np.cumsum(lengths) - lengths)[pos_chain]
    pos_count = counts[pos_chain]
    pos_off = np.cumsum(pos_count) - pos_count
    positions = np.arange(len(pos_chain), dtype=np.int64)
    keys = _flat(deps, transpose=True) + KEY_OFFSET + np.repeat(positions, pos_count) * SPAN
    pos_stop = _flat(stops).astype(np.int64)
    by_stop = np.argsort(pos_stop, kind="stable")
    run = np.flatnonzero(np.diff(pos_stop[by_stop], prepend=-1))
    arrivals = _flat(arrs, transpose=True).astype(np.int32)
    return Day(day, pos_stop, pos_chain, pos_index == 0, pos_index == lengths[pos_chain] - 1, pos_index, pos_off,
               pos_count, keys, arrivals, trips, shifts, by_stop, run, pos_stop[by_stop][run])


class Days:
    """The last few days' tables of one network, built on first use (a few tens of milliseconds)."""

    def __init__(self, network: Network):
        self.network = network
        self._lock = threading.Lock()
        self._days: OrderedDict[date, Day] = OrderedDict()

    def get(self, day: date) -> Day:
        with self._lock:
            if day in self._days:
                self._days.move_to_end(day)
                return self._days[day]
        built = build_day(self.network, day)
        with self._lock:
            self._days[day] = built
            while len(self._days) > DAYS_CACHED:
                self._days.popitem(last=False)
        return built
