"""A search's labels read back into legs: walk, ride, walk between rides, ..., walk to the destination.

Times stay in seconds after the service day's midnight until `itineraries.itinerary_json` writes them in the
feed's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mapserver.journeys.raptor import Search


@dataclass
class Leg:
    mode: str               # WALK or RIDE (the route's mode is filled in by itineraries)
    start: int
    end: int
    from_stop: int | None   # None: the origin or destination place
    to_stop: int | None
    trip: int | None = None
    board_pos: int | None = None
    alight_pos: int | None = None
    walk_m: float = 0.0


@dataclass
class Itinerary:
    legs: list[Leg] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.legs[0].start

    @property
    def end(self) -> int:
        return self.legs[-1].end

    @property
    def rides(self) -> int:
        return sum(leg.mode == "RIDE" for leg in self.legs)

    @property
    def walk_m(self) -> float:
        return sum(leg.walk_m for leg in self.legs)

    def signature(self) -> tuple:
        return tuple((leg.trip, leg.from_stop, leg.to_stop) for leg in self.legs if leg.mode == "RIDE")


def _ride(search: Search, stop: int, upto: int) -> tuple[Leg, int]:
    """The ride that reached `stop` by round `upto` (the latest round that set it), and that round."""
    rounds = search.rounds
    k = next(k for k in range(upto, -1, -1) if rounds[k].ride_pos[stop] >= 0)
    label, day = rounds[k], search.day
    alight, board, rank = int(label.ride_pos[stop]), int(label.ride_board[stop]), int(label.ride_rank[stop])
    chain = int(day.pos_chain[alight])
    leg = Leg("RIDE", day.departure(board, rank), day.arrival(alight, rank), int(day.pos_stop[board]), stop,
              trip=int(day.chain_trips[chain][rank]), board_pos=board, alight_pos=alight)
    return leg, k


def _reached(search: Search, stop: int, upto: int) -> tuple[str, int]:
    """How `stop` was reached for boarding by round `upto`: ("walk" | "ride", round) or ("access", -1)."""
    rounds = search.rounds
    value = rounds[upto].any_arrival[stop] if upto >= 0 else search.depart + search.access[stop]
    for k in range(upto, -1, -1):
        label = rounds[k]
        if label.walk_from[stop] >= 0 and label.any_arrival[stop] == value:
            return "walk", k
        if label.ride_pos[stop] >= 0 and label.ride_arrival[stop] == value:
            return "ride", k
    return "access", -1


def read_back(search: Search, stop: int, upto: int, egress_s: int, egress_m: float) -> Itinerary:
    """The itinerary getting off at `stop` within `upto` + 1 rides, then walking `egress_s` to the destination."""
    ride, k = _ride(search, stop, upto)
    legs = [Leg("WALK", ride.end, ride.end + egress_s, stop, None, walk_m=egress_m), ride]
    while True:
        how, k = _reached(search, ride.from_stop, k - 1)
        if how == "access":
            seconds = search.access[ride.from_stop]
            legs.append(Leg("WALK", ride.start - seconds, ride.start, None, ride.from_stop,
                            walk_m=search.access_m[ride.from_stop]))
            break
        if how == "walk":
            source = int(search.rounds[k].walk_from[ride.from_stop])
            previous, k = _ride(search, source, k)
            seconds = int(search.rounds[k].any_arrival[ride.from_stop]) - previous.end
            legs.append(Leg("WALK", previous.end, previous.end + seconds, source, ride.from_stop,
                            walk_m=search.transfer_walk_m(source, ride.from_stop)))
        else:
            previous, k = _ride(search, ride.from_stop, k)
        legs.append(previous)
        ride = previous
    return Itinerary(legs[::-1])
