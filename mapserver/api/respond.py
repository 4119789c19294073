"""Answers of the read API: strong ETag, 304 before any heavy query, Cache-Control, JSON or HTML."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import Response, current_app, g, render_template, request, url_for

from layers import Layer
from mapserver.api.declare import Args
from mapserver.web.catalog import Published
from mapserver.web.errors import LayerNotFound, prefers_english
from mapserver.web.state import published_now, published_seen

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"


def lang() -> str:
    return "en" if prefers_english() else "vi"


def versions(slugs: Iterable[str]) -> dict[str, Published]:
    """For an answer made by a guarded statement: the versions this process remembers, which the statement
    checks. A revalidation (If-None-Match) may end in a 304 that runs no statement, so it looks them up."""
    return published_now(slugs) if request.if_none_match else published_seen(slugs)


def published_layer(layer: Layer, guarded: bool = True) -> Published:
    """The layer's published version, or 404: a layer with none is not (yet) a collection.
    `guarded`: a guarded statement will read it (see `versions`); otherwise it is looked up fresh."""
    found = (versions if guarded else published_now)([layer.slug]).get(layer.slug)
    if found is None:
        raise LayerNotFound()
    return found


def _url_root() -> tuple[str, str, str]:
    """(scheme, Host, script root): every absolute link, and so every ETag, depends on it. Once a request."""
    if "url_root" not in g:
        g.url_root = (request.scheme, request.host, request.root_path)
    return g.url_root


def make_etag(state: Any, args: Args) -> str:
    """Published version(s) + host and route (links are absolute) + normalised query + language."""
    key = repr((*_url_root(), request.path, state, args.normalized(), lang()))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _matching(etag: str) -> str | None:
    """The client's copy of this answer, if any: its tag may carry the compressor's suffix (`tag:gzip`)."""
    tags = request.if_none_match
    if tags.star_tag:
        return etag
    # If-None-Match compares weakly (RFC 9110 13.1.2).
    return next((f"{etag}{s}" for s in ("", ":gzip") if tags.contains_weak(f"{etag}{s}")), None)


def _cache(response: Response, etag: str, max_age_key: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={int(current_app.config[max_age_key])}"
    return response


def answer(args: Args, state: Any, max_age_key: str, produce: Callable[[], str | bytes], media_type: str = JSON,
           title: str = "", etag: str | None = None) -> Response:
    """Run `produce` (the one SQL statement, or a small document) only when the client's copy is stale.
    `etag`: the answer's own tag (a live feature's revision) instead of one made from `state`."""
    etag = etag or make_etag(state, args)
    held = _matching(etag)
    if held:
        return _cache(Response(status=304), held, max_age_key)
    body = produce()
    if args.get("f") == "html" and media_type != HTML:
        return _cache(Response(html_page(body, title), mimetype=HTML), etag, max_age_key)
    return _cache(Response(body, content_type=media_type), etag, max_age_key)


def html_page(body: str | bytes, title: str) -> str:
    """A plain page for people: the document's links as links, the document itself below."""
    doc = json.loads(body)
    links = doc.get("links", []) if isinstance(doc, dict) else []
    return render_template("api_page.html", title=title, links=links,
                           document=json.dumps(doc, ensure_ascii=False, indent=2), lang=lang())


def dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


MAX_KNOWN_URLS = 4096  # Host is the client's to choose: the memo is bounded, not keyed without end


def _url(endpoint: str, **values: Any) -> str:
    """url_for, remembered per app, URL root and target: every page of items links to the same few URLs,
    and building one costs more than the rest of the link."""
    key = (*_url_root(), endpoint, *sorted(values.items()))
    known = current_app.extensions.setdefault("mapserver.urls", {})
    href = known.get(key)
    if href is None:
        if len(known) >= MAX_KNOWN_URLS:
            known.clear()
        href = known[key] = url_for(endpoint, _external=True, **values)
    return href


def link(endpoint: str, rel: str, media_type: str, title: str, query: str = "", **values: Any) -> dict[str, str]:
    """`query`: already encoded (see `extend_query`)."""
    href = _url(endpoint, **values)
    return {"href": f"{href}?{query}" if query else href, "rel": rel, "type": media_type, "title": title}


def kept_query(*dropped: str) -> str:
    """This request's query string without `dropped`; each parameter is encoded once for all the links."""
    if "encoded_args" not in g:
        g.encoded_args = [(k, f"{quote_plus(k)}={quote_plus(v)}") for k, v in request.args.items()]
    return "&".join(pair for name, pair in g.encoded_args if name not in dropped)


def extend_query(encoded: str, **extra: Any) -> str:
    more = urlencode(extra)
    return f"{encoded}&{more}" if encoded else more


def self_links(endpoint: str, media_type: str, **values: Any) -> list[dict[str, str]]:
    """`self` in the format asked for and `alternate` in the other one."""
    query = kept_query("f")
    html = link(endpoint, "alternate", HTML, "HTML", extend_query(query, f="html"), **values)
    data = link(endpoint, "self", media_type, "JSON", query, **values)
    if request.args.get("f") == "html":
        html["rel"], data["rel"] = "self", "alternate"
    return [data, html]
