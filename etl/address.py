"""Address normalisation: each row's address -> its 2025 ward, ward code and province.

Agencies' files name places in two ways: the 2025 form ("…, Phường Sài Gòn, Thành phố Hồ Chí Minh") and the old,
district-based form ("…, P. Bến Nghé, Q.1, TP.HCM"). The second-to-last part tells them apart: a ward
(phường, xã, đặc khu) there means the 2025 form, anything else (a district) the old one, which is converted with
`vietnamadminunits`. Only the administrative tail is given to the package: with a street it would geocode
divided wards over the network. Rows that cannot be read are loaded as they are and listed in the report.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from vietnamadminunits import ConvertMode, ParseMode, convert_address, parse_address

from etl.admin_units import wards
from etl.report import LoadReport
from layers import Layer

DERIVED_FIELDS = ("ward", "ward_code", "province")
_WARD_PREFIX = re.compile(r"^(phuong|xa|dac khu|p\.|p\s|x\.)")
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Resolved:
    ward: str
    ward_code: str
    province: str
    converted: bool


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower().strip()


@lru_cache(maxsize=20_000)
def resolve(address: str) -> Resolved | str:
    """The 2025 unit of an address, or the reason it could not be read (in English and Vietnamese)."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    if len(parts) < 2:
        return "no ward and province in the address / địa chỉ thiếu phường, xã và tỉnh, thành phố"
    new_form = bool(_WARD_PREFIX.match(_fold(parts[-2])))
    if new_form:
        unit = parse_address(", ".join(parts[-2:]), mode=ParseMode.FROM_2025, keep_street=False)
    elif len(parts) >= 3:
        unit = convert_address(", ".join(parts[-3:]), mode=ConvertMode.CONVERT_2025)
    else:
        return "no ward before the province / không có phường, xã trước tỉnh, thành phố"
    if not unit.ward_code:
        return ("ward not recognised / không nhận ra phường, xã" if unit.province_code
                else "province not recognised / không nhận ra tỉnh, thành phố")
    return Resolved(unit.ward, unit.ward_code, unit.province, not new_form)


@cache
def _centroids() -> pd.DataFrame:
    return wards().set_index("code")[["lon", "lat", "area_km2"]]


def applies(layer: Layer) -> bool:
    """Layers with an address and the fields the normalisation fills."""
    return layer.field("address") is not None and all(layer.field(f) for f in DERIVED_FIELDS)


def normalise(frame: pd.DataFrame, layer: Layer, report: LoadReport, first_row: int, distance_factor: float
              ) -> pd.DataFrame:
    """Fill ward, ward_code and province from each row's address; report what could not be read or looks wrong."""
    if frame.empty or not applies(layer):
        return frame
    frame = frame.copy()
    resolved = frame["address"].map(lambda a: resolve(a) if isinstance(a, str) else None)
    rows = frame.index.to_numpy() + first_row
    for row, address, result in zip(rows, frame["address"], resolved, strict=True):
        if isinstance(result, str):
            report.address_issue(int(row), address, result)
        elif result is not None:
            report.addresses_normalised += 1
            report.addresses_converted += result.converted
    found = resolved.map(lambda r: isinstance(r, Resolved))
    for name in DERIVED_FIELDS:
        frame.loc[found, name] = resolved[found].map(lambda r, n=name: getattr(r, n))
    _check_distance(frame.loc[found], rows[found.to_numpy()], report, distance_factor)
    return frame


def _check_distance(frame: pd.DataFrame, rows: np.ndarray, report: LoadReport, factor: float) -> None:
    """Warn about rows whose point lies far from their address's ward, in units of the ward's size."""
    if frame.empty:
        return
    ward = _centroids().reindex(frame["ward_code"])
    points = frame["geom"].to_numpy()
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    _, _, metres = _GEOD.inv(lon, lat, ward["lon"].to_numpy(), ward["lat"].to_numpy())
    limit = factor * np.sqrt(ward["area_km2"].fillna(1.0).to_numpy() / math.pi) * 1000.0
    for i in np.flatnonzero(metres > limit):
        report.warn(f"row {int(rows[i])}: the point is {metres[i] / 1000:.1f} km from the centroid of "
                    f"{frame['ward'].iloc[i]} ({frame['ward_code'].iloc[i]}), more than {limit[i] / 1000:.1f} km / "
                    f"điểm cách tâm {frame['ward'].iloc[i]} {metres[i] / 1000:.1f} km")
