"""Hand-written reference data for the Ho Chi Minh City demo (pre-2025 districts).

Positions are (lon, lat) in WGS 84 and only approximate: they exist so the demo map looks like the city, not to be
surveyed truth. Everything random in the demo is drawn around these anchors.
"""

from __future__ import annotations

from typing import NamedTuple

CITY = "Thành phố Hồ Chí Minh"


class District(NamedTuple):
    """A district as a few discs (lon, lat, radius in km) that roughly cover its shape, plus its people and names."""

    name: str
    population_k: int
    inner: bool
    anchors: tuple[tuple[float, float, float], ...]
    wards: tuple[str, ...]
    streets: tuple[str, ...]


class Place(NamedTuple):
    name: str
    lon: float
    lat: float


class Landmark(NamedTuple):
    """A real institution at roughly its real position, with its real address (without the city)."""

    name: str
    address: str
    district: str
    lon: float
    lat: float


class Route(NamedTuple):
    number: str
    start: str
    end: str


def _numbered(*numbers: int) -> tuple[str, ...]:
    return tuple(f"Phường {n}" for n in numbers)


def _named(*names: str) -> tuple[str, ...]:
    return tuple(f"Phường {n}" for n in names)


def _rural(town: str, *communes: str) -> tuple[str, ...]:
    return (f"Thị trấn {town}", *(f"Xã {c}" for c in communes))


