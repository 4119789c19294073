"""OpenAPI 3 description of the write API; `mapserver.api.docs` merges PATHS and SECURITY_SCHEMES into it."""

from __future__ import annotations

SECURITY_SCHEMES = {
    "bearerToken": {"type": "http", "scheme": "bearer",
                    "description": "An agency token from `mapserver tokens create` (msk_...)."},
}

_ERROR = {"description": "JSON error {code, description, messages: {vi, en}}",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_LAYER = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_SECURED = [{"bearerToken": []}]
_JOB = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "target": {"type": "string", "enum": ["layer", "timetable"],
               "description": "what the job loads: a layer's file, or the transit timetable (GTFS)"},
    "layer": {"type": "string", "description": "the layer loaded; for a timetable, the layer whose agency owns it "
                                               "(transport)"},
    "source": {"type": "string"},
    "state": {"type": "string", "enum": ["queued", "running", "done", "failed", "needs_mapping"],
              "description": "needs_mapping: an upload from the web area whose columns or values do not all "
                             "match waits for the clerk's mapping there"},
    "progress": {"type": "number", "minimum": 0, "maximum": 1}, "attempts": {"type": "integer"},
    "options": {"type": "object", "description": "the load options as applied: the request's, with the agency's "
                                                 "import profile under them (profile_fields, values, profile)"},
    "report": {"type": "object", "nullable": True,
               "description": "rows_read/loaded/repaired/rejected; rejections (the first 1000) [{row, field, value, "
                              "code, reason, reason_vi}]; rejected_by_reason {code: rows}; rejection_groups "
                              "[{code, field, reason, reason_vi, count, first_rows}]; columns {field: column}; "
                              "unmatched_columns; version"},
    "survey": {"type": "object", "nullable": True,
               "description": "while needs_mapping: the file's columns with samples and matched fields, the layer's "
                              "fields, and the category values that match no code"},
    "rejected_csv": {"type": "boolean", "description": "every rejected row can be downloaded (links.rejected_csv)"},
    "links": {"type": "object", "description": "rejected_csv: where to download the rejected rows, when any"},
    "error": {"type": "object", "nullable": True, "description": "messages {vi, en} when the file was refused"}}}


def _errors(*statuses: int) -> dict:
    return {str(s): _ERROR for s in statuses}


_TIMETABLE_VERSION = {"type": "object", "properties": {
    "version": {"type": "integer"}, "status": {"type": "string", "enum": ["ready", "published", "retired", "dropped"]},
    "counts": {"type": "object", "description": "stops, routes, trips, stop_times, services, shapes"},
    "timezone": {"type": "string"}, "first_date": {"type": "string"}, "last_date": {"type": "string"},
    "source_name": {"type": "string"}, "created_by": {"type": "string"}, "created_at": {"type": "string"},
    "published_at": {"type": "string", "nullable": True}, "published_by": {"type": "string", "nullable": True},
    "rolled_back_at": {"type": "string", "nullable": True}, "rolled_back_by": {"type": "string", "nullable": True}}}
_SWITCHED = {"type": "object", "properties": {"network": {"type": "string"}, "published_version": {"type": "integer"},
                                              "previous": {"type": "integer", "nullable": True}}}


