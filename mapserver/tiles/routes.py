"""Vector tiles and TileJSON: `/api/tiles/{layers}/{z}/{x}/{y}.mvt`, its versioned twin, `/api/tiles/{layers}.json`.

`{layers}` is one public layer or several joined by commas (one tile, one MVT layer each). The
versioned URL (`.../v{versions}/...`, the published version of each layer joined by '-') names an
immutable table, so browsers and CDNs keep it forever; the unversioned URL is cached briefly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, request

from layers import Layer
from mapserver.accounts.access import get_readable_layer
from mapserver.api import bp as api_bp
from mapserver.api.declare import route
from mapserver.api.params import LANG
from mapserver.live import reading as live
from mapserver.tiles import query as mvt
from mapserver.tiles.sources import current_sources, spec_of, tile_url_template, version_of
from mapserver.web.catalog import catalog
from mapserver.web.db import read_on
from mapserver.web.errors import ApiError, InvalidParameter, LayerNotFound, prefers_english

Resolve = Callable[[Any], tuple[mvt.TileSource, ...]]  # cursor -> the tables a tile is cut from, on a miss
MVT_TYPE = "application/vnd.mapbox-vector-tile"
_PATH_PARAMS = {
    "spec": "A layer id, or several joined by commas (`health,education`): one MVT layer each.",
    "z": "Zoom, 0-22.", "x": "Column, 0 to 2^z - 1.", "y": "Row, 0 to 2^z - 1 (XYZ scheme, north first).",
}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class TileKey:
    """Which layers, at which versions, where: the tile's cache key and its ETag."""

    layers: tuple[Layer, ...]
    versions: tuple[int, ...]
    z: int
    x: int
    y: int
    live: tuple = ()  # the state of its live layers (mapserver.live.reading): they change without a version

    @property
    def slugs(self) -> str:
        return ",".join(layer.slug for layer in self.layers)

    @property
    def version(self) -> str:
        return "-".join(map(str, self.versions))

    @property
    def etag(self) -> str:
        tag = f"{self.slugs}/v{self.version}/{self.z}/{self.x}/{self.y}"
        return f"{tag}/{hashlib.sha256(repr(self.live).encode()).hexdigest()[:16]}" if self.live else tag

    def params(self) -> dict:
        return {"layers": self.slugs, "version": self.version, "z": self.z, "x": self.x, "y": self.y}


def _layers(spec: str) -> tuple[Layer, ...]:
    """The layers a URL segment names, in order, each at most once; an unknown or non-public one is a 404."""
    slugs = list(dict.fromkeys(spec.split(",")))
    if len(slugs) > len(catalog()):
        raise LayerNotFound()
    return tuple(get_readable_layer(slug) for slug in slugs)


def _xyz(z: str, x: str, y: str) -> tuple[int, int, int]:
    try:
        zi, xi, yi = int(z), int(x), int(y)
    except ValueError:
        raise InvalidParameter("z, x and y must be whole numbers.", "z, x và y phải là số nguyên.") from None
    if not 0 <= zi <= mvt.MAX_ZOOM:
        raise InvalidParameter(f"z must be between 0 and {mvt.MAX_ZOOM}.", f"z phải từ 0 đến {mvt.MAX_ZOOM}.")
    if not (0 <= xi < 2 ** zi and 0 <= yi < 2 ** zi):
        raise InvalidParameter(f"x and y must be between 0 and {2 ** zi - 1} at zoom {zi}.",
                               f"x và y phải từ 0 đến {2 ** zi - 1} ở mức thu phóng {zi}.")
    return zi, xi, yi


def _versions(layers: tuple[Layer, ...], token: str) -> tuple[int, ...]:
    parts = token.split("-")
    if len(parts) != len(layers) or not all(p.isdigit() for p in parts):
        raise InvalidParameter("The version must give one number per layer, joined by '-'.",
                               "Phiên bản phải gồm một số cho mỗi lớp, nối bằng dấu '-'.")
    return tuple(map(int, parts))


class NotReplayedYet(ApiError):
    """A versioned tile URL handed out by another node, ahead of this node's replica: not a 404 (that would say
    the version is gone), a moment's wait."""
    status, code = 503, "ServiceUnavailable"
    en = "This version of the layer has just been published and is not on this server yet; please try again."
    vi = "Phiên bản này của lớp vừa được công bố và chưa có trên máy chủ này; vui lòng thử lại."
    headers = {"Retry-After": "1"}


def _kept_sources(cur, key: TileKey) -> tuple[mvt.TileSource, ...]:
    """The tables a versioned URL names; a version no longer kept is a 404 (its tiles changed meaning)."""
    sources = []
    for layer, version in zip(key.layers, key.versions, strict=True):
        table_name = mvt.kept_table(cur, layer.slug, version)
        if table_name is None:
            if mvt.not_replayed_yet(cur, layer.slug, version):
                raise NotReplayedYet()
            raise LayerNotFound("This version of the layer is not kept any more.",
                                "Phiên bản này của lớp không còn được lưu.")
        sources.append(mvt.TileSource(layer, version, table_name))
    return tuple(sources)