DISTRICTS: tuple[District, ...] = (
    District(
        "Quận 1", 142, True,
        anchors=((106.7005, 10.7735, 1.0), (106.6960, 10.7895, 0.8), (106.6895, 10.7665, 0.55)),
        wards=_named("Bến Nghé", "Bến Thành", "Cầu Kho", "Cầu Ông Lãnh", "Cô Giang", "Đa Kao", "Nguyễn Cư Trinh",
            "Nguyễn Thái Bình", "Phạm Ngũ Lão", "Tân Định"),
        streets=("Lê Lợi", "Nguyễn Huệ", "Đồng Khởi", "Hai Bà Trưng", "Lê Duẩn", "Nguyễn Thị Minh Khai",
            "Điện Biên Phủ", "Trần Hưng Đạo", "Nguyễn Trãi", "Phạm Ngũ Lão", "Lý Tự Trọng", "Pasteur",
            "Nam Kỳ Khởi Nghĩa", "Tôn Đức Thắng", "Cống Quỳnh", "Đinh Tiên Hoàng", "Trần Quang Khải", "Hàm Nghi"),
    ),
    District(
        "Quận 3", 190, True,
        anchors=((106.6835, 10.7800, 1.0), (106.6935, 10.7815, 0.45), (106.6790, 10.7880, 0.5),
            (106.6700, 10.7850, 0.45)),
        wards=("Phường Võ Thị Sáu", *_numbered(1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14)),
        streets=("Võ Văn Tần", "Cách Mạng Tháng Tám", "Nam Kỳ Khởi Nghĩa", "Nguyễn Đình Chiểu", "Lý Chính Thắng",
            "Trần Quốc Thảo", "Võ Thị Sáu", "Kỳ Đồng", "Bà Huyện Thanh Quan", "Trần Quang Diệu", "Lê Văn Sỹ",
            "Nguyễn Thượng Hiền", "Điện Biên Phủ", "Trần Quốc Toản"),
    ),
    District(
        "Quận 4", 175, True,
        anchors=((106.7030, 10.7600, 0.9), (106.7100, 10.7590, 0.5), (106.7045, 10.7670, 0.3)),
        wards=_numbered(1, 2, 3, 4, 6, 8, 9, 10, 13, 14, 15, 16, 18),
        streets=("Khánh Hội", "Hoàng Diệu", "Nguyễn Tất Thành", "Tôn Đản", "Đoàn Văn Bơ", "Bến Vân Đồn", "Nguyễn Khoái",
            "Vĩnh Khánh", "Lê Văn Linh", "Xóm Chiếu", "Tôn Thất Thuyết"),
    ),
    District(
        "Quận 5", 159, True,
        anchors=((106.6700, 10.7560, 1.0), (106.6820, 10.7570, 0.6), (106.6590, 10.7565, 0.6)),
        wards=_numbered(*range(1, 16)),
        streets=("Hồng Bàng", "An Dương Vương", "Trần Hưng Đạo", "Nguyễn Trãi", "Châu Văn Liêm", "Hải Thượng Lãn Ông",
            "Lương Nhữ Học", "Nguyễn Chí Thanh", "Trần Phú", "Nguyễn Văn Cừ", "Hùng Vương", "Ngô Quyền",
            "Trần Bình Trọng", "Học Lạc", "Phùng Hưng", "Nguyễn Tri Phương"),
    ),
    District(
        "Quận 6", 233, True,
        anchors=((106.6360, 10.7480, 1.2), (106.6500, 10.7490, 0.6)),
        wards=_numbered(*range(1, 15)),
        streets=("Hậu Giang", "Tháp Mười", "Kinh Dương Vương", "Minh Phụng", "Bình Tiên", "Phạm Văn Chí", "Lò Gốm",
            "Bà Hom", "Văn Thân", "Nguyễn Văn Luông", "Bình Phú", "Hồng Bàng"),
    ),
    District(
        "Quận 7", 360, False,
        anchors=((106.7200, 10.7350, 1.6), (106.7350, 10.7550, 0.9), (106.7000, 10.7300, 0.9)),
        wards=_named("Tân Phong", "Tân Phú", "Tân Quy", "Tân Thuận Đông", "Tân Thuận Tây", "Tân Kiểng", "Tân Hưng",
            "Bình Thuận", "Phú Mỹ", "Phú Thuận"),
        streets=("Nguyễn Thị Thập", "Nguyễn Văn Linh", "Huỳnh Tấn Phát", "Nguyễn Hữu Thọ", "Lê Văn Lương",
            "Tôn Dật Tiên", "Nguyễn Lương Bằng", "Phạm Thái Bường", "Lâm Văn Bền", "Trần Xuân Soạn", "Tân Mỹ",
            "Nguyễn Đức Cảnh"),
    ),
    District(
        "Quận 8", 424, True,
        anchors=((106.6600, 10.7400, 1.0), (106.6400, 10.7270, 1.0), (106.6180, 10.7100, 0.8),
            (106.6850, 10.7450, 0.6)),
        wards=_numbered(*range(1, 17)),
        streets=("Phạm Thế Hiển", "Âu Dương Lân", "Dương Bá Trạc", "Tạ Quang Bửu", "Hưng Phú", "Bến Bình Đông",
            "Phạm Hùng", "Cao Lỗ", "Tùng Thiện Vương", "Bùi Minh Trực", "Ba Đình", "Nguyễn Duy", "Quốc lộ 50"),
    ),
    District(
        "Quận 10", 234, True,
        anchors=((106.6670, 10.7720, 1.0), (106.6600, 10.7780, 0.6)),
        wards=_numbered(*range(1, 16)),
        streets=("Ba Tháng Hai", "Sư Vạn Hạnh", "Thành Thái", "Lý Thường Kiệt", "Ngô Gia Tự", "Nguyễn Tri Phương",
            "Tô Hiến Thành", "Bà Hạt", "Vĩnh Viễn", "Hòa Hảo", "Cao Thắng", "Lê Hồng Phong", "Nguyễn Chí Thanh"),
    ),
    District(
        "Quận 11", 209, True,
        anchors=((106.6450, 10.7640, 1.0), (106.6560, 10.7630, 0.5)),
        wards=_numbered(*range(1, 17)),
        streets=("Lạc Long Quân", "Lãnh Binh Thăng", "Minh Phụng", "Âu Cơ", "Hòa Bình", "Bình Thới", "Tôn Thất Hiệp",
            "Lê Đại Hành", "Ông Ích Khiêm", "Phú Thọ", "Thái Phiên", "Lữ Gia"),
    ),
    District(
        "Quận 12", 620, False,
        anchors=((106.6500, 10.8700, 2.5), (106.6950, 10.8660, 1.6), (106.6250, 10.8560, 1.0)),
        wards=_named("An Phú Đông", "Đông Hưng Thuận", "Hiệp Thành", "Tân Chánh Hiệp", "Tân Hưng Thuận",
            "Tân Thới Hiệp", "Tân Thới Nhất", "Thạnh Lộc", "Thạnh Xuân", "Thới An", "Trung Mỹ Tây"),
        streets=("Nguyễn Ảnh Thủ", "Lê Văn Khương", "Hà Huy Giáp", "Tô Ký", "Trường Chinh", "Nguyễn Văn Quá",
            "Lê Thị Riêng", "Phan Văn Hớn", "Vườn Lài", "Quốc lộ 1A", "Lê Đức Thọ", "Đông Bắc"),
    ),
    District(
        "Quận Bình Thạnh", 499, True,
        anchors=((106.7050, 10.8050, 1.5), (106.7250, 10.8250, 1.0), (106.6950, 10.8250, 0.8),
            (106.7160, 10.7920, 0.6)),
        wards=_numbered(1, 2, 3, 5, 6, 7, 11, 12, 13, 14, 15, 17, 19, 21, 22, 24, 25, 26, 27, 28),
        streets=("Xô Viết Nghệ Tĩnh", "Điện Biên Phủ", "Đinh Bộ Lĩnh", "Bạch Đằng", "Phan Đăng Lưu", "Nơ Trang Long",
            "Lê Quang Định", "Nguyễn Xí", "Ung Văn Khiêm", "Nguyễn Hữu Cảnh", "Bùi Đình Túy", "Chu Văn An",
            "Phạm Văn Đồng", "Nguyễn Văn Đậu", "Phan Văn Trị"),
    ),
    District(
        "Quận Phú Nhuận", 163, True,
        anchors=((106.6800, 10.7990, 0.9), (106.6900, 10.7990, 0.5)),
        wards=_numbered(1, 2, 4, 5, 7, 8, 9, 10, 11, 13, 15, 17),
        streets=("Phan Đình Phùng", "Nguyễn Văn Trỗi", "Phan Xích Long", "Huỳnh Văn Bánh", "Lê Văn Sỹ", "Nguyễn Kiệm",
            "Hoàng Văn Thụ", "Trường Sa", "Hoàng Sa", "Cô Bắc", "Nguyễn Trọng Tuyển", "Đặng Văn Ngữ"),
    ),
    District(
        "Quận Gò Vấp", 676, False,
        anchors=((106.6650, 10.8400, 1.6), (106.6840, 10.8300, 0.9), (106.6790, 10.8180, 0.5)),
        wards=_numbered(1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17),
        streets=("Quang Trung", "Nguyễn Oanh", "Phan Văn Trị", "Lê Đức Thọ", "Nguyễn Văn Lượng", "Phạm Văn Chiêu",
            "Nguyễn Thái Sơn", "Dương Quảng Hàm", "Lê Văn Thọ", "Thống Nhất", "Nguyễn Văn Nghi", "Phạm Văn Đồng",
            "Nguyễn Kiệm"),
    ),
    District(
        "Quận Tân Bình", 474, True,
        anchors=((106.6520, 10.7960, 1.3), (106.6420, 10.8030, 0.9), (106.6650, 10.8020, 0.5),
            (106.6350, 10.8230, 0.7)),
        wards=_numbered(*range(1, 16)),
        streets=("Cộng Hòa", "Hoàng Văn Thụ", "Trường Chinh", "Lý Thường Kiệt", "Âu Cơ", "Lạc Long Quân", "Bàu Cát",
            "Trường Sơn", "Phổ Quang", "Nguyễn Thái Bình", "Cách Mạng Tháng Tám", "Hoàng Hoa Thám", "Bạch Đằng",
            "Út Tịch"),
    ),
    District(
        "Quận Tân Phú", 485, False,
        anchors=((106.6270, 10.7900, 1.2), (106.6150, 10.8030, 0.8)),
        wards=_named("Hiệp Tân", "Hòa Thạnh", "Phú Thạnh", "Phú Thọ Hòa", "Phú Trung", "Sơn Kỳ", "Tân Quý",
            "Tân Sơn Nhì", "Tân Thành", "Tân Thới Hòa", "Tây Thạnh"),
        streets=("Lũy Bán Bích", "Tân Kỳ Tân Quý", "Âu Cơ", "Tân Sơn Nhì", "Hòa Bình", "Thoại Ngọc Hầu", "Vườn Lài",
            "Độc Lập", "Gò Dầu", "Lê Trọng Tấn", "Tây Thạnh", "Nguyễn Sơn"),
    ),
    District(
        "Quận Bình Tân", 784, False,
        anchors=((106.6050, 10.7600, 1.8), (106.6050, 10.7950, 1.0), (106.6150, 10.7320, 0.8)),
        wards=_named("An Lạc", "An Lạc A", "Bình Hưng Hòa", "Bình Hưng Hòa A", "Bình Hưng Hòa B", "Bình Trị Đông",
            "Bình Trị Đông A", "Bình Trị Đông B", "Tân Tạo", "Tân Tạo A"),
        streets=("Kinh Dương Vương", "Tên Lửa", "Hồ Học Lãm", "An Dương Vương", "Lê Văn Quới", "Mã Lò", "Tân Hòa Đông",
            "Bình Long", "Quốc lộ 1A", "Hương Lộ 2", "Bình Trị Đông", "Lê Trọng Tấn"),
    ),
    District(
        "Thành phố Thủ Đức", 1013, False,
        anchors=((106.7600, 10.8500, 2.5), (106.7450, 10.7950, 1.8), (106.8150, 10.8350, 3.0), (106.7880, 10.8700, 1.2),
            (106.7220, 10.8520, 0.9), (106.7250, 10.7750, 0.7)),
        wards=_named("An Khánh", "An Lợi Đông", "An Phú", "Bình Chiểu", "Bình Thọ", "Bình Trưng Đông", "Bình Trưng Tây",
            "Cát Lái", "Hiệp Bình Chánh", "Hiệp Bình Phước", "Hiệp Phú", "Linh Chiểu", "Linh Đông", "Linh Tây",
            "Linh Trung", "Linh Xuân", "Long Bình", "Long Phước", "Long Thạnh Mỹ", "Long Trường", "Phú Hữu",
            "Phước Bình", "Phước Long A", "Phước Long B", "Tam Bình", "Tam Phú", "Tăng Nhơn Phú A", "Tăng Nhơn Phú B",
            "Tân Phú", "Thảo Điền", "Thạnh Mỹ Lợi", "Thủ Thiêm", "Trường Thạnh", "Trường Thọ"),
        streets=("Võ Văn Ngân", "Kha Vạn Cân", "Phạm Văn Đồng", "Xa lộ Hà Nội", "Lê Văn Việt", "Đỗ Xuân Hợp",
            "Nguyễn Duy Trinh", "Mai Chí Thọ", "Song Hành", "Quốc Hương", "Lương Định Của", "Tô Ngọc Vân",
            "Đặng Văn Bi", "Nguyễn Xiển", "Man Thiện", "Lã Xuân Oai", "Hoàng Diệu 2", "Nguyễn Thị Định"),
    ),
    District(
        "Huyện Bình Chánh", 705, False,
        anchors=((106.5600, 10.7400, 3.5), (106.6300, 10.6800, 3.0), (106.5700, 10.8100, 1.8),
            (106.6700, 10.7050, 1.0)),
        wards=_rural("Tân Túc", "An Phú Tây", "Bình Chánh", "Bình Hưng", "Bình Lợi", "Đa Phước", "Hưng Long",
            "Lê Minh Xuân", "Phạm Văn Hai", "Phong Phú", "Quy Đức", "Tân Kiên", "Tân Nhựt", "Tân Quý Tây", "Vĩnh Lộc A",
            "Vĩnh Lộc B"),
        streets=("Quốc lộ 1A", "Nguyễn Văn Linh", "Vĩnh Lộc", "Trần Văn Giàu", "Đinh Đức Thiện", "Quách Điêu",
            "Nguyễn Hữu Trí", "Tân Liêm", "Nguyễn Cửu Phú", "Dương Đình Cúc", "Quốc lộ 50", "Võ Trần Chí"),
    ),
    District(
        "Huyện Hóc Môn", 542, False,
        anchors=((106.5900, 10.8900, 3.0), (106.6000, 10.8450, 0.6)),
        wards=_rural("Hóc Môn", "Bà Điểm", "Đông Thạnh", "Nhị Bình", "Tân Hiệp", "Tân Thới Nhì", "Tân Xuân",
            "Thới Tam Thôn", "Trung Chánh", "Xuân Thới Đông", "Xuân Thới Sơn", "Xuân Thới Thượng"),
        streets=("Lê Thị Hà", "Nguyễn Ảnh Thủ", "Quang Trung", "Trưng Nữ Vương", "Phan Văn Hớn", "Đặng Thúc Vịnh",
            "Tô Ký", "Bà Triệu", "Lý Thường Kiệt", "Nguyễn Văn Bứa", "Đỗ Văn Dậy", "Quốc lộ 22"),
    ),
    District(
        "Huyện Củ Chi", 462, False,
        anchors=((106.5000, 11.0100, 7.0), (106.5600, 10.9500, 3.0)),
        wards=_rural("Củ Chi", "An Nhơn Tây", "An Phú", "Bình Mỹ", "Hòa Phú", "Nhuận Đức", "Phạm Văn Cội",
            "Phú Hòa Đông", "Phú Mỹ Hưng", "Phước Hiệp", "Phước Thạnh", "Phước Vĩnh An", "Tân An Hội", "Tân Phú Trung",
            "Tân Thạnh Đông", "Tân Thạnh Tây", "Tân Thông Hội", "Thái Mỹ", "Trung An", "Trung Lập Hạ",
            "Trung Lập Thượng"),
        streets=("Quốc lộ 22", "Tỉnh lộ 8", "Tỉnh lộ 15", "Tỉnh lộ 2", "Tỉnh lộ 7", "Nguyễn Văn Khạ", "Nguyễn Thị Rành",
            "Hồ Văn Tắng", "Nguyễn Kim Cương", "Bùi Thị He", "Liêu Bình Hương", "Võ Văn Bích"),
    ),
    District(
        "Huyện Nhà Bè", 206, False,
        anchors=((106.7350, 10.6850, 2.0), (106.7450, 10.6300, 2.0), (106.7050, 10.7050, 1.0)),
        wards=_rural("Nhà Bè", "Hiệp Phước", "Long Thới", "Nhơn Đức", "Phú Xuân", "Phước Kiển", "Phước Lộc"),
        streets=("Huỳnh Tấn Phát", "Nguyễn Hữu Thọ", "Lê Văn Lương", "Nguyễn Bình", "Phạm Hữu Lầu", "Đào Sư Tích",
            "Nguyễn Văn Tạo", "Dương Cát Lợi", "Lê Thị Kim"),
    ),
    District(
        "Huyện Cần Giờ", 71, False,
        anchors=((106.8000, 10.6500, 2.5), (106.8500, 10.5500, 5.0), (106.9300, 10.4500, 5.0)),
        wards=_rural("Cần Thạnh", "An Thới Đông", "Bình Khánh", "Long Hòa", "Lý Nhơn", "Tam Thôn Hiệp", "Thạnh An"),
        streets=("Rừng Sác", "Duyên Hải", "Lương Văn Nho", "Đào Cử", "Tắc Xuất", "Bùi Lâm", "Thạnh Thới",
            "An Thới Đông"),
    ),
)

