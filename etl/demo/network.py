"""The street network buses drive on: named junctions and terminals plus generated ones, joined like streets.

Bus routes that share a street must share its geometry exactly, or the map shows parallel ghost lines and the stops
of one route miss the others. So routes are paths through this one network rather than lines drawn per route.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import shapely

from etl.demo.geo import (
    AIRPORT_AREA,
    OUTLINE,
    RIVER_LINE,
    district_of,
    metric,
    neighbours,
    population_weights,
    sample_by_weight,
    to_lonlat,
    to_metres,
)
from etl.demo.names import pick
from etl.demo.places import CROSSINGS, DISTRICTS, JUNCTIONS, TERMINALS

GENERATED_JUNCTIONS = 520   # drawn by population, so the inner city gets a fine mesh and Cần Giờ a coarse one
MIN_GAP_M = 450.0           # no two junctions closer than this: real main-road junctions are rarely closer
MAX_EDGE_M = 16_000.0       # only the rural south-east needs links this long
BEND = 0.035                # sideways wobble of a street, as a share of its length
_CROSSING_SET = set(CROSSINGS) | {(b, a) for a, b in CROSSINGS}


@dataclass(frozen=True)
class Network:
    """Junctions (x, y in the local metric plane; named ones carry their name) and the links between them.

    Per link: its vertices from its first node to its second, its length, the street it is part of, the house
    number pair it starts at, and whether it crosses the river.
    """

    names: list[str | None]
    x: np.ndarray
    y: np.ndarray
    edges: np.ndarray
    shapes: list[np.ndarray]
    length: np.ndarray
    street: list[str]
    first_number: np.ndarray
    crossing: np.ndarray
    neighbours: list[list[tuple[int, int]]]

    def node(self, name: str) -> int:
        return self.names.index(name)


def build_network(rng: np.random.Generator) -> Network:
    """Delaunay-join all junctions, drop links leaving the city or crossing the river, add the real crossings."""
    names, x, y = _junctions(rng)
    edges = _delaunay_edges(x, y)
    edges = np.vstack([edges, [(names.index(a), names.index(b)) for a, b in CROSSINGS]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    crossing = np.array([(names[a], names[b]) in _CROSSING_SET for a, b in edges])
    shapes = [_street_shape(rng, x, y, a, b, bendy=not c) for (a, b), c in zip(edges, crossing, strict=True)]
    mid_lon, mid_lat = to_lonlat((x[edges[:, 0]] + x[edges[:, 1]]) / 2, (y[edges[:, 0]] + y[edges[:, 1]]) / 2)
    street = [pick(rng, DISTRICTS[d].streets) for d in district_of(mid_lon, mid_lat)]
    first_number = rng.integers(0, 150, len(edges))     # a link is one stretch of a longer street
    length = np.array([np.hypot(*np.diff(s, axis=0).T).sum() for s in shapes])
    neighbours: list[list[tuple[int, int]]] = [[] for _ in names]
    for e, (a, b) in enumerate(edges):
        neighbours[a].append((b, e))
        neighbours[b].append((a, e))
    return Network(names, x, y, edges, shapes, length, street, first_number, crossing, neighbours)


def _junctions(rng: np.random.Generator) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """Named places first, so thinning keeps them and drops generated junctions that crowd them."""
    named = [*TERMINALS, *JUNCTIONS]
    _, lon, lat = sample_by_weight(rng, population_weights(), GENERATED_JUNCTIONS)
    all_lon = np.concatenate([[p.lon for p in named], lon])
    all_lat = np.concatenate([[p.lat for p in named], lat])
    x, y = to_metres(all_lon, all_lat)
    keep = _thin(x, y, protected=len(named))
    names: list[str | None] = [p.name for p in named] + [None] * (len(x) - len(named))
    return [names[i] for i in keep], x[keep], y[keep]


def _thin(x: np.ndarray, y: np.ndarray, protected: int) -> np.ndarray:
    """Indices to keep so that no generated point lies within MIN_GAP_M of an earlier kept one."""
    before = neighbours(x, y, MIN_GAP_M, later=False)
    kept = np.zeros(len(x), dtype=bool)
    for i in range(len(x)):
        kept[i] = i < protected or not kept[before[i]].any()
    return np.flatnonzero(kept)


def _delaunay_edges(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Node pairs of the Delaunay triangulation that make plausible streets."""
    mesh = shapely.delaunay_triangles(shapely.multipoints(np.column_stack([x, y])), only_edges=True)
    coords = shapely.get_coordinates(mesh).reshape(-1, 2, 2)
    index = {(px, py): i for i, (px, py) in enumerate(zip(x.tolist(), y.tolist(), strict=True))}
    pairs = np.array([(index[tuple(a)], index[tuple(b)]) for a, b in coords.tolist()])
    lines = shapely.linestrings(coords)
    ok = shapely.within(lines, metric(OUTLINE)) & ~shapely.intersects(lines, metric(RIVER_LINE))
    ok &= ~shapely.intersects(lines, metric(AIRPORT_AREA)) & (shapely.length(lines) <= MAX_EDGE_M)
    ok &= _gabriel(x, y, coords)
    return pairs[ok]


