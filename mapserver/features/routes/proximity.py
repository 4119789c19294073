"""What a citizen asks: the nearest, what is around me, everything within a radius."""

from __future__ import annotations

from mapserver.accounts.access import get_readable_layer, readable_layers
from mapserver.api import bp
from mapserver.api.declare import route
from mapserver.api.params import COMMON, LAT, LAYER, LON, MAX_DISTANCE, NEAREST_LIMIT, PER_LAYER, RADIUS, WITHIN_LIMIT
from mapserver.api.respond import GEOJSON, answer, published_layer, versions
from mapserver.features.filters import parse_filters
from mapserver.features.query import proximity as q

FILTERS = "Equality filters on the layer's filterable properties (see its queryables), e.g. `kind=vaccination`."


def _target(args) -> q.Target:
    layer = get_readable_layer(args.layer)
    filters = parse_filters(layer, args.extra)
    return q.Target(layer, published_layer(layer), filters)


@route(bp, "/nearest", summary="Nearest features", tag="proximity", media_type=GEOJSON, filters=FILTERS,
       params=(*COMMON, LAYER, LON, LAT, NEAREST_LIMIT, MAX_DISTANCE),
       description="The nearest features of one layer, by true distance on the WGS84 ellipsoid, each with "
                   "`properties.distance_m` (metres, 1 decimal). Lines count by their nearest point.")
def nearest(args):
    target = _target(args)
    place = q.Place(args.lon, args.lat)
    return answer(args, target.published.version, "CACHE_FEATURES_S",
                  lambda: q.nearest_json(target, place, args.limit, args.max_distance), GEOJSON, "Nearest")


@route(bp, "/nearby", summary="Around a place, every layer", tag="proximity", media_type=GEOJSON,
       params=(*COMMON, LON, LAT, RADIUS, PER_LAYER),
       description="For each public layer, its nearest features within the radius, in one FeatureCollection "
                   "ordered by layer then distance; each feature has `properties.layer` and `distance_m`.")
def nearby(args):
    layers = readable_layers()
    published = versions([layer.slug for layer in layers])
    targets = [q.Target(layer, published[layer.slug], n=i) for i, layer in enumerate(layers) if layer.slug in published]
    state = [(t.layer.slug, t.published.version) for t in targets]
    place = q.Place(args.lon, args.lat)
    return answer(args, state, "CACHE_FEATURES_S",
                  lambda: q.nearby_json(targets, place, args.per_layer, args.radius), GEOJSON, "Nearby")


@route(bp, "/within", summary="Everything within a radius", tag="proximity", media_type=GEOJSON, filters=FILTERS,
       params=(*COMMON, LAYER, LON, LAT, RADIUS, WITHIN_LIMIT),
       description="The features of one layer within the radius (geodesic), nearest first, with `distance_m`.")
def within(args):
    target = _target(args)
    place = q.Place(args.lon, args.lat)
    return answer(args, target.published.version, "CACHE_FEATURES_S",
                  lambda: q.within_json(target, place, args.limit, args.radius), GEOJSON, "Within")