# The city's land outline, clockwise from the northern tip of Củ Chi; the sea and neighbouring provinces lie outside.
CITY_OUTLINE: tuple[tuple[float, float], ...] = (
    (106.470, 11.160), (106.530, 11.100), (106.580, 11.050), (106.620, 10.990), (106.660, 10.930),
    (106.690, 10.900), (106.720, 10.885), (106.770, 10.890), (106.820, 10.895), (106.860, 10.870),
    (106.880, 10.820), (106.850, 10.780), (106.800, 10.760), (106.780, 10.735), (106.800, 10.695),
    (106.860, 10.665), (106.930, 10.620), (106.990, 10.570), (107.020, 10.500), (107.010, 10.440),
    (106.970, 10.405), (106.900, 10.400), (106.820, 10.400), (106.780, 10.460), (106.765, 10.580),
    (106.720, 10.600), (106.680, 10.630), (106.620, 10.640), (106.560, 10.660), (106.520, 10.690),
    (106.500, 10.750), (106.510, 10.810), (106.520, 10.870), (106.450, 10.930), (106.390, 10.980),
    (106.360, 11.050), (106.380, 11.120), (106.430, 11.160),
)

# The Sài Gòn – Nhà Bè – Soài Rạp river: roads cross it only on the bridges and the ferry listed in CROSSINGS.
RIVER: tuple[tuple[float, float], ...] = (
    (106.705, 10.900), (106.712, 10.877), (106.706, 10.850), (106.708, 10.832), (106.722, 10.838),
    (106.740, 10.833), (106.745, 10.822), (106.738, 10.813), (106.728, 10.811), (106.726, 10.800),
    (106.722, 10.790), (106.710, 10.784), (106.7065, 10.774), (106.710, 10.766), (106.722, 10.764),
    (106.738, 10.762), (106.746, 10.752), (106.745, 10.740), (106.752, 10.720), (106.765, 10.700),
    (106.775, 10.680), (106.778, 10.640), (106.772, 10.550), (106.785, 10.450), (106.790, 10.390),
)

