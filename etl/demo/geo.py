"""Where things may go: the city's land, its districts, and a local metric plane to measure in.

An equirectangular plane centred on the city is accurate to well under 1 % across its 90 km, which is plenty for
spacing bus stops and much faster than a pyproj round trip for every vertex.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.ops import split

from etl.demo.places import AIRPORT, CITY_OUTLINE, DISTRICTS, RIVER

LON0, LAT0 = 106.70, 10.78
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))

OUTLINE = shapely.Polygon(CITY_OUTLINE)
RIVER_LINE = shapely.LineString(RIVER)
AIRPORT_AREA = shapely.Polygon(AIRPORT)
# The river taken as ~300 m wide keeps random points out of the water; the airport keeps them off the runways.
LAND = OUTLINE.difference(RIVER_LINE.buffer(0.0014)).difference(AIRPORT_AREA)
shapely.prepare(LAND)

# The river splits the city in two; Thủ Đức and Cần Giờ lie on its eastern bank, everything else on the western.
EAST_BANK = max(split(OUTLINE, RIVER_LINE).geoms, key=lambda g: g.centroid.x)
shapely.prepare(EAST_BANK)
_EAST_DISTRICTS = {"Thành phố Thủ Đức", "Huyện Cần Giờ"}

_ANCHORS = np.array([a for d in DISTRICTS for a in d.anchors])
_ANCHOR_EAST = np.array([d.name in _EAST_DISTRICTS for d in DISTRICTS for _ in d.anchors])
_ANCHOR_DISTRICT = np.array([i for i, d in enumerate(DISTRICTS) for _ in d.anchors])
_ANCHOR_X, _ANCHOR_Y = (_ANCHORS[:, 0] - LON0) * M_PER_DEG_LON, (_ANCHORS[:, 1] - LAT0) * M_PER_DEG_LAT
_ANCHOR_R = _ANCHORS[:, 2] * 1000.0


def to_metres(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(lon) - LON0) * M_PER_DEG_LON, (np.asarray(lat) - LAT0) * M_PER_DEG_LAT


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(x) / M_PER_DEG_LON + LON0, np.asarray(y) / M_PER_DEG_LAT + LAT0


def metric(geom: shapely.Geometry) -> shapely.Geometry:
    """A lon/lat geometry in the local metric plane."""
    return shapely.transform(geom, lambda xy: np.column_stack(to_metres(xy[:, 0], xy[:, 1])))


def neighbours(x: np.ndarray, y: np.ndarray, distance: float, *, later: bool) -> list[np.ndarray]:
    """For each point, the points within `distance` that come after it (`later`) or before it in the order.

    Both the junction thinning and the stop merging walk the points in order and decide each one by
    its neighbours on one side; one STRtree query serves the whole walk.
    """
    points = shapely.points(x, y)
    left, right = shapely.STRtree(points).query(points, predicate="dwithin", distance=distance)
    side = right > left if later else right < left
    left, right = left[side], right[side]
    order = np.argsort(left, kind="stable")
    left, right = left[order], right[order]
    starts = np.searchsorted(left, np.arange(len(x) + 1))
    return [right[starts[i]:starts[i + 1]] for i in range(len(x))]


def district_of(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index into DISTRICTS of each point: the district of the anchor nearest in units of that anchor's radius.

    Scaling by radius lets a large suburban district claim the land around it without swallowing the small
    inner-city districts next to it, and only anchors on the point's bank of the river count: a cheap stand-in
    for real boundaries.
    """
    lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
    x, y = to_metres(lon, lat)
    dist = np.hypot(x[:, None] - _ANCHOR_X[None, :], y[:, None] - _ANCHOR_Y[None, :]) / _ANCHOR_R[None, :]
    east = shapely.contains_xy(EAST_BANK, lon, lat)
    dist[east[:, None] != _ANCHOR_EAST[None, :]] = np.inf
    return _ANCHOR_DISTRICT[dist.argmin(axis=1)]


def sample_in_district(rng: np.random.Generator, index: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points on land that belong to district `index`, a little denser towards the anchors' centres."""
    anchors = np.array(DISTRICTS[index].anchors)
    area = anchors[:, 2] ** 2
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    found = 0
    while found < n:
        batch = 4 * (n - found) + 16
        lon0, lat0, radius_km = anchors[rng.choice(len(anchors), size=batch, p=area / area.sum())].T
        radius = 1.4 * radius_km * 1000.0 * rng.random(batch) ** 0.65
        angle = rng.random(batch) * 2.0 * math.pi
        lon = lon0 + radius * np.cos(angle) / M_PER_DEG_LON
        lat = lat0 + radius * np.sin(angle) / M_PER_DEG_LAT
        keep = shapely.contains_xy(LAND, lon, lat)
        keep[keep] &= district_of(lon[keep], lat[keep]) == index
        lons.append(lon[keep])
        lats.append(lat[keep])
        found += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def split_by_weight(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """How many of `n` features each district gets: proportional to weight, rounded at random."""
    share = np.asarray(weights, dtype=float) / np.sum(weights) * n
    counts = np.floor(share).astype(int)
    rest = n - counts.sum()
    if rest:
        extra = rng.choice(len(share), size=rest, replace=False, p=(share - counts) / (share - counts).sum())
        counts[extra] += 1
    return counts


def sample_by_weight(rng: np.random.Generator, weights: np.ndarray, n: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(district index, lon, lat) of `n` points spread over the districts by weight."""
    counts = split_by_weight(rng, weights, n)
    parts = [(np.full(c, i), *sample_in_district(rng, i, c)) for i, c in enumerate(counts) if c]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def population_weights(inner_factor: float = 1.0) -> np.ndarray:
    """District weights by population, with the inner city counted `inner_factor` times (where the hospitals are)."""
    return np.array([d.population_k * (inner_factor if d.inner else 1.0) for d in DISTRICTS], dtype=float)


def district_index(name: str) -> int:
    return next(i for i, d in enumerate(DISTRICTS) if d.name == name)
