"""Schools and universities as the Department of Education (Sở Giáo dục và Đào tạo) would list them.

Schools follow the population; names are unique within a district and level, as they are in reality, while the
same name may recur in another district ("Trường Tiểu học Lê Văn Tám" exists in several).
"""

from __future__ import annotations

import numpy as np

from etl.demo.geo import district_index, population_weights, sample_in_district, split_by_weight
from etl.demo.names import KINDERGARTEN_NAMES, NOTABLE_PEOPLE, full_address, phone, street_address, unique_names
from etl.demo.places import DISTRICTS, FAMOUS_SCHOOLS, OTHER_UNIVERSITIES, PRIVATE_UNIVERSITIES, UNIVERSITIES

# level -> (schools, name prefix, share private, students of a public school (low, high))
LEVELS = {
    "kindergarten": (600, "Trường Mầm non", 0.55, (150, 650)),
    "primary": (420, "Trường Tiểu học", 0.12, (700, 2600)),
    "lower_secondary": (270, "Trường THCS", 0.10, (800, 2400)),
    "upper_secondary": (170 - len(FAMOUS_SCHOOLS), "Trường THPT", 0.25, (900, 2300)),
}
PRIVATE_SIZE = 0.45         # private schools are smaller than public ones
UNIVERSITY_STUDENTS = (6_000, 40_000)


def schools(rng: np.random.Generator) -> list[dict]:
    """Records with id, name, kind, ownership, address, district, phone, students, lon, lat."""
    records = [*_landmarks(rng, FAMOUS_SCHOOLS, "upper_secondary", LEVELS["upper_secondary"][3])]
    for kind in LEVELS:
        records += _level(rng, kind)
    records += _landmarks(rng, UNIVERSITIES, "university", UNIVERSITY_STUDENTS)
    records += _other_universities(rng)
    for i, record in enumerate(records, start=1):
        record["id"] = f"ED-{i:06d}"
    return records


def _record(rng: np.random.Generator, name: str, kind: str, private: bool, address: str, district: str,
            students: tuple[int, int], lon: float, lat: float) -> dict:
    low, high = students
    scale = PRIVATE_SIZE if private and kind != "university" else 1.0
    return {"name": name, "kind": kind, "ownership": "private" if private else "public", "address": address,
            "district": district, "phone": phone(rng), "students": int(rng.integers(low, high) * scale),
            "lon": float(lon), "lat": float(lat)}


def _landmarks(rng: np.random.Generator, places, kind: str, students: tuple[int, int]) -> list[dict]:
    return [_record(rng, p.name, kind, p.name in PRIVATE_UNIVERSITIES, full_address(p.address, p.district),
                    p.district, students, p.lon, p.lat) | {"landmark": True} for p in places]


def _level(rng: np.random.Generator, kind: str) -> list[dict]:
    count, prefix, private_share, students = LEVELS[kind]
    famous = {s.name for s in FAMOUS_SCHOOLS}
    pool = KINDERGARTEN_NAMES if kind == "kindergarten" else \
        tuple(p for p in NOTABLE_PEOPLE if f"{prefix} {p}" not in famous)
    records = []
    for i, n in enumerate(split_by_weight(rng, population_weights(), count)):
        district = DISTRICTS[i]
        lon, lat = sample_in_district(rng, i, n)
        names = unique_names(rng, pool, n)
        for name, x, y in zip(names, lon, lat, strict=True):
            records.append(_record(rng, f"{prefix} {name}", kind, rng.random() < private_share,
                                   street_address(rng, district), district.name, students, x, y)
                           | {"movable": True})
    return records


def _other_universities(rng: np.random.Generator) -> list[dict]:
    records = []
    for name, district_name in OTHER_UNIVERSITIES:
        index = district_index(district_name)
        (lon,), (lat,) = sample_in_district(rng, index, 1)
        records.append(_record(rng, name, "university", name in PRIVATE_UNIVERSITIES,
                               street_address(rng, DISTRICTS[index]), district_name, UNIVERSITY_STUDENTS, lon, lat))
    return records