# Tân Sơn Nhất's runways: nothing is placed there and no road crosses them.
AIRPORT: tuple[tuple[float, float], ...] = (
    (106.640, 10.815), (106.650, 10.812), (106.672, 10.819), (106.676, 10.828), (106.668, 10.832),
    (106.645, 10.825),
)

# Bus terminals: route ends and the names routes are called by.
TERMINALS: tuple[Place, ...] = (
    Place("Bến Thành", 106.6985, 10.7712),
    Place("Công viên 23/9", 106.6930, 10.7680),
    Place("Chợ Lớn", 106.6512, 10.7508),
    Place("Bến xe Miền Đông", 106.7108, 10.8150),
    Place("Bến xe Miền Đông mới", 106.8175, 10.8785),
    Place("Bến xe Miền Tây", 106.6190, 10.7405),
    Place("Bến xe An Sương", 106.6085, 10.8445),
    Place("Bến xe Ngã Tư Ga", 106.7040, 10.8620),
    Place("Bến xe Quận 8", 106.6380, 10.7225),
    Place("Bến xe Củ Chi", 106.4935, 10.9735),
    Place("Đại học Quốc gia", 106.8025, 10.8760),
    Place("Khu Công nghệ cao", 106.7950, 10.8470),
    Place("Sân bay Tân Sơn Nhất", 106.6640, 10.8140),
    Place("Đầm Sen", 106.6405, 10.7675),
    Place("Phú Mỹ Hưng", 106.7135, 10.7290),
    Place("Chợ Thủ Đức", 106.7560, 10.8505),
    Place("Cát Lái", 106.7910, 10.7705),
    Place("Hóc Môn", 106.5955, 10.8875),
    Place("Bình Chánh", 106.5795, 10.6905),
    Place("Nhà Bè", 106.7405, 10.6960),
    Place("Hiệp Phước", 106.7480, 10.6230),
    Place("Cần Giờ", 106.9530, 10.4160),
    Place("Thạnh Lộc", 106.6810, 10.8780),
    Place("Phú Hòa Đông", 106.5800, 11.0200),
    Place("Địa đạo Củ Chi", 106.4640, 11.1420),
    Place("Lê Minh Xuân", 106.5330, 10.7515),
    Place("Bình Quới", 106.7325, 10.8260),
    Place("Long Phước", 106.8470, 10.8070),
    Place("Chợ Bình Điền", 106.6140, 10.7040),
    Place("Khu công nghiệp Vĩnh Lộc", 106.5940, 10.8155),
    Place("Khu Chế xuất Tân Thuận", 106.7350, 10.7565),
    Place("Khu Chế xuất Linh Trung", 106.7715, 10.8665),
)

