"""gzip (mapserver/web/compress.py): what is compressed, what is not, and that nothing changes in the bytes."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import requests

from mapserver import create_app

LEAFLET = Path(__file__).resolve().parents[2] / "static" / "vendor" / "leaflet" / "leaflet.js"


def _raw(url: str, accept: str) -> requests.Response:
    """The answer as sent: requests would otherwise undo the gzip itself."""
    r = requests.get(url, headers={"Accept-Encoding": accept}, timeout=30, stream=True)
    r.raw.decode_content = False
    r._content = r.raw.read()
    return r


def test_a_static_file_is_gzipped_and_unpacks_to_the_file(server):
    r = _raw(f"{server}/static/vendor/leaflet/leaflet.js", "gzip")
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert int(r.headers["Content-Length"]) == len(r.content) < LEAFLET.stat().st_size / 2
    assert gzip.decompress(r.content) == LEAFLET.read_bytes()


def test_a_page_of_features_unpacks_to_the_plain_answer(server):
    url = f"{server}/api/collections/health/items?limit=50"
    plain, packed = _raw(url, "identity"), _raw(url, "br, gzip;q=0.5")
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"]


@pytest.mark.parametrize("accept", ["gzip;q=0", "br, deflate", ""])
def test_no_gzip_unless_the_client_accepts_it(server, accept):
    r = _raw(f"{server}/api/collections/health/items?limit=50", accept)
    assert r.status_code == 200 and "Content-Encoding" not in r.headers and r.json()["numberReturned"] == 50


def test_small_answers_and_errors_go_out_as_they_are(server):
    small = _raw(f"{server}/api/conformance", "gzip")
    assert small.status_code == 200 and len(small.content) < 1000 and "Content-Encoding" not in small.headers
    error = _raw(f"{server}/api/collections/health/items?limit=-1", "gzip")
    assert error.status_code == 400 and "Content-Encoding" not in error.headers and error.json()["code"]


def test_a_level_isa_l_does_not_have_is_refused_at_start(db_url):
    with pytest.raises(RuntimeError, match="COMPRESS_LEVEL"):
        create_app({"DATABASE_URL": db_url, "COMPRESS_LEVEL": 6})
