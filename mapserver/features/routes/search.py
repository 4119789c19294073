"""`/api/search`: find features by name or address, as people type Vietnamese."""

from __future__ import annotations

from mapserver.accounts.access import get_readable_layer, readable_layers
from mapserver.api import bp
from mapserver.api.declare import route
from mapserver.api.params import COMMON, NEAR, SEARCH_LAYER, SEARCH_LIMIT, Q
from mapserver.api.respond import GEOJSON, answer, versions
from mapserver.features.query.search import SearchTarget, search_json


@route(bp, "/search", summary="Search", tag="search", media_type=GEOJSON,
       params=(*COMMON, Q, SEARCH_LAYER, NEAR, SEARCH_LIMIT),
       description="Across the searchable fields of the public layers, with or without diacritics: the query as "
                   "typed first; when that finds fewer than `limit`, features where every word of the query is "
                   "found with about one typo a word. Exact matches first, then prefix matches, then by similarity "
                   "(nearer first when `near` is given). Each feature has `properties.layer`.")
def search(args):
    layers = [get_readable_layer(args.layer)] if args.layer else readable_layers()
    layers = [layer for layer in layers if layer.searchable]
    published = versions([layer.slug for layer in layers])
    targets = [SearchTarget(layer, published[layer.slug], i) for i, layer in enumerate(layers)
               if layer.slug in published]
    state = [(t.layer.slug, t.published.version) for t in targets]
    return answer(args, state, "CACHE_FEATURES_S", lambda: search_json(targets, args.q, args.limit, args.near),
                  GEOJSON, "Search")
