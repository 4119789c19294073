"""Bus stops along the routes, each listing every route that actually passes it.

Stops come in pairs, one on each side of the street (HCMC counts each direction as its own stop and names the far
one "Đối diện …"), spaced evenly along each street the buses use (bridges excepted), plus one stop at each route
terminal. Stops of different streets that end up within MERGE_M of each other are merged; the routes of a stop are
then read back off the route lines, so the list is true of the geometry whatever produced it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from etl.demo.geo import district_of, neighbours, to_lonlat, to_metres
from etl.demo.names import street_address
from etl.demo.network import Network
from etl.demo.places import (
    CITY,
    DISTRICTS,
    FAMOUS_SCHOOLS,
    HOSPITALS,
    JUNCTIONS,
    METRO_STATIONS,
    TERMINALS,
    UNIVERSITIES,
    District,
)
from etl.demo.transit import BusRoute

TARGET_STOPS = 4000
SPACING_M = (300.0, 500.0)
SIDE_OFFSET_M = 15.0        # half a street's width: where the pole stands
MERGE_M = 25.0
LANDMARK_M = 200.0          # a stop this close to a landmark is called after it
LOT_M = {True: 4.0, False: 9.0}     # frontage per house number pair: narrow shophouses downtown
SHELTER_SHARE = {True: 0.40, False: 0.15}


def bus_stops(rng: np.random.Generator, net: Network, routes: list[BusRoute]) -> pd.DataFrame:
    """One row per stop: id, name, kind, routes, address, district, lon, lat."""
    stops = _candidates(rng, net, routes)
    stops = stops.iloc[_merge(stops["x"].to_numpy(), stops["y"].to_numpy())].reset_index(drop=True)
    lon, lat = to_lonlat(stops["x"].to_numpy(), stops["y"].to_numpy())
    district = district_of(lon, lat)
    landmark = _landmark_names(stops["x"].to_numpy(), stops["y"].to_numpy())
    described = [_describe(rng, net, row, landmark[i], DISTRICTS[district[i]])
                 for i, row in enumerate(stops.to_dict("records"))]
    frame = pd.DataFrame(described, columns=["name", "kind", "address"])
    frame.insert(0, "id", [f"BS-{i:06d}" for i in range(1, len(frame) + 1)])
    frame.insert(3, "routes", _routes_passing(stops["x"].to_numpy(), stops["y"].to_numpy(), routes))
    frame["district"] = [DISTRICTS[d].name for d in district]
    frame["lon"], frame["lat"] = lon, lat
    return frame


def _candidates(rng: np.random.Generator, net: Network, routes: list[BusRoute]) -> pd.DataFrame:
    """Every stop before merging: terminals first, then both sides of each street slot.

    Columns: x, y, edge (-1 at terminals), along (metres from the edge's first node), far (side), terminal name,
    and a uniform draw shared by the two sides of a slot, so that both name the same ward.
    """
    ends = sorted({net.node(name) for r in routes for name in (r.start, r.end)})
    used = np.unique(np.concatenate([r.edges for r in routes]))
    used = used[~net.crossing[used]]        # no stops on bridges or the ferry
    spacing = _spacing(net.length[used], TARGET_STOPS - len(ends))
    per_edge = np.maximum(1, np.round(net.length[used] / spacing)).astype(int)
    edge = np.repeat(used, per_edge)
    k = np.arange(len(edge)) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    along = (k + 0.5) * net.length[edge] / per_edge.repeat(per_edge)
    lines = np.array([shapely.LineString(s) for s in net.shapes])
    near, far = _beside(lines[edge], along, net.length[edge])
    slot_draw = rng.random(len(edge))
    terminals = pd.DataFrame({"x": net.x[ends], "y": net.y[ends], "edge": -1, "along": 0.0, "far": False,
                              "terminal": [net.names[n] for n in ends], "draw": rng.random(len(ends))})
    sides = [pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "edge": edge, "along": along, "far": is_far,
                           "terminal": "", "draw": slot_draw}) for xy, is_far in ((near, False), (far, True))]
    return pd.concat([terminals, *sides], ignore_index=True)


def _spacing(lengths: np.ndarray, target: int) -> float:
    """The stop spacing, within the usual 300-500 m, that puts about `target` stops (both sides) on these streets."""
    return float(np.clip(2 * lengths.sum() / target, *SPACING_M))


def _beside(lines: np.ndarray, along: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, 2) points SIDE_OFFSET_M to the right of each line at distance `along`, and to the left."""
    centre = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.minimum(along + 1.0, length)))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.maximum(along - 1.0, 0.0)))
    direction = ahead - behind
    direction /= np.hypot(direction[:, 0], direction[:, 1])[:, None]
    right = np.column_stack([direction[:, 1], -direction[:, 0]]) * SIDE_OFFSET_M
    return centre + right, centre - right