def _gabriel(x: np.ndarray, y: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Keep an edge only if no junction lies in the circle on it as diameter.

    This drops the long diagonals of thin Delaunay triangles, which no city has as streets and which make
    shortest paths zigzag.
    """
    mid = coords.mean(axis=1)
    radius = np.hypot(*(coords[:, 1] - coords[:, 0]).T) / 2
    tree = shapely.STRtree(shapely.points(x, y))
    edge, node = tree.query(shapely.points(mid), predicate="dwithin", distance=radius)
    inside = np.hypot(x[node] - mid[edge, 0], y[node] - mid[edge, 1]) < radius[edge] * (1 - 1e-9)
    ok = np.ones(len(coords), dtype=bool)
    ok[edge[inside]] = False
    return ok


def _street_shape(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, a: int, b: int, bendy: bool
                  ) -> np.ndarray:
    """Vertices from node a to node b: a few gentle bends, since streets are never ruler-straight."""
    start, end = np.array([x[a], y[a]]), np.array([x[b], y[b]])
    if not bendy:
        return np.vstack([start, end])
    span = end - start
    length = float(np.hypot(*span))
    bends = 1 if length < 1500 else 2 if length < 5000 else 3
    t = np.arange(1, bends + 1) / (bends + 1)
    side = np.clip(rng.normal(0.0, BEND, bends), -2 * BEND, 2 * BEND) * length
    normal = np.array([-span[1], span[0]]) / length
    inner = start + t[:, None] * span + side[:, None] * normal
    return np.vstack([start, inner, end])


def shortest_path(net: Network, start: int, goal: int, cost: np.ndarray) -> list[tuple[int, bool]]:
    """(edge, forward) steps of the cheapest path; empty when the goal cannot be reached."""
    best = {start: 0.0}
    came: dict[int, tuple[int, int]] = {}
    queue = [(0.0, start)]
    while queue:
        dist, node = heapq.heappop(queue)
        if node == goal:
            break
        if dist > best[node]:
            continue
        for other, edge in net.neighbours[node]:
            candidate = dist + cost[edge]
            if candidate < best.get(other, np.inf):
                best[other] = candidate
                came[other] = (node, edge)
                heapq.heappush(queue, (candidate, other))
    if goal not in came:
        return []
    steps = []
    node = goal
    while node != start:
        previous, edge = came[node]
        steps.append((edge, int(net.edges[edge, 0]) == previous))
        node = previous
    return steps[::-1]


def path_line(net: Network, steps: list[tuple[int, bool]]) -> np.ndarray:
    """The (k, 2) metric vertices of a path, each junction once."""
    parts = [net.shapes[e] if forward else net.shapes[e][::-1] for e, forward in steps]
    return np.vstack([parts[0], *(p[1:] for p in parts[1:])])
