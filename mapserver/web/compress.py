"""gzip for the answers a client accepts it for: JSON and GeoJSON, pages and their files, tiles.

ISA-L (python-isal) compresses instead of zlib: a page of 100 features (32 kB) in 20 us where zlib at
level 3 took 45-90 us, 3 % larger; after the database, the read API's CPU goes to such answers.
A strong ETag gets a `:gzip` suffix (the compressed bytes are another representation); the read API
and the tiles accept it back in If-None-Match.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, request
from isal import igzip
from werkzeug.http import parse_accept_header

LEVELS = range(0, 4)  # ISA-L's levels; 1 is its fast one


def init_app(app: Flask) -> None:
    mimetypes = frozenset(app.config["COMPRESS_MIMETYPES"])
    min_size = int(app.config["COMPRESS_MIN_SIZE"])
    level = int(app.config["COMPRESS_LEVEL"])
    if level not in LEVELS:
        raise RuntimeError(f"COMPRESS_LEVEL must be 0-3 (ISA-L levels), not {level}")

    @app.after_request
    def gzip(response: Response) -> Response:
        _vary_on_encoding(response)
        if (response.status_code != 200 or response.mimetype not in mimetypes
                or "Content-Encoding" in response.headers
                or (response.is_streamed and not response.direct_passthrough)
                or not _accepts_gzip(request.headers.get("Accept-Encoding", ""))):
            return response
        response.direct_passthrough = False  # a static file: read, then compressed like any answer
        data = response.get_data()
        if len(data) < min_size:
            return response
        response.set_data(igzip.compress(data, level))
        response.headers["Content-Encoding"] = "gzip"
        etag, weak = response.get_etag()
        if etag and not weak:
            response.set_etag(f"{etag}:gzip")
        return response


def _vary_on_encoding(response: Response) -> None:
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept-Encoding"
    elif "accept-encoding" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Encoding"


@lru_cache(maxsize=256)
def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether gzip is acceptable (q > 0, by name or `*`); clients send few distinct headers."""
    return parse_accept_header(accept_encoding)["gzip"] > 0
