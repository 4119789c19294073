"""The error family, and the one place that turns any error into a JSON answer.

Each error carries an HTTP status, an OGC-style code and a message in Vietnamese and
English; the `description` is in the client's language, both are always present.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 400
    code = "InvalidParameterValue"
    en = "The request is not valid."
    vi = "Yêu cầu không hợp lệ."

    def __init__(self, en: str | None = None, vi: str | None = None):
        super().__init__(en or self.en)
        self.en = en or self.en
        self.vi = vi or self.vi


class InvalidParameter(ApiError):
    status, code = 400, "InvalidParameterValue"


class LayerNotFound(ApiError):
    status, code = 404, "NotFound"
    en, vi = "No such layer.", "Không có lớp dữ liệu này."


class FeatureNotFound(ApiError):
    status, code = 404, "NotFound"
    en, vi = "No such feature.", "Không có đối tượng này."


class NotAuthenticated(ApiError):
    status, code = 401, "Unauthorized"
    en = "A valid token (Authorization: Bearer ...) or a login is required."
    vi = "Cần mã truy cập hợp lệ (Authorization: Bearer ...) hoặc đăng nhập."
    headers = {"WWW-Authenticate": 'Bearer realm="mapserver"'}


class Forbidden(ApiError):
    status, code = 403, "Forbidden"
    en = "You may not do this to this layer: it belongs to another agency or needs another role."
    vi = "Bạn không có quyền thực hiện việc này trên lớp dữ liệu: lớp thuộc đơn vị khác hoặc cần vai trò khác."


class VersionNotFound(ApiError):
    status, code = 404, "NotFound"
    en, vi = "This layer has no such kept version.", "Lớp dữ liệu không còn phiên bản này."


class JobNotFound(ApiError):
    status, code = 404, "NotFound"
    en, vi = "No such job.", "Không có tác vụ này."


class UnsupportedFileType(ApiError):
    status, code = 415, "UnsupportedMediaType"


class Conflict(ApiError):
    status, code = 409, "Conflict"


class NotPublished(ApiError):
    status, code = 404, "NotFound"
    en, vi = "The layer has no published version yet.", "Lớp dữ liệu chưa có phiên bản được công bố."


class DatabaseUnavailable(ApiError):
    status, code = 503, "ServiceUnavailable"
    en = "The database is unavailable; please try again shortly."
    vi = "Cơ sở dữ liệu tạm thời không truy cập được; vui lòng thử lại sau."


class TookTooLong(DatabaseUnavailable):
    """The statement ran past STATEMENT_TIMEOUT_MS: the database is up, and the same request would fail again,
    so the client is told to ask for less instead of to retry."""

    code = "Timeout"
    en = ("The request took longer than the server allows; ask for less: a smaller area, fewer features, "
          "or more words in a search.")
    vi = ("Yêu cầu cần quá nhiều thời gian để trả lời; hãy thu hẹp: vùng nhỏ hơn, ít đối tượng hơn, "
          "hoặc thêm từ khi tìm kiếm.")


_HTTP_VI = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần đăng nhập.",
    403: "Không có quyền truy cập.",
    404: "Không tìm thấy.",
    405: "Phương thức không được hỗ trợ.",
    413: "Tệp quá lớn.",
    429: "Quá nhiều yêu cầu; vui lòng thử lại sau.",
}


def prefers_english() -> bool:
    """Vietnamese first; English when asked by `lang=en` or Accept-Language. Decided once per request."""
    if "prefers_english" not in g:
        g.prefers_english = _prefers_english()
    return g.prefers_english


def _prefers_english() -> bool:
    lang = request.args.get("lang")
    if lang in ("vi", "en"):
        return lang == "en"
    best = request.accept_languages.best_match(["vi", "en"]) if "Accept-Language" in request.headers else None
    return (best or current_app.config.get("DEFAULT_LANGUAGE", "vi")) == "en"


def error_response(status: int, code: str, en: str, vi: str):
    body = {"code": code, "description": en if prefers_english() else vi, "messages": {"vi": vi, "en": en}}
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        body, status = error_response(err.status, err.code, err.en, err.vi)
        body.headers.update(getattr(err, "headers", {}))
        return body, status

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        response = error_response(status, err.name.replace(" ", ""), err.description or err.name,
                                  _HTTP_VI.get(status, err.name))
        if status == 405 and err.valid_methods:
            response[0].headers["Allow"] = ", ".join(err.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "ServerError", "Internal server error.", "Lỗi máy chủ nội bộ.")
