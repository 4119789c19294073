"""OGC API - Features Part 1: landing page, conformance, collections, items and item."""

from __future__ import annotations

from typing import Any

from flask import request

from etl.live.store import live_table
from layers import Layer
from mapserver.accounts.access import get_readable_layer, readable_layers
from mapserver.api import bp
from mapserver.api.declare import route
from mapserver.api.params import BBOX, COMMON, DATETIME, LIMIT, OFFSET, PROPERTIES, SORTBY
from mapserver.api.respond import (
    GEOJSON,
    HTML,
    JSON,
    OPENAPI,
    answer,
    dumps,
    extend_query,
    kept_query,
    lang,
    link,
    published_layer,
    self_links,
)
from mapserver.features.filters import json_schema, openapi_params, parse_filters, parse_properties, parse_sortby
from mapserver.features.query.features import ItemsQuery, item_json, items_json
from mapserver.live import reading as live
from mapserver.web.catalog import Published
from mapserver.web.errors import FeatureNotFound
from mapserver.web.state import published_now

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    # Part 4 on live layers (mapserver/live/writing.py).
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
COLLECTION_ID = {"collectionId": "Collection (layer) id, from /api/collections."}


def _collection_doc(layer: Layer, published: Published) -> dict[str, Any]:
    language = lang()
    slug = {"collectionId": layer.slug}
    doc: dict[str, Any] = {
        "id": layer.slug,
        "title": layer.title_in(language),
        "description": layer.description.get(language) or layer.description["vi"],
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            link("api.collection", "self", JSON, layer.title_in(language), **slug),
            link("api.items", "items", GEOJSON, "GeoJSON", **slug),
            link("api.items", "items", HTML, "HTML", "f=html", **slug),
            link("api.queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
                 "Queryables", **slug),
        ],
    }
    if published.bbox:
        doc["extent"] = {"spatial": {"bbox": [list(published.bbox)], "crs": CRS84}}
    return doc


def _readable_published() -> list[tuple[Layer, Published]]:
    layers = readable_layers()
    published = published_now([layer.slug for layer in layers])
    return [(layer, published[layer.slug]) for layer in layers if layer.slug in published]


@route(bp, "/", summary="Landing page", tag="capabilities", params=COMMON,
       description="Links to the API definition, the conformance classes and the collections.")
def landing(args):
    def produce() -> str:
        return dumps({
            "title": "Bản đồ dữ liệu ngành" if lang() == "vi" else "Sector data map",
            "description": "OGC API - Features, nearest facility and search over the city's published layers.",
            "links": [
                *self_links("api.landing", JSON),
                link("api.openapi", "service-desc", OPENAPI, "OpenAPI 3.0"),
                link("api.docs", "service-doc", HTML, "API documentation"),
                link("api.conformance", "conformance", JSON, "Conformance classes"),
                link("api.collections", "data", JSON, "Collections"),
            ],
        })

    return answer(args, "landing", "CACHE_METADATA_S", produce, JSON, "API")


@route(bp, "/conformance", summary="Conformance classes", tag="capabilities", params=COMMON,
       description="The OGC conformance classes this server implements.")
def conformance(args):
    return answer(args, "conformance", "CACHE_METADATA_S",
                  lambda: dumps({"conformsTo": CONFORMANCE, "links": self_links("api.conformance", JSON)}),
                  JSON, "Conformance")


@route(bp, "/collections", summary="Collections", tag="capabilities", params=COMMON,
       description="Every published layer this client may read, with its extent and links.")
def collections(args):
    pairs = _readable_published()

    def produce() -> str:
        return dumps({"links": self_links("api.collections", JSON),
                      "collections": [_collection_doc(layer, pub) for layer, pub in pairs]})

    state = [(layer.slug, pub.version) for layer, pub in pairs]
    return answer(args, state, "CACHE_METADATA_S", produce, JSON, "Collections")


@route(bp, "/collections/{collectionId}", summary="One collection", tag="capabilities", params=COMMON,
       path_params=COLLECTION_ID, description="Title, description, extent (WGS84), CRS and links of one layer.")
def collection(args, collectionId: str):
    layer = get_readable_layer(collectionId)
    published = published_layer(layer, guarded=False)
    return answer(args, published.version, "CACHE_METADATA_S", lambda: dumps(_collection_doc(layer, published)),
                  JSON, layer.title_in(lang()))


