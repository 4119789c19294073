"""Health facilities as the Department of Health (Sở Y tế) would list them.

Real hospitals sit at their real places; every district has its district hospital; every 2025 ward its health
station; the rest is spread over the districts by population (hospitals lean towards the inner city, where most of
them are), and private hospitals, clinics and pharmacies partly over the former provinces (etl.demo.wards).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from etl.demo.geo import district_of, population_weights, sample_by_weight, sample_in_district
from etl.demo.names import CLINIC_TYPES, TRADE_NAMES, branch_names, full_address, phone, pick, street_address
from etl.demo.places import DISTRICTS, HOSPITALS, District
from etl.demo.wards import city_wards, near_centroid, outer_street

CLINICS = 120
STATION_SPREAD = 0.25       # a ward's station stands near its centre
MOVABLE = {"hospital", "clinic", "vaccination", "pharmacy"}
VACCINATION_POINTS = 100
PHARMACIES = 150
PRIVATE_HOSPITALS = 60 - len(HOSPITALS) - len(DISTRICTS) + 1     # one district hospital is already a landmark
HOSPITAL_KINDS = ("Bệnh viện Đa khoa", "Bệnh viện Đa khoa Quốc tế", "Bệnh viện Chuyên khoa Mắt",
                  "Bệnh viện Phụ sản", "Bệnh viện Nhi")

HOURS = {
    "hospital": ("Mo-Su 00:00-24:00",),
    "clinic": ("Mo-Sa 07:00-20:00", "Mo-Fr 07:00-17:00; Sa 07:00-11:30", "Mo-Su 07:00-21:00",
               "Mo-Fr 17:00-20:00; Sa,Su 07:00-11:00"),
    "commune_health_station": ("Mo-Fr 07:00-17:00; Sa 07:00-11:30",),
    "vaccination": ("Mo-Su 07:30-17:00", "Mo-Sa 07:30-11:30,13:30-16:30", "Mo-Fr 07:30-11:00,13:30-16:00"),
    "pharmacy": ("Mo-Su 06:30-22:00", "Mo-Su 07:00-22:00", "Mo-Su 00:00-24:00", "Mo-Su 06:00-21:30"),
}


def health_facilities(rng: np.random.Generator) -> list[dict]:
    """Records with id, name, kind, address, district, phone, opening_hours, lon, lat."""
    records = [*_landmark_hospitals(rng), *_district_hospitals(rng),
               *_spread(rng, "hospital", PRIVATE_HOSPITALS, _hospital_names),
               *_spread(rng, "clinic", CLINICS, _clinic_names), *_commune_stations(rng),
               *_spread(rng, "vaccination", VACCINATION_POINTS, _vaccination_names),
               *_spread(rng, "pharmacy", PHARMACIES, _pharmacy_names)]
    for i, record in enumerate(records, start=1):
        record["id"] = f"HC-{i:06d}"
    return records


def _record(rng: np.random.Generator, name: str, kind: str, address: str, district: str, lon: float, lat: float
            ) -> dict:
    return {"name": name, "kind": kind, "address": address, "district": district,
            "phone": phone(rng, mobile_share=0.5 if kind == "pharmacy" else 0.0),
            "opening_hours": pick(rng, HOURS[kind]), "lon": float(lon), "lat": float(lat)}


def _landmark_hospitals(rng: np.random.Generator) -> list[dict]:
    return [_record(rng, h.name, "hospital", full_address(h.address, h.district), h.district, h.lon, h.lat)
            | {"landmark": True} for h in HOSPITALS]


def _district_hospitals(rng: np.random.Generator) -> list[dict]:
    """"Bệnh viện Quận 8", "Bệnh viện Huyện Củ Chi": one per district, unless it is already a landmark."""
    known = {h.name for h in HOSPITALS}
    records = []
    for i, district in enumerate(DISTRICTS):
        name = f"Bệnh viện {district.name}"
        if name not in known:
            (lon,), (lat,) = sample_in_district(rng, i, 1)
            records.append(_record(rng, name, "hospital", street_address(rng, district), district.name, lon, lat))
    return records


def _spread(rng: np.random.Generator, kind: str, count: int,
            namer: Callable[[np.random.Generator, list[District]], list[str]]) -> list[dict]:
    """Facilities of one kind spread over the districts; `namer` names them once their districts are known."""
    weights = population_weights(inner_factor=3.0 if kind == "hospital" else 1.5)
    index, lon, lat = sample_by_weight(rng, weights, count)
    names = namer(rng, [DISTRICTS[i] for i in index])
    return [_record(rng, name, kind, street_address(rng, DISTRICTS[i]), DISTRICTS[i].name, x, y)
            | {"movable": _movable(kind, name)} for name, i, x, y in zip(names, index, lon, lat, strict=True)]


def _movable(kind: str, name: str) -> bool:
    """Private services, whose names say nothing of a district, may open in the former provinces too."""
    return kind in MOVABLE and "Trung tâm Y tế" not in name


def _hospital_names(rng: np.random.Generator, districts: list[District]) -> list[str]:
    return branch_names([f"{pick(rng, HOSPITAL_KINDS)} {pick(rng, TRADE_NAMES)}" for _ in districts])


def _clinic_names(rng: np.random.Generator, districts: list[District]) -> list[str]:
    kinds, shares = zip(*CLINIC_TYPES, strict=True)
    return branch_names([f"{pick(rng, kinds, p=list(shares))} {pick(rng, TRADE_NAMES)}" for _ in districts])


def _vaccination_names(rng: np.random.Generator, districts: list[District]) -> list[str]:
    """The first point of each district is its health centre's; the others are private services."""
    seen: set[str] = set()
    names = []
    for district in districts:
        public = district.name not in seen
        seen.add(district.name)
        names.append(f"Điểm tiêm chủng Trung tâm Y tế {district.name}" if public
                     else f"Điểm tiêm chủng {pick(rng, TRADE_NAMES)}")
    return branch_names(names)


def _pharmacy_names(rng: np.random.Generator, districts: list[District]) -> list[str]:
    return branch_names([f"Nhà thuốc {pick(rng, TRADE_NAMES)}" for _ in districts])


def _commune_stations(rng: np.random.Generator) -> list[dict]:
    """One station per 2025 ward, near its centre and named after it: "Trạm Y tế Phường Sài Gòn"."""
    wards = city_wards()
    lon, lat = near_centroid(rng, np.arange(len(wards)), STATION_SPREAD)
    districts = district_of(lon, lat)
    records = []
    for name, outer, x, y, d in zip(wards["name"], wards["outer"], lon, lat, districts, strict=True):
        street = outer_street(rng) if outer else street_address(rng, DISTRICTS[d])
        records.append(_record(rng, f"Trạm Y tế {name}", "commune_health_station", street, DISTRICTS[d].name, x, y))
    return records