def _render(cur, key: TileKey, resolve: Resolve) -> bytes:
    """The tile from the cache (one indexed lookup), or cut and cached in one statement; on a hot standby,
    which has no tile cache (see mvt.has_tile_cache), cut each time."""
    cached = not key.live and mvt.has_tile_cache(cur)  # a live layer's tile changes without a new version
    if cached:
        tile = mvt.cached_tile(cur, key.params())
        if tile is not None:
            return tile
    statements = current_app.extensions["mapserver.tiles"]
    parts = [statements[s.layer.slug].statement(cur, s.table_name, key.z) for s in resolve(cur)
             if statements[s.layer.slug].covers(key.z)]
    if not parts:
        return b""
    store = cached and key.z <= int(current_app.config["TILE_CACHE_MAX_ZOOM"])
    return mvt.cut_tile(cur, parts, key.params(), store=store)


def _client_has(etag: str) -> bool:
    """If-None-Match names this tile, possibly with the ':gzip' suffix mapserver.web.compress adds."""
    return any(tag.split(":")[0] == etag for tag in request.if_none_match.as_set())


def _respond(key: TileKey, cache_control: str, resolve: Resolve) -> Response:
    if _client_has(key.etag):
        response = Response(status=304)
    else:
        tile = read_on(lambda cur: _render(cur, key, resolve))
        response = Response(tile, status=200 if tile else 204, mimetype=MVT_TYPE if tile else None)
    response.set_etag(key.etag)
    response.headers["Cache-Control"] = cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@route(api_bp, "/tiles/{spec}/{z}/{x}/{y}.mvt", summary="Vector tile of the published versions", tag="tiles",
       path_params=_PATH_PARAMS, media_type=MVT_TYPE,
       description="Mapbox Vector Tile; `spec` is one layer id or several joined by commas. Cached briefly: "
                   "prefer the versioned URL from the TileJSON. 204 when the tile is empty.")
def tile(_args, spec: str, z: str, x: str, y: str) -> Response:
    layers, (zi, xi, yi) = _layers(spec), _xyz(z, x, y)
    sources = current_sources(layers)
    state = tuple(live.state(layer) for layer in layers if layer.live)
    key = TileKey(layers, tuple(s.version for s in sources), zi, xi, yi, state)
    cache_control = "no-cache" if state else f"public, max-age={int(current_app.config['TILE_MAX_AGE_S'])}"
    return _respond(key, cache_control, lambda _cur: sources)


@route(api_bp, "/tiles/{spec}/v{token}/{z}/{x}/{y}.mvt", summary="Vector tile of given versions (immutable)",
       tag="tiles", path_params={**_PATH_PARAMS, "token": "Versions, one per layer, joined by `-` (e.g. `3-7`)."},
       media_type=MVT_TYPE, description="As the TileJSON hands it out; cached for a year.")
def versioned_tile(_args, spec: str, token: str, z: str, x: str, y: str) -> Response:
    layers, (zi, xi, yi) = _layers(spec), _xyz(z, x, y)
    if any(layer.live for layer in layers):  # no version names a live layer's features: as the plain URL
        return tile(_args, spec, z, x, y)
    key = TileKey(layers, _versions(layers, token), zi, xi, yi)
    return _respond(key, IMMUTABLE, lambda cur: _kept_sources(cur, key))


def _union_bounds(sources: tuple[mvt.TileSource, ...]) -> list[float]:
    boxes = [s.bbox for s in sources if s.bbox]
    if not boxes:
        return list(current_app.config["AREA_BBOX"])
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _vector_layer(layer: Layer, lang: str) -> dict:
    fields = {"id": "Mã đối tượng" if lang == "vi" else "Feature id"}
    fields.update({f.name: f.title[lang] for f in layer.fields})
    if layer.geometry_types == ("Point",):
        fields["count"] = ("Số điểm gộp vào điểm này (ở mức thu phóng thấp)" if lang == "vi"
                           else "Points this one stands for (at low zooms)")
    return {"id": layer.slug, "description": layer.description[lang], "minzoom": layer.min_zoom,
            "maxzoom": layer.max_zoom, "fields": fields}


@route(api_bp, "/tiles/{spec}.json", summary="TileJSON 3.0", tag="tiles",
       path_params={"spec": _PATH_PARAMS["spec"]}, params=(LANG,))
def tilejson(_args, spec: str) -> Response:
    layers = _layers(spec)
    lang = "en" if prefers_english() else "vi"
    sources = current_sources(layers)
    bounds = _union_bounds(sources)
    minzoom = min(layer.min_zoom for layer in layers)
    body = {
        "tilejson": "3.0.0",
        "name": ", ".join(layer.title[lang] for layer in layers),
        "description": " ".join(layer.description[lang] for layer in layers),
        "scheme": "xyz",
        "tiles": [tile_url_template(spec_of(sources), version_of(sources))],
        "minzoom": minzoom,
        "maxzoom": max(layer.max_zoom for layer in layers),
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, max(minzoom, 12)],
        "vector_layers": [_vector_layer(layer, lang) for layer in layers],
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={int(current_app.config['TILE_MAX_AGE_S'])}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept-Language"
    return response
