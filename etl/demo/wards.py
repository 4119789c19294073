"""The demo city on Ho Chi Minh City's real 2025 wards, its addresses in the 2025 form and, for a share, the old one.

Points are made where the hand-drawn districts put them (the former city) and, for a share of the facilities and
schools, in the wards of former Bình Dương and Bà Rịa - Vũng Tàu, one ward as likely as another (so denser where
wards are small). Each point then takes the 2025 ward it lies in (the nearest centroid in units of the ward's
size: the package ships centroids and areas, not boundaries) and a 2025 address, or, for OLD_FORM_SHARE of the
rows, the old form with the nearest pre-2025 ward and its district, as agencies' older files still write it.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import shapely

from common.settings import DEFAULTS
from etl.admin_units import legacy_wards, wards
from etl.demo.geo import OUTLINE, to_lonlat, to_metres
from etl.demo.names import house_number, pick
from etl.demo.places import CITY

CITY_CODE = "79"
OLD_PROVINCES = ("79", "74", "77")      # before 2025: Hồ Chí Minh City, Bình Dương, Bà Rịa - Vũng Tàu
OLD_FORM_SHARE = 0.2
OUTER_SHARE = 0.25                      # former Bình Dương and Bà Rịa - Vũng Tàu: about a quarter of the people
OUTER_SPREAD = 0.5                      # points within this share of a ward's radius around its centroid
OUTER_STREETS: tuple[str, ...] = (
    "Đại lộ Bình Dương", "Quốc lộ 13", "Quốc lộ 51", "Đường 30 Tháng 4", "Đường 3 Tháng 2", "Lê Hồng Phong",
    "Nguyễn An Ninh", "Trần Phú", "Nguyễn Văn Tiết", "Yersin", "Cách Mạng Tháng Tám", "Phú Lợi", "Hùng Vương",
    "Thùy Vân", "Võ Thị Sáu", "Nguyễn Thị Minh Khai", "Huỳnh Văn Lũy", "Mỹ Phước – Tân Vạn", "ĐT 743", "ĐT 741",
)


@cache
def city_wards() -> pd.DataFrame:
    """The city's 2025 wards inside the deployment's area (Côn Đảo lies 180 km out at sea), in the local plane."""
    west, south, east, north = DEFAULTS["AREA_BBOX"]
    frame = wards([CITY_CODE])
    frame = frame[frame["lon"].between(west, east) & frame["lat"].between(south, north)].reset_index(drop=True)
    x, y = to_metres(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    return frame.assign(x=x, y=y, radius_m=np.sqrt(frame["area_km2"].to_numpy() / math.pi) * 1000.0,
                        outer=~shapely.contains_xy(OUTLINE, frame["lon"].to_numpy(), frame["lat"].to_numpy()))


@cache
def _old_wards() -> pd.DataFrame:
    frame = legacy_wards(OLD_PROVINCES)
    x, y = to_metres(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    return frame.assign(x=x, y=y)


def ward_of(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index into city_wards() of each point: the nearest centroid in units of that ward's radius."""
    w = city_wards()
    x, y = to_metres(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    dist = np.hypot(x[:, None] - w["x"].to_numpy()[None, :], y[:, None] - w["y"].to_numpy()[None, :])
    return (dist / w["radius_m"].to_numpy()[None, :]).argmin(axis=1)


def _old_ward_of(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    old = _old_wards()
    x, y = to_metres(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.hypot(x[:, None] - old["x"].to_numpy()[None, :], y[:, None] - old["y"].to_numpy()[None, :]).argmin(1)


def near_centroid(rng: np.random.Generator, index: np.ndarray, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """A point in a disc of `spread` times each ward's radius around its centroid."""
    w = city_wards().iloc[index]
    radius = spread * w["radius_m"].to_numpy() * np.sqrt(rng.random(len(index)))
    angle = rng.random(len(index)) * 2.0 * math.pi
    return to_lonlat(w["x"].to_numpy() + radius * np.cos(angle), w["y"].to_numpy() + radius * np.sin(angle))


def outer_street(rng: np.random.Generator) -> str:
    return f"{house_number(rng, inner=False)} {pick(rng, OUTER_STREETS)}"


def move_outward(rng: np.random.Generator, frame: pd.DataFrame, movable: pd.Series) -> pd.DataFrame:
    """OUTER_SHARE of the movable rows moved to a ward of the former provinces, with a street of theirs."""
    frame = frame.copy()
    moved = movable.to_numpy(dtype=bool) & (rng.random(len(frame)) < OUTER_SHARE)
    outer = np.flatnonzero(city_wards()["outer"].to_numpy())
    wards_chosen = outer[rng.integers(0, len(outer), moved.sum())]
    frame.loc[moved, "lon"], frame.loc[moved, "lat"] = near_centroid(rng, wards_chosen, OUTER_SPREAD)
    frame.loc[moved, "address"] = [outer_street(rng) + ", -" for _ in range(moved.sum())]
    return frame


def readdress(rng: np.random.Generator, frame: pd.DataFrame, keep: pd.Series | None = None) -> pd.DataFrame:
    """Addresses and districts rewritten from each row's position: 2025 form, or the old form for a share.

    The house and street (the address up to its first comma) stay; rows in `keep` (real landmarks with their real,
    old-form addresses) stay whole.
    """
    frame = frame.copy()
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    street = frame["address"].str.split(",").str[0].str.strip()
    new = city_wards().iloc[ward_of(lon, lat)]
    old = _old_wards().iloc[_old_ward_of(lon, lat)]
    old_form = rng.random(len(frame)) < OLD_FORM_SHARE
    kept = np.zeros(len(frame), dtype=bool) if keep is None else keep.to_numpy(dtype=bool)
    new_address = street + ", " + new["name"].to_numpy() + f", {CITY}"
    old_address = street + ", " + old["ward"].to_numpy() + ", " + old["district"].to_numpy() + ", " + \
        old["province"].to_numpy()
    frame["address"] = np.where(kept, frame["address"], np.where(old_form, old_address, new_address))
    frame["district"] = np.where(kept, frame["district"], np.where(old_form, old["district"].to_numpy(), None))
    return frame