# Named road junctions and bridge heads the bus network is built around.
JUNCTIONS: tuple[Place, ...] = (
    Place("Hàm Nghi", 106.7030, 10.7705),
    Place("Hồ Con Rùa", 106.6960, 10.7825),
    Place("Thảo Cầm Viên", 106.7050, 10.7875),
    Place("Ngã tư Hàng Xanh", 106.7112, 10.8013),
    Place("Ngã tư Phú Nhuận", 106.6785, 10.7990),
    Place("Lăng Cha Cả", 106.6575, 10.7995),
    Place("Ngã tư Bảy Hiền", 106.6525, 10.7925),
    Place("Ngã sáu Gò Vấp", 106.6785, 10.8270),
    Place("Ngã năm Nguyễn Kiệm", 106.6795, 10.8165),
    Place("Chợ Bà Chiểu", 106.6990, 10.8025),
    Place("Vòng xoay Dân Chủ", 106.6810, 10.7775),
    Place("Vòng xoay Lý Thái Tổ", 106.6750, 10.7665),
    Place("Ngã sáu Cộng Hòa", 106.6830, 10.7655),
    Place("Chợ An Đông", 106.6770, 10.7575),
    Place("Vòng xoay Phú Lâm", 106.6330, 10.7545),
    Place("Vòng xoay Cây Gõ", 106.6450, 10.7590),
    Place("Cầu Chữ Y", 106.6855, 10.7505),
    Place("Cầu Kênh Tẻ", 106.7050, 10.7525),
    Place("Cầu Tân Thuận", 106.7235, 10.7580),
    Place("Ngã tư Nguyễn Văn Linh – Nguyễn Hữu Thọ", 106.7000, 10.7295),
    Place("Ngã tư Bốn Xã", 106.6255, 10.7830),
    Place("Ngã tư Gò Mây", 106.6235, 10.8160),
    Place("Công viên Phần mềm Quang Trung", 106.6270, 10.8535),
    Place("Ngã tư Thủ Đức", 106.7675, 10.8490),
    Place("Ngã tư Bình Thái", 106.7735, 10.8330),
    Place("Vòng xoay Mỹ Thủy", 106.7700, 10.7885),
    Place("Vòng xoay An Lạc", 106.6120, 10.7245),
    Place("Ngã tư Trung Chánh", 106.6075, 10.8660),
    Place("Ngã ba Bà Điểm", 106.6020, 10.8380),
    Place("Chợ Tân Phú Trung", 106.5560, 10.9355),
    Place("Chợ Bình Trị Đông", 106.6155, 10.7655),
    Place("Cầu Nhị Thiên Đường", 106.6620, 10.7430),
    Place("Chợ Rạch Ông", 106.6880, 10.7425),
    Place("Công viên Làng Hoa", 106.6820, 10.8390),
    Place("Chợ Hiệp Thành", 106.6400, 10.8790),
    Place("Cầu Sài Gòn", 106.7240, 10.7990),
    Place("Thảo Điền", 106.7345, 10.8015),
    Place("Nguyễn Hữu Cảnh", 106.7175, 10.7915),
    Place("An Khánh", 106.7300, 10.7905),
    Place("Thủ Thiêm", 106.7215, 10.7730),
    Place("Cầu Bình Triệu", 106.7000, 10.8300),
    Place("Hiệp Bình Chánh", 106.7170, 10.8450),
    Place("Cầu Bình Phước", 106.7050, 10.8750),
    Place("Hiệp Bình Phước", 106.7220, 10.8720),
    Place("Phú Mỹ", 106.7360, 10.7440),
    Place("Thạnh Mỹ Lợi", 106.7570, 10.7520),
    Place("Phà Bình Khánh", 106.7620, 10.6720),
    Place("Bình Khánh", 106.7900, 10.6620),
    Place("An Thới Đông", 106.8300, 10.6000),
    Place("Rừng Sác", 106.8750, 10.5200),
)

