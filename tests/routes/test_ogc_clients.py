"""Real OGC clients list and read every public collection: GDAL's OAPIF driver and OWSLib."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from owslib.ogcapi.features import Features

from layers import load_catalog

DEMO = tuple(sorted(slug for slug, layer in load_catalog().items() if layer.visibility == "public"))


def loaded(demo_reports, slug: str) -> int:
    """The demo's rows of a layer; the live layers start empty."""
    return demo_reports[slug].rows_loaded if slug in demo_reports else 0


@pytest.fixture(scope="module")
def ogrinfo():
    path = shutil.which("ogrinfo")
    assert path, "ogrinfo (Debian gdal-bin) is installed by `make test`"
    return path


def test_gdal_lists_every_public_collection(server, ogrinfo):
    out = subprocess.run([ogrinfo, "-ro", "-so", f"OAPIF:{server}/api"], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert sorted(re.findall(r"^\d+: (\w+) ", out, re.M)) == list(DEMO)


@pytest.mark.parametrize("slug", DEMO)
def test_gdal_reads_every_feature_of_each_collection(server, ogrinfo, demo_reports, slug):
    out = subprocess.run([ogrinfo, "-ro", "-al", "-q", f"OAPIF:{server}/api", slug], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    ids = re.findall(r"^\s+id \(String\) = (.+)$", out, re.M)
    assert len(ids) == len(set(ids)) == loaded(demo_reports, slug)


def test_owslib_lists_and_reads_every_public_collection(server, demo_reports):
    api = Features(f"{server}/api")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in api.conformance()["conformsTo"]
    assert sorted(api.feature_collections()) == list(DEMO)
    for slug in DEMO:
        assert api.collection(slug)["id"] == slug
        page = api.collection_items(slug, limit=10000)
        assert page["numberMatched"] == len(page["features"]) == loaded(demo_reports, slug)
        for first in page["features"][:1]:
            assert api.collection_item(slug, first["id"])["id"] == first["id"]
    assert "kind" in api.collection_queryables("health")["properties"]
