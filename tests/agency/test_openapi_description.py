"""The write API's declarative OpenAPI description matches the routes the app really serves."""

from __future__ import annotations

import re

from mapserver.agency.openapi import PATHS


def test_every_api_route_is_described_and_nothing_else(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("agency_api."):
            path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in PATHS.items() for method in item}
    assert served == described


def test_each_operation_declares_its_errors_and_security():
    for item in PATHS.values():
        for operation in item.values():
            assert operation["security"] == [{"bearerToken": []}]
            assert {"401", "403", "404"} <= set(operation["responses"])


def test_the_served_openapi_document_holds_the_write_api(server):
    import requests

    spec = requests.get(f"{server}/api/openapi.json", timeout=10).json()
    assert set(PATHS) <= set(spec["paths"]) and spec["paths"]["/api/layers/{slug}/uploads"]["post"]
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    for ref in set(re.findall(r"#/components/schemas/(\w+)", repr(spec))):
        assert ref in spec["components"]["schemas"]
    page = requests.get(f"{server}/api/docs", timeout=10)
    assert page.status_code == 200 and "POST /api/layers/{slug}/uploads" in page.text
