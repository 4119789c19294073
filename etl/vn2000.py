"""VN-2000 as tools really write it: the zone is known from its projection, whatever the datum is called.

VN-2000 uses the WGS 84 ellipsoid, so a `.prj` that loses the datum (GDAL keeps a custom CRS's shift only
inside the datum's name, MapInfo and old tools write "unknown" or their own names) reads as WGS 84 and
lands 200 m or more off. A Transverse Mercator with a VN-2000 zone's parameters on that ellipsoid, with a
datum that is not plainly WGS 84, is that zone: it gets the official shift, and the report says so.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import pyproj
from pyproj.database import query_crs_info

# VN-2000 -> WGS84, Decision 05/2007/QĐ-BTNMT: EPSG:6960 (coordinate frame rotation); PROJ's +towgs84 reads
# position vector rotations, so their signs are flipped here. Both give the same point.
OFFICIAL_SHIFT = 6960
VN2000_DATUM = 6756
VN2000_TOWGS84 = "-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278"
_WGS84_DATUMS = {"wgs84", "wgs_84", "wgs_1984", "d_wgs_1984", "world_geodetic_system_1984",
                  "world_geodetic_system_1984_ensemble"}
_NO_SHIFT = re.compile(r"towgs84(?:_0)+$")  # GDAL's name for a custom CRS with +towgs84=0,0,0: WGS 84 itself
_UTM = {105.0: 3405, 111.0: 3406}  # VN-2000 / UTM zone 48N and 49N
_TM3_SCALE = 0.9999
_UTM_SCALE = 0.9996


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _tm_parameters(crs: pyproj.CRS) -> dict[str, float] | None:
    operation = crs.coordinate_operation
    if operation is None or "transverse mercator" not in operation.method_name.lower():
        return None
    return {p.name.lower(): float(p.value) for p in operation.params}


@cache
def tm3_zones() -> dict[float, int]:
    """Central meridian -> EPSG code of every VN-2000 provincial 3-degree zone (k = 0.9999) EPSG knows."""
    zones = {}
    for info in query_crs_info(auth_name="EPSG"):
        if info.name.startswith("VN-2000 / TM-3"):
            params = _tm_parameters(pyproj.CRS.from_epsg(int(info.code))) or {}
            if "longitude of natural origin" in params:
                zones.setdefault(round(params["longitude of natural origin"], 6), int(info.code))
    return zones


@lru_cache(maxsize=64)
def vn2000_tm3(meridian: float) -> pyproj.CRS:
    """The provincial VN-2000 3-degree zone with this central meridian (EPSG code when there is one)."""
    code = tm3_zones().get(round(meridian, 6))
    if code is not None:
        return pyproj.CRS.from_epsg(code)
    return pyproj.CRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0={meridian} +k={_TM3_SCALE} +x_0=500000 +y_0=0 "
                                 f"+ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs")


def _plainly_wgs84(datum: pyproj.crs.Datum) -> bool:
    """WGS 84 by name, or GDAL's name for a zero shift; any other name on this ellipsoid may be VN-2000.

    GDAL writes a custom CRS's shift into the datum's name with its commas and decimal points both as
    `_`, so the numbers cannot be read back (nor compared once a tool has rounded them)."""
    name = _fold(datum.name)
    return name in _WGS84_DATUMS or bool(_NO_SHIFT.search(name))


def zone_for(crs: pyproj.CRS) -> pyproj.CRS | None:
    """The VN-2000 zone a projected CRS means, or None when it is not one (or says it is WGS 84)."""
    params = _tm_parameters(crs) if crs.is_projected else None
    ellipsoid = crs.ellipsoid
    if params is None or ellipsoid is None or crs.datum is None or _plainly_wgs84(crs.datum):
        return None
    if abs(ellipsoid.semi_major_metre - 6378137.0) > 1e-3 or abs(ellipsoid.inverse_flattening - 298.257223563) > 1e-6:
        return None
    if params.get("latitude of natural origin", 0.0) != 0.0 or params.get("false easting") != 500000.0 \
            or params.get("false northing", 0.0) != 0.0:
        return None
    meridian = round(params.get("longitude of natural origin", 0.0), 6)
    scale = params.get("scale factor at natural origin")
    if scale == _TM3_SCALE and meridian in tm3_zones():
        return pyproj.CRS.from_epsg(tm3_zones()[meridian])
    if scale == _UTM_SCALE and meridian in _UTM:
        return pyproj.CRS.from_epsg(_UTM[meridian])
    return None


def describe_assumption(crs: pyproj.CRS, zone: pyproj.CRS) -> str:
    """The report's note, bilingual: what the file said and what it was taken as."""
    params = _tm_parameters(crs) or {}
    meridian = params.get("longitude of natural origin", 0.0)
    degrees, minutes = int(meridian), round((meridian % 1) * 60)
    said = (f"Transverse Mercator, central meridian {degrees}°{minutes:02d}', "
            f"k={params.get('scale factor at natural origin', 0):g}, datum {crs.datum.name!r}")
    return (f"the file's coordinate system ({said}) was taken as {zone.name} (EPSG:{zone.to_epsg()}) with the "
            f"official shift to WGS 84 / hệ tọa độ của tệp ({said}) được hiểu là {zone.name} "
            f"(EPSG:{zone.to_epsg()}) với tham số chuyển đổi chính thức sang WGS 84")


def declared_fully(code: int) -> bool:
    """An exact EPSG match that needs no guessing: a VN-2000 CRS itself, or one on WGS 84."""
    declared = pyproj.CRS.from_epsg(code)
    return "VN-2000" in declared.name or (declared.datum is not None and _plainly_wgs84(declared.datum))


def with_official_shift(crs: pyproj.CRS) -> pyproj.CRS:
    """A CRS on the VN-2000 datum, bound to the official shift: PROJ would otherwise pick, point by point, the
    most accurate shift it knows, which around Ho Chi Minh City is an oil-field one 0.8 m away."""
    datum = crs.datum
    if crs.is_bound or datum is None or datum != pyproj.crs.Datum.from_epsg(VN2000_DATUM):
        return crs
    shift = pyproj.crs.CoordinateOperation.from_epsg(OFFICIAL_SHIFT)
    return pyproj.crs.BoundCRS(crs, pyproj.CRS.from_epsg(4326), shift)
