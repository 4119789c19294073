"""The citizens' map page at `/`, and `/static/...` (the page's own files and the vendored libraries).

The page is a thin template around Leaflet + Leaflet.VectorGrid: everything it needs to start
(texts, layers, legend, versioned tile URLs, base map) is in one JSON block, so the first view
costs no extra round trip.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, send_from_directory, url_for

from layers import Layer
from mapserver.accounts.access import readable_layers
from mapserver.live.reading import head
from mapserver.pages.text import TEXT
from mapserver.tiles.sources import current_sources, tile_url_template
from mapserver.web.catalog import catalog
from mapserver.web.errors import LayerNotFound, prefers_english

bp = Blueprint("pages", __name__, template_folder="templates")

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
API_BASE = "/api"  # where the page finds /nearest, /search and /tiles
NEAREST_LAYER, NEAREST_KIND = "health", "vaccination"
ALERTS_LAYER = "alerts"  # drawn and kept live by static/app/alerts.js, not as tiles
CITY_TIMEZONE = "Asia/Ho_Chi_Minh"  # the zone the alerts' end times are shown in, whatever the phone's
VENDOR_MAX_AGE = 365 * 24 * 3600  # URLs carry the asset version, so a year is safe
APP_MAX_AGE = 24 * 3600


@lru_cache(maxsize=1)
def asset_version() -> str:
    """A short hash of the page's files and the npm lock file: it changes whenever an asset may have."""
    digest = hashlib.sha256()
    for path in sorted((STATIC_DIR / "app").rglob("*")) + [STATIC_DIR.parent / "package-lock.json"]:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def asset(filename: str) -> str:
    return url_for("pages.static_file", filename=filename, v=asset_version())


def _legend(layer: Layer, lang: str) -> list[dict]:
    kinds, kind = layer.style.get("kinds", {}), layer.field("kind")
    return [{"kind": code, "color": s.get("color", layer.style.get("color")), "icon": s.get("icon", ""),
             "label": kind.label(code, lang) if kind else code} for code, s in kinds.items()]


def _page_layers(lang: str) -> list[dict]:
    """The public layers with published data, each with its versioned tile URL and legend."""
    shown = []
    for layer in readable_layers():
        if layer.slug == ALERTS_LAYER:
            continue
        try:
            (source,) = current_sources((layer,))
        except LayerNotFound:  # nothing published yet
            continue
        shown.append({
            "slug": layer.slug, "title": layer.title[lang], "color": layer.style.get("color", "#555"),
            "tiles": tile_url_template(layer.slug, None if layer.live else str(source.version)),
            "minzoom": layer.min_zoom, "legend": _legend(layer, lang),
            "on": layer.slug not in current_app.config["MAP_LAYERS_OFF"],
        })
    return shown


def _alerts(lang: str) -> dict | None:
    """Where alerts.js follows the alerts and the words of their severities; None when this citizen has none.

    `since` is the layer's last event now: the stream resumes from it, so no change made while the page loads
    is missed (the page is cached a minute at most, so at most a minute of events is replayed)."""
    layer = next((lyr for lyr in readable_layers() if lyr.slug == ALERTS_LAYER and lyr.live), None)
    if layer is None:
        return None
    changes = url_for("live_changes.changes", collectionId=layer.slug)
    stream_base = current_app.config.get("LIVE_STREAM_URL")
    severity = layer.field("severity")
    return {
        "items": url_for("api.items", collectionId=layer.slug), "poll": changes,
        "stream": stream_base.rstrip("/") + changes if stream_base else changes, "since": str(head(layer)),
        "severity": {code: severity.label(code, lang) for code in severity.values}, "timezone": CITY_TIMEZONE,
    }


@bp.get("/")
def map_page() -> Response:
    lang = "en" if prefers_english() else "vi"
    cfg = current_app.config
    nearest_layer = catalog()[NEAREST_LAYER]
    config = {
        "lang": lang, "apiBase": API_BASE, "text": TEXT[lang],
        "center": list(cfg["MAP_CENTER"]), "zoom": int(cfg["MAP_ZOOM"]),
        "basemap": {"url": cfg["BASEMAP_URL"], "attribution": cfg["BASEMAP_ATTRIBUTION"]},
        "layers": _page_layers(lang),
        "nearest": {"layer": NEAREST_LAYER, "kind": NEAREST_KIND, "kinds": _legend(nearest_layer, lang)},
        "icons": asset("app/icons.svg"),
        "alerts": _alerts(lang),
    }
    html = render_template("map.html", lang=lang, t=TEXT[lang], config=config, asset=asset,
                           other_lang="vi" if lang == "en" else "en")
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.get("/static/<path:filename>")
def static_file(filename: str) -> Response:
    """The page's files; vendored libraries (copied from node_modules by `make install`) are cached a year."""
    max_age = VENDOR_MAX_AGE if filename.startswith("vendor/") else APP_MAX_AGE
    response = send_from_directory(STATIC_DIR, filename, max_age=max_age)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