# Links across the river that exist in reality: bridges, the Thủ Thiêm tunnel, the Bình Khánh ferry.
CROSSINGS: tuple[tuple[str, str], ...] = (
    ("Cầu Sài Gòn", "Thảo Điền"),
    ("Nguyễn Hữu Cảnh", "An Khánh"),
    ("Hàm Nghi", "Thủ Thiêm"),
    ("Cầu Bình Triệu", "Hiệp Bình Chánh"),
    ("Cầu Bình Phước", "Hiệp Bình Phước"),
    ("Phú Mỹ", "Thạnh Mỹ Lợi"),
    ("Phà Bình Khánh", "Bình Khánh"),
)

# Routes everyone knows; the rest of the network is drawn between the terminals above.
KNOWN_ROUTES: tuple[Route, ...] = (
    Route("01", "Bến Thành", "Chợ Lớn"),
    Route("03", "Bến Thành", "Thạnh Lộc"),
    Route("04", "Bến Thành", "Bến xe An Sương"),
    Route("08", "Bến xe Quận 8", "Đại học Quốc gia"),
    Route("10", "Đại học Quốc gia", "Bến xe Miền Tây"),
    Route("13", "Công viên 23/9", "Bến xe Củ Chi"),
    Route("19", "Bến Thành", "Đại học Quốc gia"),
    Route("20", "Bến Thành", "Nhà Bè"),
    Route("24", "Bến xe Miền Đông", "Hóc Môn"),
    Route("33", "Bến xe An Sương", "Đại học Quốc gia"),
    Route("39", "Bến Thành", "Bến xe Miền Tây"),
    Route("43", "Bến xe Miền Đông", "Cát Lái"),
    Route("45", "Bến xe Quận 8", "Bến xe Miền Đông"),
    Route("52", "Bến Thành", "Khu Chế xuất Linh Trung"),
    Route("56", "Chợ Lớn", "Bến xe Miền Đông"),
    Route("72", "Công viên 23/9", "Hiệp Phước"),
    Route("75", "Bến Thành", "Cần Giờ"),
    Route("86", "Bến Thành", "Phú Mỹ Hưng"),
    Route("88", "Bến Thành", "Long Phước"),
    Route("94", "Chợ Lớn", "Bến xe Củ Chi"),
    Route("109", "Sân bay Tân Sơn Nhất", "Công viên 23/9"),
    Route("119", "Sân bay Tân Sơn Nhất", "Bến xe Miền Tây"),
    Route("150", "Chợ Lớn", "Bến xe Miền Đông mới"),
    Route("152", "Sân bay Tân Sơn Nhất", "Lê Minh Xuân"),
)

# How often each terminal ends a generated route: the big interchanges end many.
TERMINAL_WEIGHTS: dict[str, float] = {
    "Bến Thành": 8, "Chợ Lớn": 7, "Bến xe Miền Đông": 5, "Bến xe Miền Tây": 5, "Bến xe An Sương": 5,
    "Đại học Quốc gia": 4, "Công viên 23/9": 4, "Bến xe Ngã Tư Ga": 3, "Bến xe Quận 8": 3, "Sân bay Tân Sơn Nhất": 2,
    "Bến xe Miền Đông mới": 3, "Đầm Sen": 3, "Chợ Thủ Đức": 3, "Bến xe Củ Chi": 2,
}

OPERATORS: tuple[str, ...] = (
    "Công ty CP Xe khách Sài Gòn", "HTX Vận tải 19/5", "HTX Vận tải Quyết Thắng", "HTX Vận tải số 15",
    "HTX Xe buýt Rạng Đông", "Công ty CP Vận tải Thành phố", "HTX Vận tải Quyết Tiến", "Công ty TNHH Phương Trang",
)

METRO_OPERATOR = "Công ty TNHH MTV Đường sắt đô thị số 1 TP.HCM"

# Metro line 1 (Bến Thành – Suối Tiên), stations in line order.
METRO_STATIONS: tuple[Place, ...] = (
    Place("Bến Thành", 106.6982, 10.7725),
    Place("Nhà hát Thành phố", 106.7032, 10.7765),
    Place("Ba Son", 106.7072, 10.7815),
    Place("Văn Thánh", 106.7150, 10.7960),
    Place("Tân Cảng", 106.7222, 10.7985),
    Place("Thảo Điền", 106.7345, 10.8015),
    Place("An Phú", 106.7430, 10.8025),
    Place("Rạch Chiếc", 106.7555, 10.8085),
    Place("Phước Long", 106.7665, 10.8215),
    Place("Bình Thái", 106.7750, 10.8330),
    Place("Thủ Đức", 106.7850, 10.8460),
    Place("Khu Công nghệ cao", 106.7930, 10.8590),
    Place("Đại học Quốc gia", 106.8010, 10.8665),
    Place("Bến xe Suối Tiên", 106.8140, 10.8795),
)

