"""Bus routes through the street network, and metro line 1 with its stations."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from etl.demo.names import pick
from etl.demo.network import Network, path_line, shortest_path
from etl.demo.places import KNOWN_ROUTES, METRO_OPERATOR, METRO_STATIONS, OPERATORS, TERMINAL_WEIGHTS, TERMINALS, Route

BUS_ROUTES = 150
HIGHEST_ROUTE_NUMBER = 175
ROUTE_SPAN_M = (5_000.0, 45_000.0)  # straight-line distance between a generated route's ends
DETOUR = 0.30        # spread of the per-route cost of each street: routes between the same ends still differ
OTHER_TERMINAL_WEIGHT = 1.5
TRUNK_ENDS = {"Bến Thành", "Chợ Lớn", "Công viên 23/9", "Bến xe Miền Đông", "Bến xe Miền Tây"}
METRO_HEADWAY_MIN = 10
METRO_HOURS = "Mo-Su 05:00-22:00"


class BusRoute(NamedTuple):
    number: str
    name: str
    operator: str
    headway_min: int
    opening_hours: str
    start: str
    end: str
    edges: tuple[int, ...]
    line: np.ndarray


def bus_routes(rng: np.random.Generator, net: Network) -> list[BusRoute]:
    """The known routes plus generated ones between weighted terminals, ordered by route number."""
    plans = [*KNOWN_ROUTES, *_generated_plans(rng, net)]
    routes = [_route(rng, net, plan) for plan in plans]
    return sorted((r for r in routes if r is not None), key=lambda r: int(r.number))


def _generated_plans(rng: np.random.Generator, net: Network) -> list[Route]:
    taken = {r.number for r in KNOWN_ROUTES}
    free = [n for n in range(1, HIGHEST_ROUTE_NUMBER + 1) if f"{n:02d}" not in taken]
    numbers = sorted(rng.choice(free, size=BUS_ROUTES - len(KNOWN_ROUTES), replace=False).tolist())
    names = [t.name for t in TERMINALS]
    weights = np.array([TERMINAL_WEIGHTS.get(n, OTHER_TERMINAL_WEIGHT) for n in names])
    pairs = {frozenset((r.start, r.end)) for r in KNOWN_ROUTES}
    plans = []
    for number in numbers:
        start, end = _new_pair(rng, net, names, weights / weights.sum(), pairs)
        pairs.add(frozenset((start, end)))
        plans.append(Route(f"{number:02d}", start, end))
    return plans


def _new_pair(rng: np.random.Generator, net: Network, names: list[str], p: np.ndarray,
              pairs: set[frozenset[str]]) -> tuple[str, str]:
    """Two terminals a city bus route's length apart, not already joined by another route."""
    while True:
        start, end = (names[i] for i in rng.choice(len(names), size=2, replace=False, p=p))
        a, b = net.node(start), net.node(end)
        span = np.hypot(net.x[a] - net.x[b], net.y[a] - net.y[b])
        if ROUTE_SPAN_M[0] <= span <= ROUTE_SPAN_M[1] and frozenset((start, end)) not in pairs:
            return start, end


def _route(rng: np.random.Generator, net: Network, plan: Route) -> BusRoute | None:
    cost = net.length * rng.lognormal(0.0, DETOUR, len(net.length))
    steps = shortest_path(net, net.node(plan.start), net.node(plan.end), cost)
    if not steps:
        return None
    trunk = plan.start in TRUNK_ENDS or plan.end in TRUNK_ENDS
    headway = pick(rng, (5, 6, 8, 10, 12, 15) if trunk else (10, 12, 15, 20, 25, 30))
    hours = f"Mo-Su {pick(rng, ('04:30', '05:00', '05:15', '05:30', '05:45', '06:00'))}-" \
            f"{pick(rng, ('18:30', '19:00', '19:30', '20:00', '20:30', '21:00', '22:00'))}"
    return BusRoute(plan.number, f"{plan.start} – {plan.end}", pick(rng, OPERATORS), headway, hours,
                    plan.start, plan.end, tuple(e for e, _ in steps), path_line(net, steps))


def metro_line() -> tuple[dict, list[dict]]:
    """The attributes of metro line 1 and of its stations, in METRO_STATIONS order (the line runs through them)."""
    common = {"route_number": "M1", "operator": METRO_OPERATOR, "headway_min": METRO_HEADWAY_MIN,
              "opening_hours": METRO_HOURS}
    line = {"id": "ML-01", "name": "Tuyến Metro số 1 Bến Thành – Suối Tiên", "kind": "metro_line", **common}
    stations = [{"id": f"MS-{i:02d}", "name": f"Ga {s.name}", "kind": "metro_station", **common}
                for i, s in enumerate(METRO_STATIONS, start=1)]
    return line, stations
