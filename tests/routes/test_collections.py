"""OGC API - Features: landing, conformance, collections, collection, queryables."""

from __future__ import annotations

import requests


def get(server, path, **params):
    return requests.get(f"{server}{path}", params=params, timeout=30)


def test_landing_links_to_definition_conformance_and_collections(server):
    r = get(server, "/api/")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    rels = {link["rel"]: link for link in r.json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["href"].endswith("/api/openapi.json")
    assert requests.get(rels["data"]["href"], timeout=30).status_code == 200


def test_conformance_lists_core_geojson_and_oas30(server):
    classes = get(server, "/api/conformance").json()["conformsTo"]
    for part in ("core", "geojson", "oas30", "html"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in classes


def test_collections_lists_every_public_layer_with_extent_and_links(server, demo_reports, catalog):
    body = get(server, "/api/collections").json()
    by_id = {c["id"]: c for c in body["collections"]}
    live = {slug for slug, layer in catalog.items() if layer.live}  # published from the start, empty
    assert set(by_id) == set(demo_reports) | live  # every layer the session loaded is public
    health = by_id["health"]
    assert health["title"] == "Cơ sở y tế" and health["itemType"] == "feature"
    assert health["extent"]["spatial"]["bbox"][0] == list(demo_reports["health"].bbox)
    rels = {link["rel"] for link in health["links"]}
    assert {"self", "items", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= rels


def test_collection_speaks_english_when_asked(server):
    en = get(server, "/api/collections/health", lang="en").json()
    assert en["title"] == "Health facilities" and en["description"].startswith("Hospitals")
    vi = requests.get(f"{server}/api/collections/health", headers={"Accept-Language": "vi"}, timeout=30).json()
    assert vi["title"] == "Cơ sở y tế"


def test_unknown_collection_is_a_json_404(server):
    r = get(server, "/api/collections/nope", lang="en")
    assert r.status_code == 404 and r.json()["code"] == "NotFound" and r.json()["messages"]["vi"]


def test_queryables_are_the_filterable_fields_as_json_schema(server, catalog):
    r = get(server, "/api/collections/bus_stops/queryables")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/schema+json"
    schema = r.json()
    assert set(schema["properties"]) == {f.name for f in catalog["bus_stops"].filterable}
    assert schema["properties"]["kind"]["enum"] == list(catalog["bus_stops"].field("kind").values)


def test_html_for_people(server):
    r = get(server, "/api/collections", f="html")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "Cơ sở y tế" in r.text and 'href="http' in r.text
    assert get(server, "/api/collections", f="xml").status_code == 400
