"""Vietnamese names, addresses, phone numbers and opening hours, the way agencies write them."""

from __future__ import annotations

import unicodedata

import numpy as np

from etl.demo.places import CITY, District

# People schools are named after; real HCMC schools share these names across districts.
NOTABLE_PEOPLE: tuple[str, ...] = (
    "Lê Văn Tám", "Nguyễn Du", "Lê Quý Đôn", "Trần Hưng Đạo", "Nguyễn Bỉnh Khiêm", "Chu Văn An", "Lý Thường Kiệt",
    "Võ Trường Toản", "Nguyễn Trãi", "Phan Bội Châu", "Phan Chu Trinh", "Lê Lợi", "Quang Trung", "Hai Bà Trưng",
    "Nguyễn Thái Học", "Kim Đồng", "Võ Thị Sáu", "Trần Quốc Toản", "Nguyễn Văn Trỗi", "Lương Thế Vinh",
    "Nguyễn Hiền", "Mạc Đĩnh Chi", "Đinh Tiên Hoàng", "Lê Đình Chinh", "Nguyễn Khuyến", "Hồ Xuân Hương",
    "Đoàn Thị Điểm", "Nguyễn Trung Trực", "Trương Định", "Nguyễn Đình Chiểu", "Tô Vĩnh Diện", "Phù Đổng",
    "Lê Lai", "Ngô Quyền", "Huỳnh Khương Ninh", "Minh Đạo", "Trần Quang Khải", "Lê Anh Xuân", "Nguyễn Văn Cừ",
    "Trần Văn Ơn", "Võ Văn Tần", "Nguyễn An Ninh", "Lê Thánh Tông", "Trần Phú", "Hùng Vương", "Bà Triệu",
    "Phan Đình Phùng", "Nguyễn Huệ", "Lý Tự Trọng", "Hoàng Hoa Thám", "Nguyễn Thị Định", "Trần Cao Vân",
    "Đặng Trần Côn", "Nguyễn Công Trứ", "Tô Hiến Thành", "Lê Văn Sỹ", "Phạm Ngọc Thạch", "Tôn Thất Tùng",
    "Nguyễn Văn Linh", "Phan Văn Trị", "Trần Văn Giàu", "Lê Thị Hồng Gấm", "Nguyễn Thị Minh Khai",
    "Huỳnh Thúc Kháng", "Trần Nhân Tông", "Lý Công Uẩn", "Ngô Sĩ Liên", "Nguyễn Tri Phương", "Hoàng Diệu",
    "Đống Đa", "Bạch Đằng", "Chi Lăng", "Điện Biên", "Hòa Bình", "Thống Nhất", "Độc Lập",
)

# Kindergarten names: flowers, birds and good wishes; a number tells same-named schools of a district apart.
KINDERGARTEN_NAMES: tuple[str, ...] = (
    "Hoa Sen", "Sơn Ca", "Họa Mi", "Vành Khuyên", "Bé Ngoan", "Tuổi Thơ", "Hoa Hồng", "Ánh Dương", "Măng Non",
    "Hướng Dương", "Rạng Đông", "Sao Mai", "Hoa Mai", "Thiên Thần Nhỏ", "Mầm Xanh", "Sen Hồng", "Hoa Cúc",
    "Hoàng Yến", "Bình Minh", "Hoa Lan", "Búp Sen Xanh", "Ngôi Sao Nhỏ", "Chim Non", "Thỏ Ngọc", "Hoa Phượng",
    "Tuổi Hồng", "Bông Hồng", "Vàng Anh", "Sóc Nâu", "Hoa Thiên Lý", "Cầu Vồng", "Mặt Trời Bé Thơ",
)

