"""The write API's declarative OpenAPI description matches the routes the app really serves."""

from __future__ import annotations

import re

from mapserver.agency.openapi import PATHS


def test_every_api_route_is_described_and_nothing_else(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("agency_api."):
            path = re.sub(r"<(?:int:)?(\w+)>", lambda m: "{" + {"slug": "layerId", "job_id": "jobId",
                                                               "number": "version"}[m.group(1)] + "}", rule.rule)
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in PATHS.items() for method in item}
    assert served == described


def test_each_operation_declares_its_errors_and_security():
    for item in PATHS.values():
        for operation in item.values():
            assert operation["security"] == [{"bearerToken": []}]
            assert {"401", "403", "404"} <= set(operation["responses"])


def test_every_reference_resolves_within_the_module():
    from mapserver.agency.openapi import SCHEMAS

    text = repr(PATHS)
    for ref in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert ref in SCHEMAS