def _merge(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the stops that stay: each absorbs the later stops within MERGE_M of it.

    Terminals come first in the candidate order, so a terminal absorbs the street stops around it.
    """
    after = neighbours(x, y, MERGE_M, later=True)
    absorbed = np.zeros(len(x), dtype=bool)
    for i in range(len(x)):
        if not absorbed[i]:
            absorbed[after[i]] = True
    return np.flatnonzero(~absorbed)


def _routes_passing(x: np.ndarray, y: np.ndarray, routes: list[BusRoute]) -> list[str]:
    """"01;19;52": the numbers of the routes whose line passes within MERGE_M of each stop."""
    lines = [shapely.LineString(r.line) for r in routes]
    stop, route = shapely.STRtree(lines).query(shapely.points(x, y), predicate="dwithin", distance=MERGE_M)
    order = np.lexsort((route, stop))
    numbers: list[list[str]] = [[] for _ in x]
    for s, r in zip(stop[order], route[order], strict=True):
        numbers[s].append(routes[r].number)
    return [";".join(n) for n in numbers]


def _describe(rng: np.random.Generator, net: Network, stop: dict, landmark: str, district: District
              ) -> tuple[str, str, str]:
    """(name, kind, address): terminals by their name, others by a landmark nearby or the house they stand at.

    House numbers grow along the street, even on the near side and odd on the far side, so the two stops of a
    pair stand at facing houses.
    """
    ward = district.wards[int(stop["draw"] * len(district.wards))]
    if stop["terminal"]:
        terminal = stop["terminal"]
        return (terminal if terminal.startswith("Bến") else f"Bến xe buýt {terminal}", "terminal",
                street_address(rng, district, ward))
    street = net.street[stop["edge"]]
    even = 2 * (1 + int(stop["along"] / LOT_M[district.inner]) + int(net.first_number[stop["edge"]]))
    address = f"{even + int(stop['far'])} {street}, {ward}, {district.name}, {CITY}"
    kind = "shelter" if rng.random() < SHELTER_SHARE[district.inner] else "stop"
    name = landmark or f"{even} {street}"
    return f"Đối diện {name}" if stop["far"] else name, kind, address


def _landmark_names(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The name of the nearest landmark within LANDMARK_M of each stop, or ""."""
    places = [*TERMINALS, *JUNCTIONS, *HOSPITALS, *UNIVERSITIES, *FAMOUS_SCHOOLS]
    names = [p.name for p in places] + [f"Ga metro {s.name}" for s in METRO_STATIONS]
    lon = np.array([p.lon for p in places] + [s.lon for s in METRO_STATIONS])
    lat = np.array([p.lat for p in places] + [s.lat for s in METRO_STATIONS])
    stop, place = shapely.STRtree(shapely.points(*to_metres(lon, lat))).query_nearest(
        shapely.points(x, y), max_distance=LANDMARK_M, all_matches=False)
    out = np.full(len(x), "", dtype=object)
    out[stop] = np.array(names, dtype=object)[place]
    return out
