"""The walking model: geodesic distance times a street detour factor, at a walking speed.

There is no street graph, so a walk is as long as the straight line on the ellipsoid times DETOUR (1.3, the
usual ratio of street to straight-line distance in a city grid). Candidates are found in a local metric
plane (an STRtree over the stops), then measured exactly on the WGS84 ellipsoid.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod

DETOUR = 1.3
WALK_SPEED = 1.2  # m/s
_GEOD = Geod(ellps="WGS84")
_EARTH_M = 6_371_008.8
_MARGIN = 1.01  # the metric plane's distances are within 1 % of the ellipsoid's over a city


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2], dtype=float)


def walk_m(geodesic: np.ndarray | float) -> np.ndarray | float:
    """How far one walks to cover a straight-line distance."""
    return np.multiply(geodesic, DETOUR)


class StopIndex:
    """Stops in a local metric plane, to find those within a distance of a place or of each other."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray):
        self.lon, self.lat = lon, lat
        self._lat0 = float(np.radians(np.mean(lat))) if len(lat) else 0.0
        self._tree = shapely.STRtree(self._points(lon, lat))

    def _points(self, lon, lat) -> np.ndarray:
        x = np.radians(lon) * np.cos(self._lat0) * _EARTH_M
        y = np.radians(lat) * _EARTH_M
        return shapely.points(x, y)

    def near(self, lon: float, lat: float, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the stops within `radius_m` (geodesic) of the place, and their distances."""
        found = self._tree.query(self._points(np.array([lon]), np.array([lat]))[0], predicate="dwithin",
                                 distance=radius_m * _MARGIN)
        metres = geodesic_m(np.full(len(found), lon), np.full(len(found), lat), self.lon[found], self.lat[found])
        keep = metres <= radius_m
        return found[keep].astype(np.int64), metres[keep]

    def nearest_m(self, lon: float, lat: float) -> float:
        """Geodesic metres to the nearest stop (infinite without stops)."""
        if not len(self.lon):
            return float("inf")
        stop = int(self._tree.query_nearest(self._points(np.array([lon]), np.array([lat]))[0])[0])
        return float(geodesic_m(lon, lat, self.lon[stop], self.lat[stop]))

    def near_many(self, lon: np.ndarray, lat: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray,
                                                                                     np.ndarray]:
        """(place index, stop index, geodesic metres) for every stop within `radius_m` of each place."""
        place, stop = self._tree.query(self._points(lon, lat), predicate="dwithin", distance=radius_m * _MARGIN)
        metres = geodesic_m(lon[place], lat[place], self.lon[stop], self.lat[stop])
        keep = metres <= radius_m
        return place[keep], stop[keep], metres[keep]

    def pairs_within(self, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every ordered pair of distinct stops within `radius_m`, as CSR: (start per stop, to, metres)."""
        source, target, metres = self.near_many(self.lon, self.lat, radius_m)
        other = source != target
        source, target, metres = source[other], target[other], metres[other]
        order = np.lexsort((target, source))
        source, target, metres = source[order], target[order], metres[order]
        start = np.searchsorted(source, np.arange(len(self.lon) + 1))
        return start.astype(np.int64), target.astype(np.int64), metres.astype(np.float64)