PATHS = {
    "/api/layers/{slug}/uploads": {"post": {
        "summary": "Upload a file as a new version of the layer; it is loaded by a background job",
        "operationId": "uploadLayerFile", "tags": ["Agencies"], "security": _SECURED, "parameters": [_LAYER],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "GeoJSON, GeoPackage, KML, a zipped shapefile, or a table with lon/lat "
                                        "columns: CSV or a spreadsheet (.xlsx, .xls, .ods; the sheet: "
                                        "source_layer) (ALLOWED_UPLOAD_EXTENSIONS)"},
                "publish": {"type": "boolean", "default": False, "description": "publish once loaded"},
                "crs": {"type": "string", "description": "the file's CRS when it declares none, e.g. EPSG:3405"},
                "fields": {"type": "string", "description": "JSON object: layer field -> the file's column, "
                                                            "or null when the file has none, e.g. "
                                                            "{\"name\": \"Tên đơn vị\", \"phone\": null}. Used "
                                                            "over the agency's import profile; an unknown field or "
                                                            "column fails the job naming the ones there are"},
                "values": {"type": "string", "description": "JSON object: category field -> {value as written: "
                                                            "code}, e.g. {\"kind\": {\"Tiêm chủng dịch vụ\": "
                                                            "\"vaccination\"}}. Values are compared without case "
                                                            "or accents; an unknown code fails the job"},
                "source_layer": {"type": "string",
                                 "description": "layer inside a multi-layer file, or a spreadsheet's sheet"}}}}}},
        "responses": {"202": {"description": "Accepted; follow the job",
                              "headers": {"Location": {"schema": {"type": "string"}}},
                              "content": {"application/json": {"schema": {"type": "object", "properties": {
                                  "job": _JOB}}}}},
                      **_errors(400, 401, 403, 404, 413, 415, 429)}}},
    "/api/jobs/{job_id}": {"get": {
        "summary": "State, progress and load report of an upload job", "operationId": "getJob",
        "tags": ["Agencies"], "security": _SECURED,
        "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The job", "content": {"application/json": {"schema": _JOB}}},
                      **_errors(401, 403, 404)}}},
    "/api/jobs/{job_id}/rejected.csv": {"get": {
        "summary": "Every row the job's load rejected, as the file had it, with the row number, field, value and "
                   "reason (Vietnamese and English): fix them in the spreadsheet and upload again",
        "operationId": "getJobRejectedRows", "tags": ["Agencies"], "security": _SECURED,
        "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "CSV (UTF-8 with BOM) as an attachment",
                              "content": {"text/csv": {"schema": {"type": "string"}}}},
                      **_errors(401, 403, 404)}}},
    "/api/layers/{slug}/publish": {"post": {
        "summary": "Publish a loaded version of the layer", "operationId": "publishLayerVersion",
        "tags": ["Agencies"], "security": _SECURED, "parameters": [_LAYER],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["version"], "properties": {"version": {"type": "integer", "minimum": 1}}}}}},
        "responses": {"200": {"description": "Published: {layer, published_version, previous}"},
                      **_errors(400, 401, 403, 404, 409, 429)}}},
    "/api/layers/{slug}/rollback": {"post": {
        "summary": "Publish the version before the published one", "operationId": "rollbackLayer",
        "tags": ["Agencies"], "security": _SECURED, "parameters": [_LAYER],
        "responses": {"200": {"description": "Rolled back: {layer, published_version}"},
                      **_errors(401, 403, 404, 409, 429)}}},
    "/api/layers/{slug}/versions": {"get": {
        "summary": "The layer's versions, newest first (agency staff)", "operationId": "listLayerVersions",
        "tags": ["Agencies"], "security": _SECURED, "parameters": [_LAYER],
        "responses": {"200": {"description": "{layer, versions: [...]}"}, **_errors(401, 403, 404)}}},
    "/api/transit/uploads": {"post": {
        "summary": "Upload a GTFS feed as a new version of the transit timetable the journey planner uses; it is "
                   "loaded by a background job (editors of the agency owning the transport layer, or admins)",
        "operationId": "uploadTimetable", "tags": ["Agencies"], "security": _SECURED,
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "a GTFS zip (agency.txt, stops.txt, routes.txt, trips.txt, stop_times.txt, "
                                        "calendar.txt or calendar_dates.txt). A feed that cannot be used fails the "
                                        "job with the reason and leaves the published timetable as it was; rows "
                                        "left out are listed in the job's report (field: file:column)"},
                "publish": {"type": "boolean", "default": False, "description": "publish once loaded"}}}}}},
        "responses": {"202": {"description": "Accepted; follow the job (target: timetable)",
                              "headers": {"Location": {"schema": {"type": "string"}}},
                              "content": {"application/json": {"schema": {"type": "object", "properties": {
                                  "job": _JOB}}}}},
                      **_errors(400, 401, 403, 404, 413, 415, 429)}}},
    "/api/transit/versions": {"get": {
        "summary": "The transit timetable's versions, newest first, with who published and rolled each back "
                   "(staff of the agency owning the transport layer)", "operationId": "listTimetableVersions",
        "tags": ["Agencies"], "security": _SECURED,
        "responses": {"200": {"description": "{network, versions: [...]}", "content": {"application/json": {
            "schema": {"type": "object", "properties": {"network": {"type": "string"},
                                                        "versions": {"type": "array", "items": _TIMETABLE_VERSION}}}}}},
                      **_errors(401, 403, 404)}}},
    "/api/transit/versions/{number}/publish": {"post": {
        "summary": "Publish a kept version of the transit timetable", "operationId": "publishTimetableVersion",
        "tags": ["Agencies"], "security": _SECURED,
        "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "Published",
                              "content": {"application/json": {"schema": _SWITCHED}}},
                      **_errors(401, 403, 404, 409, 429)}}},
    "/api/transit/rollback": {"post": {
        "summary": "Publish the timetable version published before the current one (skipping rolled-back ones)",
        "operationId": "rollbackTimetable", "tags": ["Agencies"], "security": _SECURED,
        "responses": {"200": {"description": "Rolled back", "content": {"application/json": {"schema": _SWITCHED}}},
                      **_errors(401, 403, 404, 409, 429)}}},
    "/api/layers/{slug}/versions/{number}/features": {"get": {
        "summary": "Features of any kept version, published or not, for a preview (agency staff)",
        "operationId": "previewLayerVersion", "tags": ["Agencies"], "security": _SECURED,
        "parameters": [_LAYER, {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "GeoJSON FeatureCollection",
                              "content": {"application/geo+json": {"schema": {"type": "object"}}}},
                      **_errors(401, 403, 404)}}},
}
