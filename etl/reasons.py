"""Why a row was rejected, in both languages at the source, with a code to count and group by.

The clerk reads the reason next to her row; the code lets the report say "37 rows: ..." once
instead of 37 times, and lets the web area translate nothing after the fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_TYPE_VI = {"integer": "số nguyên", "float": "số", "boolean": "đúng/sai", "date": "ngày", "text": "văn bản",
            "timestamp": "thời điểm", "text[]": "danh sách"}


@dataclass(frozen=True)
class Reason:
    code: str
    en: str
    vi: str


MISSING_GEOMETRY = Reason("missing_geometry", "empty or missing geometry", "thiếu dữ liệu hình học")
OUTSIDE_AREA = Reason("outside_area", "outside the deployment area", "nằm ngoài khu vực triển khai")
REQUIRED_EMPTY = Reason("required_empty", "required value is empty", "thiếu giá trị bắt buộc")
NO_COORDINATES = Reason("no_coordinates", "no coordinates: fill in Kinh độ (longitude) and Vĩ độ (latitude)",
                        "không có tọa độ: hãy điền Kinh độ và Vĩ độ")
ADDRESS_WITHOUT_COORDINATES = Reason(
    "address_without_coordinates",
    "has an address but no coordinates (the server does not find places from addresses): add Kinh độ/Vĩ độ",
    "có địa chỉ nhưng không có tọa độ (máy chủ không tự tìm vị trí theo địa chỉ): hãy thêm Kinh độ/Vĩ độ")


def bad_type(type_name: str, value: object) -> Reason:
    return Reason("bad_type", f"not a valid {type_name}: {value!r}",
                  f"không phải giá trị {_TYPE_VI.get(type_name, type_name)} hợp lệ: {value!r}")


def bad_coordinate(column: str, value: object) -> Reason:
    return Reason("bad_coordinate",
                  f"cannot read the coordinate {column} {value!r}; write it as 10.7756, 10,7756 or 10°46'32\"N",
                  f"không đọc được tọa độ {column} {value!r}; hãy ghi dạng 10.7756, 10,7756 hoặc 10°46'32\"N")


def coordinate_missing(column: str) -> Reason:
    return Reason("coordinate_missing", f"{column} is empty: a point needs both coordinates",
                  f"thiếu {column}: một điểm cần cả kinh độ và vĩ độ")


def duplicate_id(value: object) -> Reason:
    return Reason("duplicate_id", f"duplicate id {value!r}", f"mã bị trùng {value!r}")


def geometry_type(kind: str, allowed: Iterable[str]) -> Reason:
    expected = ", ".join(sorted(allowed))
    return Reason("geometry_type", f"geometry type {kind} not accepted (expected {expected})",
                  f"kiểu hình học {kind} không được chấp nhận (cần {expected})")


def not_a_category(value: str, field_title: dict[str, str], layer_title: dict[str, str],
                   allowed: dict[str, dict[str, str]]) -> Reason:
    """`allowed`: code -> {vi, en} labels, listed so the clerk can pick the right one."""
    en = "; ".join(f"{labels['en']} ({code})" for code, labels in allowed.items())
    vi = "; ".join(f"{labels['vi']} ({code})" for code, labels in allowed.items())
    return Reason("not_a_category",
                  f"{value!r} is not a {field_title['en'].lower()} of {layer_title['en']}; allowed: {en}",
                  f"{value!r} không phải là {field_title['vi'].lower()} của {layer_title['vi']}; được phép: {vi}")
