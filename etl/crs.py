"""Bring geometries to EPSG:4326 (lon/lat order, as RFC 7946 wants), VN-2000 included with its datum shift."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pyproj
import shapely

from etl.errors import LoadRefused
from etl.vn2000 import declared_fully, describe_assumption, vn2000_tm3, with_official_shift, zone_for

WGS84 = pyproj.CRS.from_epsg(4326)
# Vietnam with its islands, in lon/lat: a file without a CRS must lie plainly inside (or inside the deployment area).
VIETNAM = (102.0, 6.0, 117.5, 23.5)
_VN2000 = re.compile(r"^\s*vn[-_ ]?2000\s*(?:[:/ ]\s*(?:tm-?3\s*)?(?P<meridian>[\d.°'\- ]+))?\s*$", re.IGNORECASE)
_HINT_EN = "pass --crs, e.g. EPSG:4326 (lon/lat), EPSG:3405 (VN-2000 UTM 48N) or VN2000:105.75 (VN-2000 TM-3 105°45')"
_HINT_VI = "hãy chỉ định --crs, ví dụ EPSG:4326 (kinh độ/vĩ độ), EPSG:3405 (VN-2000 UTM 48N) hoặc VN2000:105.75 " \
           "(VN-2000 TM-3 105°45')"


def _meridian(text: str) -> float:
    """105.75, 105-45, 105°45' or 105 45 -> decimal degrees."""
    parts = [p for p in re.split(r"[°'\- ]+", text.strip()) if p]
    degrees = float(parts[0])
    return degrees + (float(parts[1]) / 60 if len(parts) > 1 else 0.0)


def resolve(declared: str | None, source: str) -> pyproj.CRS | None:
    """The CRS as pyproj understands it (`VN2000` and `VN2000:<meridian>` too); None when nothing is declared."""
    if not declared:
        return None
    match = _VN2000.match(declared)
    try:
        if match:
            return vn2000_tm3(_meridian(match["meridian"])) if match["meridian"] else pyproj.CRS.from_epsg(4756)
        return pyproj.CRS.from_user_input(declared)
    except (pyproj.exceptions.CRSError, ValueError) as exc:
        raise LoadRefused(f"unknown coordinate system {declared!r}; {_HINT_EN}",
                          f"hệ tọa độ không xác định {declared!r}; {_HINT_VI}", source=source) from exc


def identify(crs: pyproj.CRS) -> tuple[pyproj.CRS, str | None]:
    """A VN-2000 zone written without its datum (a common .prj) becomes the EPSG one, so the shift applies."""
    exact = crs.to_epsg(min_confidence=100)
    if not crs.is_projected or (exact is not None and declared_fully(exact)):
        return crs, None
    zone = zone_for(crs)
    if zone is not None:
        return zone, describe_assumption(crs, zone)
    code = crs.to_epsg()
    if code is None:
        return crs, None
    candidate = pyproj.CRS.from_epsg(code)
    if "VN-2000" not in candidate.name:
        return crs, None
    return candidate, f"the file's coordinate system was taken as EPSG:{code} ({candidate.name})"


class Unreferenced:
    """The axis order of a file without a CRS, from the majority of its points so far, chunk after chunk.

    Most, not all: a few bad rows among hundreds of good ones are rejected one by one (etl.validate), and
    the file loads; once most of the points read are neither lon/lat nor lat/lon inside Vietnam (or the
    deployment area), the file is refused, in whichever chunk that happens.
    """

    def __init__(self, area: tuple[float, float, float, float], source: str) -> None:
        self.area, self.source = area, source
        self.points = self.lonlat = self.latlon = 0
        self.first: tuple[float, float] | None = None
        self.swapped: bool | None = None

    def observe(self, geoms: np.ndarray) -> bool | None:
        """Count this chunk's points and return the order (None while no point has been seen)."""
        present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
        if len(present):
            bounds = shapely.bounds(present)
            self.points += len(bounds)
            self.lonlat += int(_inside(bounds, self.area).sum())
            self.latlon += int(_inside(bounds[:, [1, 0, 3, 2]], self.area).sum())
            self.first = self.first or (float(bounds[0, 0]), float(bounds[0, 1]))
            self.swapped = self._verdict()
        return self.swapped

    def to_lonlat(self, geoms: np.ndarray) -> np.ndarray:
        return swap_xy(geoms) if self.observe(geoms) else geoms

    def _verdict(self) -> bool:
        if self.swapped is not True and 2 * self.lonlat > self.points:
            return False
        if self.swapped is not False and 2 * self.latlon > self.points:
            return True
        x, y = self.first
        raise LoadRefused(f"the file declares no coordinate system and only {self.lonlat} of its {self.points} "
                          f"points read are lon/lat inside Vietnam (the first: x {x:g}, y {y:g}); {_HINT_EN}",
                          f"tệp không khai báo hệ tọa độ và chỉ {self.lonlat} trên {self.points} điểm đã đọc là "
                          f"kinh độ/vĩ độ trong Việt Nam (điểm đầu: x {x:g}, y {y:g}); {_HINT_VI}", source=self.source)


def _inside(bounds: np.ndarray, area: tuple[float, float, float, float]) -> np.ndarray:
    """Per geometry (rows of xmin, ymin, xmax, ymax): inside Vietnam or inside the deployment's area."""
    return np.logical_or.reduce([(bounds[:, 0] >= box[0]) & (bounds[:, 1] >= box[1]) & (bounds[:, 2] <= box[2])
                                 & (bounds[:, 3] <= box[3]) for box in (VIETNAM, area)])


def swap_xy(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: xy[:, ::-1])


@lru_cache(maxsize=16)
def _transformer(crs_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(with_official_shift(pyproj.CRS.from_wkt(crs_wkt)), WGS84, always_xy=True)


def to_wgs84(geometries: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Reproject a geometry array; a no-op when it already is WGS84."""
    if crs.equals(WGS84, ignore_axis_order=True):
        return geometries
    transformer = _transformer(crs.to_wkt())
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def describe(crs: pyproj.CRS | None) -> str:
    if crs is None:
        return "none (lon/lat assumed)"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name
