"""The agency pages' words in Vietnamese (first) and English (the ETL writes its reasons in both)."""

from __future__ import annotations

from flask import request, session

from mapserver.web.errors import prefers_english

TEXT: dict[str, tuple[str, str]] = {
    "area": ("Khu vực cơ quan", "Agency area"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "login_failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "login_locked": ("Tài khoản tạm khóa do nhập sai nhiều lần; vui lòng thử lại sau {minutes} phút.",
                     "The account is locked after repeated failures; try again in {minutes} minutes."),
    "dashboard": ("Lớp dữ liệu", "Layers"),
    "layer": ("Lớp", "Layer"),
    "agency": ("Cơ quan", "Agency"),
    "published": ("Đang công bố", "Published"),
    "features": ("Số đối tượng", "Features"),
    "last_load": ("Lần nạp gần nhất", "Last load"),
    "by": ("Người thực hiện", "By"),
    "upload": ("Tải lên tệp mới", "Upload a new file"),
    "file": ("Tệp", "File"),
    "accepted_types": ("Loại tệp chấp nhận", "Accepted types"),
    "publish_now": ("Công bố ngay sau khi nạp", "Publish as soon as loaded"),
    "send": ("Gửi", "Send"),
    "uploading": ("Đang tải lên", "Uploading"),
    "queued": ("Đang chờ xử lý", "Waiting to be processed"),
    "running": ("Đang nạp dữ liệu", "Loading"),
    "done": ("Đã nạp xong", "Loaded"),
    "failed": ("Không nạp được", "Not loaded"),
    "history": ("Lịch sử phiên bản", "Version history"),
    "version": ("Phiên bản", "Version"),
    "status": ("Trạng thái", "Status"),
    "ready": ("Sẵn sàng, chưa công bố", "Ready, not published"),
    "retired": ("Đã thay thế", "Retired"),
    "source": ("Tệp nguồn", "Source file"),
    "created": ("Thời điểm", "When"),
    "published_when": ("Công bố lúc, bởi", "Published at, by"),
    "rolled_back_when": ("Bị quay lại lúc, bởi", "Rolled back at, by"),
    "report": ("Báo cáo nạp", "Load report"),
    "preview": ("Xem trước", "Preview"),
    "publish": ("Công bố", "Publish"),
    "rollback": ("Quay lại phiên bản trước", "Roll back to the previous version"),
    "rows_read": ("Số dòng đã đọc", "Rows read"),
    "rows_loaded": ("Số dòng đã nạp", "Rows loaded"),
    "rows_repaired": ("Số dòng đã sửa", "Rows repaired"),
    "rows_rejected": ("Số dòng bị loại", "Rows rejected"),
    "row": ("Dòng", "Row"),
    "field": ("Trường", "Field"),
    "reason": ("Lý do", "Reason"),
    "no_rejections": ("Không có dòng nào bị loại.", "No row was rejected."),
    "preview_note": ("Bản xem trước chưa công bố: người dân chưa thấy phiên bản này.",
                     "Unpublished preview: citizens do not see this version yet."),
    "audit": ("Nhật ký kiểm toán", "Audit log"),
    "action": ("Hành động", "Action"),
    "target": ("Đối tượng", "Target"),
    "result": ("Kết quả", "Result"),
    "address": ("Địa chỉ", "Address"),
    "details": ("Chi tiết", "Details"),
    "since": ("Từ ngày", "Since"),
    "filter": ("Lọc", "Filter"),
    "all": ("Tất cả", "All"),
    "jobs": ("Tác vụ gần đây", "Recent jobs"),
    "published_ok": ("Đã công bố phiên bản {version}.", "Version {version} is published."),
    "needs_mapping": ("Chờ ánh xạ cột và giá trị", "Waiting for a mapping of columns and values"),
    "job": ("Tác vụ", "Job"),
    "progress": ("Tiến độ", "Progress"),
    "open_mapping": ("Ánh xạ cột và giá trị", "Map the columns and values"),
    "mapping": ("Ánh xạ cột và giá trị", "Map columns and values"),
    "mapping_intro": ("Tệp «{source}» ({rows} dòng) có cột hoặc giá trị chưa khớp với lớp «{layer}». Hãy cho biết "
                      "mỗi cột là trường nào và mỗi giá trị thuộc loại nào; tệp sẽ được nạp theo lựa chọn này.",
                      "The file “{source}” ({rows} rows) has columns or values that do not match the layer "
                      "“{layer}”. Say which field each column is and what each value means; the file is then "
                      "loaded that way."),
    "id_field": ("Mã", "Identifier"),
    "file_columns": ("Các cột của tệp", "The file's columns"),
    "samples": ("Ví dụ", "Samples"),
    "no_samples": ("(trống)", "(empty)"),
    "do_not_load": ("không nạp", "do not load"),
    "coordinates": ("tọa độ, đọc theo tên cột", "coordinates, read by the column's name"),
    "required_field": ("bắt buộc", "required"),
    "missing_required": ("Chưa có cột cho trường bắt buộc: {fields}.",
                         "No column for the required field(s): {fields}."),
    "unknown_values": ("Giá trị của «{field}» không khớp (cột «{column}»)",
                       "Values of “{field}” that match none (column “{column}”)"),
    "unknown_values_if": ("Nếu cột «{column}» là «{field}»: các giá trị không khớp",
                          "If the column “{column}” is “{field}”: the values that match none"),
    "rows_count": ("{count} dòng", "{count} rows"),
    "reject_rows": ("loại các dòng này", "reject these rows"),
    "more_values": ("Còn ít nhất {more} giá trị khác không được liệt kê; {rows} dòng của chúng sẽ bị loại.",
                    "At least {more} more values are not listed; their {rows} rows will be rejected."),
    "save_profile": ("Lưu làm hồ sơ nhập của lớp này (áp dụng cho các lần tải lên sau)",
                     "Save as this layer's import profile (applied to the next uploads)"),
    "load_with_mapping": ("Nạp theo ánh xạ này", "Load with this mapping"),
    "mapping_twice": ("Trường «{field}» được chọn cho nhiều cột: {columns}.",
                      "The field “{field}” is chosen for several columns: {columns}."),
    "mapping_required": ("Trường bắt buộc «{field}» chưa được chọn cho cột nào.",
                         "The required field “{field}” is chosen for no column."),
    "mapping_viewer": ("Chỉ biên tập viên của cơ quan mới gửi được ánh xạ.",
                       "Only the agency's editors can send the mapping."),
    "mapping_queued": ("Đã nhận ánh xạ; tệp đang được nạp.", "Mapping received; the file is being loaded."),
    "profile": ("Hồ sơ nhập", "Import profile"),
    "profile_intro": ("Cách các tệp của cơ quan đặt tên cột và giá trị cho lớp này. Hồ sơ được áp dụng cho mỗi lần "
                      "tải lên; cột không có trong tệp thì được khớp như thường.",
                      "How the agency's files name this layer's columns and values. It is applied to every "
                      "upload; a column a file lacks is matched as usual."),
    "profile_none": ("Chưa có hồ sơ nhập cho lớp này.", "There is no import profile for this layer yet."),
    "profile_saved": ("Đã lưu hồ sơ nhập.", "The import profile is saved."),
    "profile_deleted": ("Đã xóa hồ sơ nhập.", "The import profile is deleted."),
    "column": ("Cột trong tệp", "Column in the file"),
    "match_auto": ("để trống: tự khớp", "empty: matched automatically"),
    "value_written": ("Giá trị trong tệp", "Value in the file"),
    "value_code": ("Giá trị của lớp", "Layer value"),
    "remove": ("Bỏ", "Remove"),
    "add_value": ("Thêm giá trị", "Add a value"),
    "ignored_columns": ("Cột không nạp (mỗi dòng một cột)", "Columns not loaded (one a line)"),
    "save": ("Lưu", "Save"),
    "delete_profile": ("Xóa hồ sơ nhập", "Delete the import profile"),
    "updated_when": ("Cập nhật lúc, bởi", "Updated at, by"),
    "by_reason": ("Số dòng bị loại theo lý do", "Rejected rows by reason"),
    "groups": ("Các nhóm dòng bị loại", "Rejected rows grouped"),
    "first_rows": ("các dòng {rows}", "rows {rows}"),
    "first_rejections": ("{shown} dòng bị loại đầu tiên (trên tổng số {total})",
                         "The first {shown} rejected rows (of {total})"),
    "value": ("Giá trị", "Value"),
    "download_rejected": ("Tải về tất cả các dòng bị loại (CSV, kèm lý do)",
                          "Download all rejected rows (CSV, with the reason)"),
    "download_hint": ("Sửa các dòng này trong bảng tính rồi tải tệp lên lại.",
                      "Fix these rows in the spreadsheet, then upload the file again."),
    "made_by_job": ("Nạp bởi tác vụ #{job}", "Loaded by job #{job}"),
    "open_version": ("Xem phiên bản {version}", "Open version {version}"),
    "timetable": ("Thời gian biểu", "Timetable"),
    "timetable_short": ("thời gian biểu GTFS của mạng lưới xe buýt và metro, dùng để tìm lộ trình",
                        "the bus and metro network's GTFS timetable, used by the journey planner"),
    "timetable_intro": ("Thời gian biểu GTFS của mạng lưới giao thông công cộng (tuyến, chuyến, giờ chạy) mà người dân "
                        "dùng để tìm lộ trình. Mỗi lần tải lên tạo một phiên bản mới; phiên bản chỉ được dùng khi đã "
                        "công bố, và có thể quay lại phiên bản trước như một lớp dữ liệu. Tệp bị từ chối không làm "
                        "thay đổi thời gian biểu đang công bố.",
                        "The public transport network's GTFS timetable (routes, trips, times) citizens plan their "
                        "journeys with. Each upload makes a new version; a version is used once published, and can "
                        "be rolled back like a layer. A refused file leaves the published timetable as it is."),
    "upload_timetable": ("Tải lên thời gian biểu mới (GTFS)", "Upload a new timetable (GTFS)"),
    "gtfs_zip": ("Tệp zip GTFS có agency.txt, stops.txt, routes.txt, trips.txt, stop_times.txt và calendar.txt "
                 "hoặc calendar_dates.txt",
                 "A GTFS zip with agency.txt, stops.txt, routes.txt, trips.txt, stop_times.txt and calendar.txt "
                 "or calendar_dates.txt"),
    "timetable_none_published": ("Chưa có thời gian biểu nào được công bố.", "No timetable is published yet."),
    "routes": ("Số tuyến", "Routes"),
    "trips": ("Số chuyến", "Trips"),
    "stops": ("Số trạm", "Stops"),
    "stop_times": ("Số lượt dừng", "Stop times"),
    "service_days": ("Ngày chạy", "Service days"),
    "timezone": ("Múi giờ", "Time zone"),
    "reason_missing_geometry": ("Thiếu dữ liệu hình học", "Missing geometry"),
    "reason_outside_area": ("Ngoài khu vực triển khai", "Outside the deployment area"),
    "reason_required_empty": ("Thiếu giá trị bắt buộc", "Required value empty"),
    "reason_bad_type": ("Sai kiểu dữ liệu", "Wrong data type"),
    "reason_duplicate_id": ("Mã bị trùng", "Duplicate id"),
    "reason_geometry_type": ("Kiểu hình học không được chấp nhận", "Geometry type not accepted"),
    "reason_not_a_category": ("Giá trị không thuộc danh mục", "Value not in the category list"),
    "reason_no_coordinates": ("Không có tọa độ", "No coordinates"),
    "reason_address_without_coordinates": ("Có địa chỉ nhưng không có tọa độ", "Address without coordinates"),
    "reason_bad_coordinate": ("Không đọc được tọa độ", "Unreadable coordinate"),
    "reason_coordinate_missing": ("Thiếu một tọa độ", "One coordinate missing"),
    "reason_unknown_stop": ("Trạm không có trong stops.txt", "Stop not in stops.txt"),
    "reason_unknown_trip": ("Chuyến không có trong trips.txt", "Trip not in trips.txt"),
    "reason_unknown_route": ("Tuyến không có trong routes.txt", "Route not in routes.txt"),
    "reason_unknown_service": ("Lịch chạy không có trong calendar", "Service not in the calendar"),
    "reason_bad_time": ("Giờ sai định dạng", "Malformed time"),
    "reason_arrival_after_departure": ("Giờ đến sau giờ đi", "Arrives after it departs"),
    "reason_time_goes_back": ("Giờ chạy lùi: cả chuyến bị loại", "Time goes back: trip left out"),
    "reason_untimed_end": ("Trạm đầu hoặc cuối không có giờ", "First or last stop without a time"),
    "reason_too_few_stops": ("Chuyến có ít hơn hai trạm", "Trip with fewer than two stops"),
    "reason_bad_sequence": ("stop_sequence sai", "Bad stop_sequence"),
    "reason_bad_coordinates": ("Tọa độ trạm sai", "Bad stop coordinates"),
    "reason_bad_date": ("Ngày sai định dạng", "Malformed date"),
    "reason_bad_number": ("Không phải số nguyên hợp lệ", "Not a valid whole number"),
    "reason_bad_headway": ("Tần suất (headway) sai", "Bad headway"),
}

def lang() -> str:
    """`?lang=` remembered in the session, else the browser's preference, Vietnamese first."""
    if request.args.get("lang") in ("vi", "en"):
        session["lang"] = request.args["lang"]
    if session.get("lang") in ("vi", "en"):
        return session["lang"]
    return "en" if prefers_english() else "vi"


def t(key: str, **values) -> str:
    vi, en = TEXT[key]
    return (en if lang() == "en" else vi).format(**values)


def reason_label(code: str) -> str:
    """A rejection reason's short name (the report counts rows per code); the code itself for a new one."""
    return t(f"reason_{code}") if f"reason_{code}" in TEXT else code
