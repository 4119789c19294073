"""The live room's refusals, each with its status and both languages."""

from __future__ import annotations

from flask import jsonify

from etl.live.features import InvalidFeatures
from etl.live.writes import WriteRefused
from mapserver.web.errors import ApiError, FeatureNotFound, LayerNotFound, error_response


class PreconditionRequired(ApiError):
    status, code = 428, "PreconditionRequired"
    en = "Send If-Match with the feature's ETag (read it with GET first): writes never overwrite blindly."
    vi = "Hãy gửi If-Match với ETag của đối tượng (đọc bằng GET trước): không ghi đè khi chưa biết phiên bản."


class PreconditionFailed(ApiError):
    status, code = 412, "PreconditionFailed"


class FeatureExists(ApiError):
    status, code = 409, "Conflict"


class KeyReused(ApiError):
    status, code = 422, "UnprocessableEntity"


class NotLive(ApiError):
    status, code = 405, "MethodNotAllowed"
    en = "This layer changes by whole versions (uploads), not feature by feature."
    vi = "Lớp này thay đổi theo cả phiên bản (tải tệp lên), không theo từng đối tượng."
    headers = {"Allow": "GET, HEAD"}


class NoCap(ApiError):
    status, code = 404, "NotFound"
    en = "This layer takes no CAP alerts (only the alerts layer does)."
    vi = "Lớp này không nhận bản tin CAP (chỉ lớp cảnh báo nhận)."


class UnsupportedBody(ApiError):
    status, code = 415, "UnsupportedMediaType"


class BodyTooLarge(ApiError):
    status, code = 413, "PayloadTooLarge"


class NoChangeFeed(LayerNotFound):
    """A layer that is not live has no change feed: neither the app nor the stream service follows it."""
    en = "This layer has no change feed: it changes by whole versions (uploads)."
    vi = "Lớp này không có luồng thay đổi: lớp thay đổi theo cả phiên bản (tải tệp lên)."


class NoStreamService(ApiError):
    status, code = 503, "ServiceUnavailable"
    en = "No change-stream service is configured here: poll this URL with ?since=ID instead."
    vi = "Máy chủ này chưa có dịch vụ luồng thay đổi: hãy hỏi lại địa chỉ này với ?since=ID."
    headers = {"Retry-After": "15"}


_REFUSALS = {"stale": PreconditionFailed, "exists": FeatureExists, "key_reused": KeyReused}


def refusal(err: WriteRefused) -> ApiError:
    cls = _REFUSALS.get(err.kind, FeatureNotFound)
    return cls(err.en, err.vi)


def invalid_features(err: InvalidFeatures):
    """400 naming every problem, where it is and why, in both languages."""
    first = err.problems[0]
    body, status = error_response(400, "InvalidParameterValue", f"{first.where}: {first.en}",
                                  f"{first.where}: {first.vi}")
    payload = body.get_json()
    payload["problems"] = [{"where": p.where, "en": p.en, "vi": p.vi} for p in err.problems]
    return jsonify(payload), status