# Words brand-like private clinics and pharmacies call themselves by.
TRADE_NAMES: tuple[str, ...] = (
    "Sài Gòn", "Hoàn Mỹ", "An Phúc", "Thiên Phước", "Tâm Đức", "Bình An", "Hòa Bình", "Phước An", "Minh Khang",
    "Vạn Phúc", "Hồng Đức", "Thiện Tâm", "Phúc Khang", "An Khang", "Trường Thọ", "Vĩnh Phúc", "Hồng Ân",
    "Minh Châu", "Thanh Hương", "Ngọc Lan", "Kim Liên", "Hoàng Anh", "Bảo Châu", "Thiện Nhân", "Đức Tâm",
    "Hạnh Nguyên", "Mỹ Hạnh", "Phương Linh", "Tuệ Minh", "Huy Hoàng", "Khánh Vy", "Gia Huy", "Tân Tiến",
    "Diệu Hiền", "Thúy Nga", "Quốc Bảo", "Nhân Ái", "Thái Bình", "Phú Thịnh", "Hữu Nghị",
)

CLINIC_TYPES: tuple[tuple[str, float], ...] = (
    ("Phòng khám Đa khoa", 0.55), ("Phòng khám Nhi khoa", 0.10), ("Phòng khám Răng Hàm Mặt", 0.10),
    ("Phòng khám Sản Phụ khoa", 0.08), ("Phòng khám Mắt", 0.06), ("Phòng khám Tai Mũi Họng", 0.06),
    ("Phòng khám Da liễu", 0.05),
)

_PHONE_PREFIXES = ("38", "39", "62", "22", "37", "36", "35")
_MOBILE_PREFIXES = ("090", "091", "093", "097", "098", "070", "079", "083")


def nfc(text: str) -> str:
    """Agencies' files are NFC; source literals typed on another keyboard may not be."""
    return unicodedata.normalize("NFC", text)


def pick(rng: np.random.Generator, options: tuple | list, p: list[float] | None = None):
    """One element of a tuple (numpy's choice would turn strings into numpy scalars)."""
    return options[int(rng.choice(len(options), p=p))]


def unique_names(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> list[str]:
    """`n` distinct names from `pool`; once it runs out, names repeat with " 2", " 3" … as real schools do."""
    order = rng.permutation(len(pool))
    names = []
    for i in range(n):
        base, lap = pool[order[i % len(pool)]], i // len(pool)
        names.append(f"{base} {lap + 1}" if lap else base)
    return names


def branch_names(names: list[str]) -> list[str]:
    """Chains repeat their name: the second and later branches say which one they are."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} – Cơ sở {seen[name]}")
    return out


def street_address(rng: np.random.Generator, district: District, ward: str | None = None) -> str:
    """A full address in `district` (in `ward` if given); some houses sit down an alley ("45/12") or are split."""
    number = house_number(rng, district.inner)
    if rng.random() < 0.12:
        number_text = f"{number}/{int(rng.integers(1, 60))}"
    elif rng.random() < 0.06:
        number_text = f"{number}{pick(rng, ('A', 'B', 'C'))}"
    else:
        number_text = str(number)
    ward = ward or pick(rng, district.wards)
    return f"{number_text} {pick(rng, district.streets)}, {ward}, {district.name}, {CITY}"


def house_number(rng: np.random.Generator, inner: bool) -> int:
    """Inner-city streets are short, so their numbers stay small; suburban roads run into the thousands."""
    return int(rng.integers(1, 450 if inner else 1500))


def full_address(short: str, district: str) -> str:
    return f"{short}, {district}, {CITY}"


def phone(rng: np.random.Generator, mobile_share: float = 0.0) -> str:
    """HCMC landlines are 028 + 8 digits; small shops often give a mobile number instead."""
    if rng.random() < mobile_share:
        return f"{pick(rng, _MOBILE_PREFIXES)}{int(rng.integers(0, 10))} {int(rng.integers(0, 1000)):03d} " \
               f"{int(rng.integers(0, 1000)):03d}"
    return f"028 {pick(rng, _PHONE_PREFIXES)}{int(rng.integers(0, 100)):02d} {int(rng.integers(0, 10000)):04d}"

