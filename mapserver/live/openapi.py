"""OpenAPI 3 description of the live layers' routes; `mapserver.api.docs` merges PATHS into the document."""

from __future__ import annotations

_ERROR = {"description": "JSON error {code, description, messages: {vi, en}}; a refused feature also lists "
                         "problems [{where, en, vi}]",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_SECURED = [{"bearerToken": []}]
_COLLECTION = {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string"},
               "description": "A live layer (alerts, outages)."}
_FEATURE = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "The feature's ETag (its revision) as GET or the last write gave it; 412 when stale."}
_GEOJSON = {"application/geo+json": {"schema": {"type": "object", "description": "A GeoJSON Feature"}}}
_WRITTEN = {"description": "The feature as written", "headers": {"ETag": {"schema": {"type": "string"}}},
            "content": _GEOJSON}
_EVENT = {"type": "object", "properties": {
    "id": {"type": "string", "description": "Send it back as Last-Event-ID or since= to resume"},
    "type": {"type": "string", "enum": ["create", "update", "delete", "expire"]},
    "collection": {"type": "string"}, "featureId": {"type": "string"},
    "revision": {"type": "integer", "nullable": True}, "time": {"type": "string", "format": "date-time"},
    "feature": {"type": "object", "nullable": True, "description": "The Feature after a create or update"}}}


def _errors(*statuses: int) -> dict:
    return {str(s): _ERROR for s in statuses}


def _write(summary: str, op_id: str, body_types: tuple[str, ...], ok: dict, *errors: int,
           params: tuple = (_COLLECTION, _FEATURE, _IF_MATCH)) -> dict:
    operation = {"summary": summary, "operationId": op_id, "tags": ["Live layers"], "security": _SECURED,
                 "parameters": list(params), "responses": {**ok, **_errors(*errors)}}
    if body_types:
        operation["requestBody"] = {"required": True, "content": {t: {"schema": {"type": "object"}}
                                                                  for t in body_types}}
    return operation


PATHS = {
    "/api/collections/{collectionId}/items": {"post": _write(
        "Add a feature, or a FeatureCollection in one transaction (OGC API - Features Part 4); editors of the "
        "layer's agency or admins", "createFeatures", ("application/geo+json", "application/json"),
        {"201": {"description": "Created: Location and ETag for one feature; the FeatureCollection written for "
                                "several. A retried request with the same Idempotency-Key gets the first answer "
                                "(Idempotency-Replayed: true)", "headers": {"Location": {"schema": {"type": "string"}},
                                                                            "ETag": {"schema": {"type": "string"}}}}},
        400, 401, 403, 405, 409, 413, 415, 422,
        params=(_COLLECTION, {"name": "Idempotency-Key", "in": "header", "required": False,
                              "schema": {"type": "string", "maxLength": 200}}))},
    "/api/collections/{collectionId}/items/{featureId}": {
        "put": _write("Replace a feature whole", "replaceFeature", ("application/geo+json", "application/json"),
                      {"200": _WRITTEN}, 400, 401, 403, 404, 405, 412, 413, 415, 428),
        "patch": _write("Change part of a feature (JSON Merge Patch, RFC 7396; null removes a property)",
                        "updateFeature", ("application/merge-patch+json", "application/json"),
                        {"200": _WRITTEN}, 400, 401, 403, 404, 405, 412, 413, 415, 428),
        "delete": _write("Delete a feature", "deleteFeature", (), {"204": {"description": "Deleted"}},
                         401, 403, 404, 405, 412, 428)},
    "/api/collections/{collectionId}/changes": {"get": {
        "summary": "The layer's changes: JSON for clients that poll (since=), Server-Sent Events for "
                   "Accept: text/event-stream (served by the stream service; Last-Event-ID resumes)",
        "operationId": "getChanges", "tags": ["Live layers"],
        "parameters": [_COLLECTION,
                       {"name": "since", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0},
                        "description": "Events after this id; without it, none and `last` = the newest id"},
                       {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
                        "description": "Most events (LIVE_CHANGES_LIMIT_MAX); follow the `next` link for more"}],
        "responses": {"200": {"description": "{events, last, links}; or the event stream", "content": {
            "application/json": {"schema": {"type": "object", "properties": {
                "events": {"type": "array", "items": _EVENT}, "last": {"type": "string"},
                "links": {"type": "array", "items": {"type": "object"}}}}},
            "text/event-stream": {"schema": {"type": "string"}}}},
            "307": {"description": "To the stream service (LIVE_STREAM_URL)"}, **_errors(400, 404, 503)}}},
    "/api/collections/{collectionId}/cap": {"post": _write(
        "A CAP 1.2 alert (XML) as a feature of the alerts layer: Alert creates, Update replaces and Cancel ends "
        "the alert its references name", "postCapAlert", ("application/cap+xml", "application/xml", "text/xml"),
        {"201": {"description": "Created (Alert)", "content": _GEOJSON},
         "200": {"description": "Replaced or ended (Update, Cancel)", "content": _GEOJSON}},
        400, 401, 403, 404, 405, 409, 413, 415, params=(_COLLECTION,))},
}
