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