@route(bp, "/collections/{collectionId}/queryables", summary="Queryables of a collection", tag="capabilities",
       params=COMMON, path_params=COLLECTION_ID, media_type="application/schema+json",
       description="JSON Schema of the properties that filter items (`?name=value`).")
def queryables(args, collectionId: str):
    layer = get_readable_layer(collectionId)
    published = published_layer(layer, guarded=False)

    def produce() -> str:
        return dumps({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": request.base_url,
            "type": "object",
            "title": layer.title_in(lang()),
            "properties": {f.name: json_schema(f, lang()) for f in layer.filterable},
            "additionalProperties": False,
        })

    return answer(args, published.version, "CACHE_METADATA_S", produce, "application/schema+json",
                  layer.title_in(lang()))


def _page_links(layer: Layer, query: ItemsQuery) -> tuple[list[dict], dict]:
    """self/alternate, collection, prev (computed here), next (kept by SQL only when features remain)."""
    slug = {"collectionId": layer.slug}
    kept = kept_query("offset", "f")
    links = [*self_links("api.items", GEOJSON, **slug),
             link("api.collection", "collection", JSON, layer.title_in(lang()), **slug)]
    if query.offset > 0:
        links.append(link("api.items", "prev", GEOJSON, "Previous page",
                          extend_query(kept, offset=max(0, query.offset - query.limit)), **slug))
    next_link = link("api.items", "next", GEOJSON, "Next page",
                     extend_query(kept, offset=query.offset + query.limit), **slug)
    return links, next_link


@route(bp, "/collections/{collectionId}/items", summary="Features of a collection", params=(
    *COMMON, BBOX, DATETIME, LIMIT, OFFSET, PROPERTIES, SORTBY), path_params=COLLECTION_ID, media_type=GEOJSON,
    filters="Equality filters on the layer's filterable properties (see its queryables), e.g. `kind=vaccination`.",
    per_layer_params=openapi_params,
    description="A page of features as GeoJSON (RFC 7946, WGS84 lon/lat); follow `next` links to the end.")
def items(args, collectionId: str):
    layer = get_readable_layer(collectionId)
    valid = args.datetime if layer.live else None  # other layers' features are timeless: valid at any time
    query = ItemsQuery(limit=args.limit, offset=args.offset, bbox=args.bbox,
                       filters=parse_filters(layer, args.extra), properties=parse_properties(layer, args.properties),
                       sortby=parse_sortby(layer, args.sortby), valid=valid,
                       table=live_table(layer) if valid else None, live=layer.live)
    published = published_layer(layer)
    links, next_link = _page_links(layer, query)
    state = (published.version, live.state(layer)) if layer.live else published.version
    return answer(args, state, _max_age(layer), lambda: items_json(layer, published, query, links, next_link),
                  GEOJSON, layer.title_in(lang()))


def _max_age(layer: Layer) -> str:
    """Live layers' answers are revalidated on every use: they change with each write and as time passes."""
    return "CACHE_LIVE_S" if layer.live else "CACHE_FEATURES_S"


@route(bp, "/collections/{collectionId}/items/{featureId}", summary="One feature", params=COMMON,
       path_params={**COLLECTION_ID, "featureId": "The feature's stable id (its `id`)."}, media_type=GEOJSON,
       description="One feature by its stable id, as a GeoJSON Feature.")
def item(args, collectionId: str, featureId: str):
    layer = get_readable_layer(collectionId)
    if "\x00" in featureId or len(featureId) > 1000:
        raise FeatureNotFound()
    published = published_layer(layer)
    slug = {"collectionId": layer.slug, "featureId": featureId}
    links = [*self_links("api.item", GEOJSON, **slug),
             link("api.collection", "collection", JSON, layer.title_in(lang()), collectionId=layer.slug)]

    def produce() -> str:
        text = item_json(layer, published, featureId, links)
        if text is None:
            raise FeatureNotFound()
        return text

    revision = live.revision(layer, featureId) if layer.live else None
    if layer.live and revision is None:
        raise FeatureNotFound()
    return answer(args, published.version, _max_age(layer), produce, GEOJSON, layer.title_in(lang()),
                  etag=None if revision is None else str(revision))
