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
    "id": {"type": "integer"}, "layer": {"type": "string"}, "source": {"type": "string"},
    "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
    "progress": {"type": "number", "minimum": 0, "maximum": 1}, "attempts": {"type": "integer"},
    "report": {"type": "object", "nullable": True,
               "description": "rows_read/loaded/repaired/rejected, rejections [{row, field, reason}]"},
    "error": {"type": "object", "nullable": True, "description": "messages {vi, en} when the file was refused"}}}


def _errors(*statuses: int) -> dict:
    return {str(s): _ERROR for s in statuses}


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
    "/api/layers/{slug}/versions/{number}/features": {"get": {
        "summary": "Features of any kept version, published or not, for a preview (agency staff)",
        "operationId": "previewLayerVersion", "tags": ["Agencies"], "security": _SECURED,
        "parameters": [_LAYER, {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "GeoJSON FeatureCollection",
                              "content": {"application/geo+json": {"schema": {"type": "object"}}}},
                      **_errors(401, 403, 404)}}},
}
