"""A /metrics answer read back as samples, with prometheus_client's own parser."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset], float]
_ABSENT = object()


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(base: str) -> Samples:
    r = requests.get(f"{base}/metrics", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain") and r.headers["Cache-Control"] == "no-store"
    return parse(r.text)


def value(samples: Samples, name: str, default=_ABSENT, **labels: str):
    """The sample's value; a sample not there fails the test unless a `default` is given (a counter before
    its first count, for instance)."""
    key = (name, frozenset(labels.items()))
    if key not in samples and default is _ABSENT:
        raise AssertionError(f"no sample {name}{labels}")
    return samples.get(key, default)
