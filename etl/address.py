"""Address normalisation: each row's address -> its 2025 ward, ward code and province.

Agencies' files name places in two ways: the 2025 form ("…, Phường Sài Gòn, Thành phố Hồ Chí Minh") and the old,
district-based form ("…, P. Bến Nghé, Q.1, TP.HCM"). The second-to-last part tells them apart: a ward
(phường, xã, đặc khu) there means the 2025 form, anything else (a district) the old one, which is converted with
`vietnamadminunits` (through etl.admin_units). Only the administrative tail is given to the package: with a
street it would geocode divided wards over the network. Rows that cannot be read are loaded as they are and
listed in the report.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Geod

from etl.admin_units import convert_legacy, parse_2025, wards
from etl.report import MAX_LISTED_WARNINGS, LoadReport
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
        unit = parse_2025(", ".join(parts[-2:]))
    elif len(parts) >= 3:
        unit = convert_legacy(", ".join(parts[-3:]))
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


_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())  # what str.strip() strips


def _last_parts(addresses: pa.Array) -> list[pa.Array]:
    """The last, second-to-last and third-to-last parts of each address, as `resolve` splits it (null if none)."""
    parts = pc.split_pattern(addresses, ",")
    flat = pc.utf8_trim(pc.list_flatten(parts), _SPACES)
    kept = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    counts = np.bincount(pc.list_parent_indices(parts).to_numpy()[kept], minlength=len(addresses))
    ends, flat = np.cumsum(counts), flat.filter(pa.array(kept))
    return [pc.take(flat, pa.array(ends - k, mask=counts < k)) for k in (1, 2, 3)]


def _lookup_keys(addresses: pd.Series) -> pa.Array:
    """Per row, the tail of its address that `resolve` reads, so that rows in one ward share one lookup.

    The 2025 form is read from its last two parts, the old form from its last three; an address without two
    parts keys as "" (resolve says why); a missing address stays missing.
    """
    text = pa.array(addresses, type=pa.string(), from_pandas=True)
    last, second, third = _last_parts(text)
    seconds = pc.dictionary_encode(second)
    new_form = pa.array([bool(_WARD_PREFIX.match(_fold(p))) for p in seconds.dictionary.to_pylist()], pa.bool_())
    keys = pc.if_else(pc.fill_null(pc.take(new_form, seconds.indices), False),
                      pc.binary_join_element_wise(second, last, ", "),
                      pc.binary_join_element_wise(pc.fill_null(third, ""), second, last, ", "))
    keys = pc.if_else(pc.is_null(second), "", keys)
    return pc.if_else(pc.is_valid(text), keys, pa.scalar(None, pa.string()))


def normalise(frame: pd.DataFrame, layer: Layer, report: LoadReport, first_row: int, distance_factor: float
              ) -> pd.DataFrame:
    """Fill ward, ward_code and province from each row's address; report what could not be read or looks wrong."""
    if frame.empty or not applies(layer):
        return frame
    frame = frame.copy()
    keys = pc.dictionary_encode(_lookup_keys(frame["address"]))
    outcomes = [resolve(k) for k in keys.dictionary.to_pylist()] + [None]  # a missing address takes the last
    codes = pc.fill_null(keys.indices, len(outcomes) - 1).to_numpy()
    resolved = np.array([isinstance(o, Resolved) for o in outcomes])[codes]
    unread = np.array([isinstance(o, str) for o in outcomes])[codes]
    rows = frame.index.to_numpy() + first_row
    at = np.flatnonzero(unread)
    report.addresses_not_understood(rows[at], (frame["address"].iat[i] for i in at), (outcomes[c] for c in codes[at]))
    report.addresses_normalised += int(resolved.sum())
    report.addresses_converted += int(np.array([getattr(o, "converted", False) for o in outcomes])[codes].sum())
    for name in DERIVED_FIELDS:
        values = np.array([getattr(o, name, None) for o in outcomes], dtype=object)[codes]
        frame.loc[resolved, name] = values[resolved]
    _check_distance(frame["geom"].to_numpy()[resolved], outcomes, codes[resolved], rows[resolved], report,
                    distance_factor)
    return frame


# Metres per degree of a great circle on the mean Earth radius: the screen before the exact (WGS84) distance.
_METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180
_SCREEN = 0.98  # the screen's distance is within 1 % of the ellipsoid's at a city's scale


def _check_distance(points: np.ndarray, outcomes: list, codes: np.ndarray, rows: np.ndarray, report: LoadReport,
                    factor: float) -> None:
    """Warn about rows whose point lies far from their address's ward, in units of the ward's size.

    The wards' centroids and limits are looked up once per outcome; every row is screened with the flat
    (equirectangular) distance, and only those near or past their limit measured on the ellipsoid."""
    if len(points) == 0:
        return
    ward = _centroids().reindex([getattr(o, "ward_code", None) for o in outcomes])
    lon0, lat0 = ward["lon"].to_numpy()[codes], ward["lat"].to_numpy()[codes]
    limit = (factor * np.sqrt(ward["area_km2"].fillna(1.0).to_numpy() / math.pi) * 1000.0)[codes]
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    flat = _METRES_PER_DEGREE * np.hypot((lon - lon0) * np.cos(np.radians(lat0)), lat - lat0)
    near = np.flatnonzero(flat > _SCREEN * limit)
    _, _, metres = _GEOD.inv(lon[near], lat[near], lon0[near], lat0[near])
    far = metres > limit[near]
    for i, m in list(zip(near[far], metres[far], strict=True))[:MAX_LISTED_WARNINGS]:
        o = outcomes[codes[i]]
        report.warn(f"row {int(rows[i])}: the point is {m / 1000:.1f} km from the centroid of {o.ward} "
                    f"({o.ward_code}), more than {limit[i] / 1000:.1f} km / điểm cách tâm {o.ward} {m / 1000:.1f} km")
