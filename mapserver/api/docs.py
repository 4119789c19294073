"""`/api/openapi.json` written from the route declarations themselves, and its page for people."""

from __future__ import annotations

from typing import Any

from flask import render_template

from layers import Layer
from mapserver.accounts.access import readable_layers
from mapserver.agency import openapi as agency_openapi
from mapserver.api import bp
from mapserver.api.declare import ROUTES, Route, route
from mapserver.api.params import COMMON
from mapserver.api.respond import HTML, OPENAPI, answer, dumps, lang
from mapserver.live import openapi as live_openapi

ERROR = {"$ref": "#/components/schemas/Error"}
COMPONENTS = {"schemas": {"Error": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"},
                   "messages": {"type": "object", "properties": {"vi": {"type": "string"}, "en": {"type": "string"}}}},
}}}


def _parameters(r: Route, layer: Layer | None) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in r.path_params.items() if not (layer and name == "collectionId")]
    params += [{"name": p.name, "in": "query", "required": p.required, "description": p.description,
                "style": "form", "explode": False, "schema": p.resolved_schema()} for p in r.params]
    if layer and r.per_layer_params:
        params += r.per_layer_params(layer)
    elif r.filters:
        params.append({"name": "filters", "in": "query", "required": False, "description": r.filters,
                       "style": "form", "explode": True,
                       "schema": {"type": "object", "additionalProperties": {"type": "string"}}})
    return params


def _operation(r: Route, layer: Layer | None = None) -> dict[str, Any]:
    suffix = f"_{layer.slug}" if layer else ""
    return {
        "summary": r.summary + (f" ({layer.slug})" if layer else ""),
        "description": r.description,
        "operationId": r.operation_id + suffix,
        "tags": [r.tag],
        "parameters": _parameters(r, layer),
        "responses": {
            "200": {"description": "OK", "content": {r.media_type: {"schema": {"type": "object"}},
                                                      HTML: {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified (If-None-Match matched the ETag)."},
            "400": {"description": "Invalid parameter.", "content": {"application/json": {"schema": ERROR}}},
            "404": {"description": "Not found.", "content": {"application/json": {"schema": ERROR}}},
            "503": {"description": "Database unavailable (code ServiceUnavailable: try again), or the request took "
                           "longer than the server allows (code Timeout: ask for less).",
                    "content": {"application/json": {"schema": ERROR}}},
        },
    }


def openapi_document() -> dict[str, Any]:
    """Every declared route; the items route also once per readable layer, with that layer's filters."""
    paths: dict[str, Any] = {}
    for r in ROUTES:
        paths["/api" + r.path] = {"get": _operation(r)}
        if r.per_layer_params:
            for layer in readable_layers():
                paths["/api" + r.path.replace("{collectionId}", layer.slug)] = {"get": _operation(r, layer)}
    paths.update(agency_openapi.PATHS)
    for path, operations in live_openapi.PATHS.items():
        paths.setdefault(path, {}).update(operations)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Sector data map server API", "version": "1.0.0",
                 "description": "OGC API - Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0), nearest facility "
                                "and Vietnamese search over the city's published layers.",
                 "license": {"name": "MIT"}},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {**COMPONENTS, "securitySchemes": agency_openapi.SECURITY_SCHEMES},
    }


def _state() -> list[str]:
    return [layer.slug for layer in readable_layers()]


@route(bp, "/openapi.json", summary="API definition (OpenAPI 3.0)", tag="capabilities", params=COMMON,
       media_type=OPENAPI, description="This document; written from the same declarations that parse requests.")
def openapi(args):
    if args.f == "html":
        return docs(args)
    return answer(args, _state(), "CACHE_METADATA_S", lambda: dumps(openapi_document()), OPENAPI, "OpenAPI")


@route(bp, "/docs", summary="API documentation (HTML)", tag="capabilities", params=COMMON,
       media_type=HTML, description="The OpenAPI document as a plain page for people.")
def docs(args):
    return answer(args, _state(), "CACHE_METADATA_S",
                  lambda: render_template("api_docs.html", spec=openapi_document(), lang=lang()), HTML)
