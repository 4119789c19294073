"""Who may read which layer: the one place every read route asks.

Public layers are readable by anyone without looking at credentials (the read path stays one
statement). An internal layer is readable by its agency's staff and admins (a bearer token or the
login session, `mapserver.accounts.auth`); for anyone else it does not exist (404). An answer that included
an internal layer is marked private, so no shared cache keeps it.
"""

from __future__ import annotations

from flask import Flask, Response, g

from layers import Layer
from mapserver.accounts.auth import current_principal
from mapserver.web.catalog import catalog, get_layer
from mapserver.web.errors import LayerNotFound


def can_read(layer: Layer) -> bool:
    if layer.visibility == "public":
        return True
    allowed = current_principal().can_read(layer)
    if allowed:
        g.private_answer = True
    return allowed


def readable_layers() -> list[Layer]:
    """The catalog's layers this request may see, in catalog order."""
    return [layer for layer in catalog().values() if can_read(layer)]


def get_readable_layer(slug: str) -> Layer:
    """The layer behind a URL segment or parameter, or 404 when unknown or not readable."""
    layer = get_layer(slug)
    if not can_read(layer):
        raise LayerNotFound()
    return layer


def _privatise(response: Response) -> Response:
    if g.get("private_answer"):
        directives = [d.strip() for d in (response.headers.get("Cache-Control") or "").split(",")
                      if d.strip() and d.strip() not in ("public", "immutable")]
        response.headers["Cache-Control"] = ", ".join(["private", *directives])
        response.vary.update(("Authorization", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    app.after_request(_privatise)
