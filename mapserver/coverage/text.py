"""Every visible word of the coverage page, in Vietnamese (the default) and English."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Phường, xã xa dịch vụ",
        "other_language": "English",
        "other_language_label": "Switch to English",
        "intro": "Mỗi vòng tròn là một phường, xã (lớn theo diện tích), tô màu theo khoảng cách từ tâm đến điểm "
                 "gần nhất.",
        "kind_label": "Loại dịch vụ",
        "radius_label": "Bán kính đếm",
        "map_label": "Bản đồ phường, xã theo khoảng cách đến dịch vụ gần nhất",
        "legend_title": "Khoảng cách đến điểm gần nhất",
        "none": "không có",
        "worst_title": "Các phường, xã xa dịch vụ nhất",
        "nearest": "Gần nhất",
        "within": "trong bán kính",
        "area": "Diện tích",
        "loading": "Đang tải…",
        "load_error": "Không tải được dữ liệu. Vui lòng thử lại.",
        "csv": "Tải bảng CSV",
        "all_kinds": "Tất cả",
    },
    "en": {
        "title": "Wards far from services",
        "other_language": "Tiếng Việt",
        "other_language_label": "Chuyển sang tiếng Việt",
        "intro": "Each circle is a ward (sized by its area), coloured by the distance from its centre to the nearest "
                 "service point.",
        "kind_label": "Service",
        "radius_label": "Count within",
        "map_label": "Map of wards by distance to the nearest service",
        "legend_title": "Distance to the nearest point",
        "none": "none",
        "worst_title": "Worst-served wards",
        "nearest": "Nearest",
        "within": "within the radius",
        "area": "Area",
        "loading": "Loading…",
        "load_error": "Could not load the data. Please try again.",
        "csv": "Download CSV",
        "all_kinds": "All",
    },
}