HOSPITALS: tuple[Landmark, ...] = (
    Landmark("Bệnh viện Chợ Rẫy", "201B Nguyễn Chí Thanh, Phường 12", "Quận 5", 106.6594, 10.7578),
    Landmark("Bệnh viện Nhi Đồng 1", "341 Sư Vạn Hạnh, Phường 10", "Quận 10", 106.6703, 10.7688),
    Landmark("Bệnh viện Nhi Đồng 2", "14 Lý Tự Trọng, Phường Bến Nghé", "Quận 1", 106.7023, 10.7813),
    Landmark("Bệnh viện Nhi Đồng Thành phố", "15 Võ Trần Chí, Xã Tân Kiên", "Huyện Bình Chánh", 106.5807, 10.7098),
    Landmark("Bệnh viện Từ Dũ", "284 Cống Quỳnh, Phường Phạm Ngũ Lão", "Quận 1", 106.6858, 10.7690),
    Landmark("Bệnh viện Hùng Vương", "128 Hồng Bàng, Phường 12", "Quận 5", 106.6610, 10.7555),
    Landmark("Bệnh viện Đại học Y Dược TP.HCM", "215 Hồng Bàng, Phường 11", "Quận 5", 106.6645, 10.7555),
    Landmark("Bệnh viện Thống Nhất", "1 Lý Thường Kiệt, Phường 7", "Quận Tân Bình", 106.6530, 10.7918),
    Landmark("Bệnh viện Nhân dân 115", "527 Sư Vạn Hạnh, Phường 12", "Quận 10", 106.6680, 10.7755),
    Landmark("Bệnh viện Nhân dân Gia Định", "1 Nơ Trang Long, Phường 7", "Quận Bình Thạnh", 106.6945, 10.8030),
    Landmark("Bệnh viện Ung Bướu", "3 Nơ Trang Long, Phường 7", "Quận Bình Thạnh", 106.6952, 10.8058),
    Landmark("Bệnh viện Chấn thương Chỉnh hình", "929 Trần Hưng Đạo, Phường 1", "Quận 5", 106.6810, 10.7548),
    Landmark("Bệnh viện Bệnh Nhiệt đới", "764 Võ Văn Kiệt, Phường 1", "Quận 5", 106.6790, 10.7525),
    Landmark("Bệnh viện Mắt TP.HCM", "280 Điện Biên Phủ, Phường Võ Thị Sáu", "Quận 3", 106.6885, 10.7790),
    Landmark("Bệnh viện Quân y 175", "786 Nguyễn Kiệm, Phường 3", "Quận Gò Vấp", 106.6790, 10.8180),
    Landmark("Bệnh viện Đa khoa Sài Gòn", "125 Lê Lợi, Phường Bến Thành", "Quận 1", 106.6990, 10.7718),
    Landmark("Bệnh viện FV", "6 Nguyễn Lương Bằng, Phường Tân Phú", "Quận 7", 106.7175, 10.7335),
    Landmark("Bệnh viện Trưng Vương", "266 Lý Thường Kiệt, Phường 14", "Quận 10", 106.6595, 10.7745),
    Landmark("Bệnh viện Nguyễn Tri Phương", "468 Nguyễn Trãi, Phường 8", "Quận 5", 106.6700, 10.7575),
    Landmark("Bệnh viện Lê Văn Thịnh", "130 Lê Văn Thịnh, Phường Bình Trưng Tây", "Thành phố Thủ Đức",
             106.7620, 10.7885),
    Landmark("Bệnh viện Thành phố Thủ Đức", "29 Phú Châu, Phường Tam Phú", "Thành phố Thủ Đức", 106.7535, 10.8590),
    Landmark("Bệnh viện Đa khoa Tâm Anh", "2B Phổ Quang, Phường 2", "Quận Tân Bình", 106.6670, 10.8030),
)

UNIVERSITIES: tuple[Landmark, ...] = (
    Landmark("Trường Đại học Bách khoa – ĐHQG-HCM", "268 Lý Thường Kiệt, Phường 14", "Quận 10", 106.6580, 10.7726),
    Landmark("Trường Đại học Khoa học Tự nhiên – ĐHQG-HCM", "227 Nguyễn Văn Cừ, Phường 4", "Quận 5",
             106.6822, 10.7626),
    Landmark("Trường Đại học Khoa học Xã hội và Nhân văn – ĐHQG-HCM", "10-12 Đinh Tiên Hoàng, Phường Bến Nghé",
             "Quận 1", 106.7018, 10.7867),
    Landmark("Trường Đại học Kinh tế TP.HCM", "59C Nguyễn Đình Chiểu, Phường Võ Thị Sáu", "Quận 3",
             106.6950, 10.7832),
    Landmark("Trường Đại học Y Dược TP.HCM", "217 Hồng Bàng, Phường 11", "Quận 5", 106.6637, 10.7550),
    Landmark("Trường Đại học Sư phạm TP.HCM", "280 An Dương Vương, Phường 4", "Quận 5", 106.6818, 10.7612),
    Landmark("Trường Đại học Sư phạm Kỹ thuật TP.HCM", "1 Võ Văn Ngân, Phường Linh Chiểu", "Thành phố Thủ Đức",
             106.7718, 10.8507),
    Landmark("Trường Đại học Quốc tế – ĐHQG-HCM", "Khu phố 6, Phường Linh Trung", "Thành phố Thủ Đức",
             106.8017, 10.8777),
    Landmark("Trường Đại học Công nghệ Thông tin – ĐHQG-HCM", "Khu phố 6, Phường Linh Trung", "Thành phố Thủ Đức",
             106.8032, 10.8700),
    Landmark("Trường Đại học Kinh tế – Luật – ĐHQG-HCM", "669 Quốc lộ 1, Phường Linh Xuân", "Thành phố Thủ Đức",
             106.7785, 10.8705),
    Landmark("Trường Đại học Nông Lâm TP.HCM", "Khu phố 6, Phường Linh Trung", "Thành phố Thủ Đức",
             106.7870, 10.8712),
    Landmark("Trường Đại học Tôn Đức Thắng", "19 Nguyễn Hữu Thọ, Phường Tân Phong", "Quận 7", 106.6973, 10.7327),
    Landmark("Trường Đại học RMIT Việt Nam", "702 Nguyễn Văn Linh, Phường Tân Phong", "Quận 7", 106.6946, 10.7296),
    Landmark("Trường Đại học Luật TP.HCM", "2 Nguyễn Tất Thành, Phường 13", "Quận 4", 106.7052, 10.7676),
    Landmark("Trường Đại học Giao thông Vận tải TP.HCM", "2 Võ Oanh, Phường 25", "Quận Bình Thạnh",
             106.7160, 10.8045),
    Landmark("Trường Đại học Văn Lang", "69/68 Đặng Thùy Trâm, Phường 13", "Quận Bình Thạnh", 106.6944, 10.8275),
    Landmark("Trường Đại học Công nghiệp TP.HCM", "12 Nguyễn Văn Bảo, Phường 4", "Quận Gò Vấp", 106.6870, 10.8222),
    Landmark("Trường Đại học Mở TP.HCM", "97 Võ Văn Tần, Phường Võ Thị Sáu", "Quận 3", 106.6905, 10.7770),
    Landmark("Trường Đại học Kiến trúc TP.HCM", "196 Pasteur, Phường Võ Thị Sáu", "Quận 3", 106.6945, 10.7795),
    Landmark("Trường Đại học Sài Gòn", "273 An Dương Vương, Phường 3", "Quận 5", 106.6825, 10.7595),
)

