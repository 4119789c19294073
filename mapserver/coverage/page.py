"""`GET /coverage`: the wards as circles coloured by distance to the nearest service, worst-served first.

A light page: one template, one small script drawing plain SVG, no map library; it reads /api/coverage.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from etl.admin_units import province_codes
from mapserver.coverage.text import TEXT
from mapserver.web.catalog import get_layer
from mapserver.web.errors import prefers_english

bp = Blueprint("coverage_page", __name__, template_folder="templates")

LAYER, DEFAULT_KIND = "health", "vaccination"
RADII = (500, 1000, 2000, 5000)
# Distance classes (metres) and their colours, from well served to far.
BREAKS = (1000, 2000, 5000, 10000)
COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")


def _classes(lang: str) -> list[dict]:
    bounds = (0, *BREAKS)
    labels = [f"{lo / 1000:g}–{hi / 1000:g} km" for lo, hi in zip(bounds, BREAKS, strict=False)]
    return [{"upTo": hi, "color": c, "label": lab}
            for hi, c, lab in zip((*BREAKS, None), COLOURS, (*labels, f"> {BREAKS[-1] / 1000:g} km"), strict=True)]


@bp.get("/coverage")
def coverage_page() -> Response:
    lang = "en" if prefers_english() else "vi"
    layer = get_layer(LAYER)
    kinds = [{"kind": code, "label": layer.field("kind").label(code, lang)} for code in layer.field("kind").values]
    codes = province_codes(current_app.config["WARDS_PROVINCES"])
    config = {
        "lang": lang, "text": TEXT[lang], "layer": LAYER, "kind": DEFAULT_KIND, "kinds": kinds,
        "province": codes[0] if codes and len(codes) == 1 else None,
        "radius": int(current_app.config["COVERAGE_RADIUS_DEFAULT"]), "radii": RADII,
        "classes": _classes(lang), "api": "/api/coverage",
    }
    html = render_template("coverage.html", config=config, t=TEXT[lang], lang=lang,
                           other_lang="vi" if lang == "en" else "en")
    response = Response(html, mimetype="text/html")
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
