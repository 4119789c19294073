"""Vietnam's administrative units, read from the `vietnamadminunits` package (never copied into this repository).

The package ships a SQLite file with every post-2025 ward/commune (3,321, with code, centroid and area) and every
pre-2025 ward with its district (10,040). This module is the one place that reads it, and imports it on first
use: the package takes 0.3 s and some 30 MB to import (geopy, aiohttp and requests come with it), which a load
whose addresses name no ward, or that has no address at all, never needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

if TYPE_CHECKING:
    from vietnamadminunits.parser.objects import AdminUnit

ALL_PROVINCES = "all"
KINDS = {"Phường": "ward", "Xã": "commune", "Đặc khu": "special_zone"}
WARD_COLUMNS = ["code", "name", "kind", "province", "province_code", "area_km2"]


def _query(statement: str) -> list[dict]:
    from vietnamadminunits.database import query

    return query(statement)


def parse_2025(tail: str) -> AdminUnit:
    """The unit of an address's tail in the 2025 form ("Phường Sài Gòn, Thành phố Hồ Chí Minh")."""
    from vietnamadminunits import ParseMode, parse_address

    return parse_address(tail, mode=ParseMode.FROM_2025, keep_street=False)


def convert_legacy(tail: str) -> AdminUnit:
    """The 2025 unit of an address's tail in the old form ("P. Bến Nghé, Q.1, TP.HCM")."""
    from vietnamadminunits import ConvertMode, convert_address

    return convert_address(tail, mode=ConvertMode.CONVERT_2025)


def province_codes(provinces: Iterable[str] | str) -> list[str] | None:
    """Two-digit province codes, or None for the whole country ("all")."""
    if isinstance(provinces, str):
        provinces = [p.strip() for p in provinces.split(",") if p.strip()]
    provinces = list(provinces)
    if not provinces or ALL_PROVINCES in provinces:
        return None
    codes = [str(p).zfill(2) for p in provinces]
    if not all(c.isdigit() and len(c) == 2 for c in codes):
        raise ValueError(f"province codes are two digits, e.g. 79 (got {', '.join(codes)})")
    return codes


def _in_provinces(column: str, provinces: Iterable[str] | str) -> str:
    """A condition on province codes; codes are checked to be digits (the package's SQLite takes no parameters)."""
    codes = province_codes(provinces)
    return "1 = 1" if codes is None else f"{column} IN ({', '.join(repr(c) for c in codes)})"


def wards(provinces: Iterable[str] | str = ALL_PROVINCES) -> pd.DataFrame:
    """The 2025 wards and communes of `provinces` (codes) or of the whole country: code, name, kind, ... lon, lat."""
    rows = _query("SELECT wardCode AS code, ward AS name, wardType AS kind, province, provinceCode AS province_code,"
                 " wardAreaKm2 AS area_km2, wardLon AS lon, wardLat AS lat FROM admin_units WHERE "
                 + _in_provinces("provinceCode", provinces) + " ORDER BY wardCode")
    frame = pd.DataFrame(rows)
    frame["kind"] = frame["kind"].map(KINDS)
    return frame


def legacy_wards(provinces: Iterable[str]) -> pd.DataFrame:
    """The pre-2025 wards of `provinces` (old codes) with their district: ward, district, province, lon, lat."""
    rows = _query("SELECT ward, district, province, wardLon AS lon, wardLat AS lat FROM admin_units_legacy WHERE "
                 + _in_provinces("provinceCode", provinces) + " AND wardLat IS NOT NULL ORDER BY wardCode")
    return pd.DataFrame(rows)


def write_wards_file(path: Path, provinces: Iterable[str] | str = ALL_PROVINCES) -> Path:
    """The wards as a GeoJSON of centroid points with id = ward code, ready for the ETL like an agency's file."""
    frame = wards(provinces)
    geometry = shapely.points(frame.pop("lon").to_numpy(), frame.pop("lat").to_numpy())
    out = gpd.GeoDataFrame(frame.rename(columns={"code": "id"}).assign(code=frame["code"]),
                           geometry=geometry, crs="EPSG:4326")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    out.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def wards_area(path: Path, margin: float = 0.01) -> tuple[float, float, float, float]:
    """The extent of a wards file, a little wider: the area its load accepts."""
    west, south, east, north = pyogrio.read_info(path, force_total_bounds=True)["total_bounds"]
    return west - margin, south - margin, east + margin, north + margin
