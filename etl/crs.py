"""Bring geometries to EPSG:4326 (lon/lat order, as RFC 7946 wants)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyproj
import shapely

from etl.errors import LoadRefused

WGS84 = pyproj.CRS.from_epsg(4326)


def resolve(declared: str | None, source: str) -> pyproj.CRS:
    """The file's CRS as pyproj understands it; a missing one is taken as WGS84 lon/lat."""
    if not declared:
        return WGS84
    try:
        return pyproj.CRS.from_user_input(declared)
    except pyproj.exceptions.CRSError as exc:
        raise LoadRefused(f"unknown coordinate system {declared!r}; pass --crs EPSG:nnnn",
                          f"hệ tọa độ không xác định {declared!r}; hãy chỉ định --crs EPSG:nnnn",
                          source=source) from exc


@lru_cache(maxsize=16)
def _transformer(crs_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_wkt(crs_wkt), WGS84, always_xy=True)


def to_wgs84(geometries: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Reproject a geometry array; a no-op when it already is WGS84."""
    if crs.equals(WGS84, ignore_axis_order=True):
        return geometries
    transformer = _transformer(crs.to_wkt())
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def describe(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name