# Further universities, placed at random in the district where they have their main campus.
OTHER_UNIVERSITIES: tuple[tuple[str, str], ...] = (
    ("Trường Đại học Ngân hàng TP.HCM", "Quận 1"),
    ("Trường Đại học Hoa Sen", "Quận 1"),
    ("Trường Đại học Tài chính – Marketing", "Quận 7"),
    ("Trường Đại học Công Thương TP.HCM", "Quận Tân Phú"),
    ("Trường Đại học Văn Hiến", "Quận Tân Phú"),
    ("Trường Đại học Quốc tế Hồng Bàng", "Quận Bình Thạnh"),
    ("Trường Đại học Nguyễn Tất Thành", "Quận 4"),
    ("Trường Đại học Công nghệ TP.HCM", "Quận Bình Thạnh"),
    ("Trường Đại học Gia Định", "Quận Phú Nhuận"),
    ("Trường Đại học Văn hóa TP.HCM", "Thành phố Thủ Đức"),
    ("Trường Đại học Mỹ thuật TP.HCM", "Quận Bình Thạnh"),
    ("Trường Đại học Thể dục Thể thao TP.HCM", "Thành phố Thủ Đức"),
    ("Trường Đại học Tài nguyên và Môi trường TP.HCM", "Quận Tân Bình"),
    ("Trường Đại học Lao động – Xã hội (Cơ sở 2)", "Quận 12"),
    ("Trường Đại học Ngoại thương (Cơ sở 2)", "Quận Bình Thạnh"),
    ("Trường Đại học Công nghệ Sài Gòn", "Quận 8"),
    ("Trường Đại học Kinh tế – Tài chính TP.HCM", "Quận Bình Thạnh"),
    ("Trường Đại học Y khoa Phạm Ngọc Thạch", "Quận 10"),
    ("Trường Đại học Sân khấu – Điện ảnh TP.HCM", "Quận 1"),
    ("Trường Đại học Thủy lợi (Cơ sở 2)", "Quận Bình Thạnh"),
)

PRIVATE_UNIVERSITIES = frozenset({
    "Trường Đại học RMIT Việt Nam", "Trường Đại học Văn Lang", "Trường Đại học Hoa Sen", "Trường Đại học Văn Hiến",
    "Trường Đại học Quốc tế Hồng Bàng", "Trường Đại học Nguyễn Tất Thành", "Trường Đại học Công nghệ TP.HCM",
    "Trường Đại học Gia Định", "Trường Đại học Công nghệ Sài Gòn", "Trường Đại học Kinh tế – Tài chính TP.HCM",
})

FAMOUS_SCHOOLS: tuple[Landmark, ...] = (
    Landmark("Trường THPT chuyên Lê Hồng Phong", "235 Nguyễn Văn Cừ, Phường 4", "Quận 5", 106.6815, 10.7635),
    Landmark("Trường THPT chuyên Trần Đại Nghĩa", "20 Lý Tự Trọng, Phường Bến Nghé", "Quận 1", 106.7030, 10.7818),
    Landmark("Trường THPT Nguyễn Thị Minh Khai", "275 Điện Biên Phủ, Phường Võ Thị Sáu", "Quận 3",
             106.6878, 10.7785),
    Landmark("Trường THPT Gia Định", "195/29 Xô Viết Nghệ Tĩnh, Phường 17", "Quận Bình Thạnh", 106.7095, 10.7985),
    Landmark("Trường THPT Bùi Thị Xuân", "73-75 Bùi Thị Xuân, Phường Phạm Ngũ Lão", "Quận 1", 106.6870, 10.7705),
    Landmark("Trường THPT Marie Curie", "159 Nam Kỳ Khởi Nghĩa, Phường Võ Thị Sáu", "Quận 3", 106.6900, 10.7815),
    Landmark("Trường THPT Lê Quý Đôn", "110 Nguyễn Thị Minh Khai, Phường Võ Thị Sáu", "Quận 3", 106.6925, 10.7790),
    Landmark("Trường THPT Nguyễn Thượng Hiền", "544 Cách Mạng Tháng Tám, Phường 11", "Quận 3", 106.6650, 10.7870),
)
