"""The Prometheus text a scrape receives: every process's metrics, and the families read for this scrape."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import Metric


class _Read:
    """Families already read (from the database) as a collector, for one scrape's registry."""

    def __init__(self, families: Iterable[Metric]):
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def render(families: Iterable[Metric]) -> bytes:
    """Under gunicorn (PROMETHEUS_MULTIPROC_DIR) the files of all workers, dead ones' counters included;
    in a single process (the development server, tests) its own registry; then `families`."""
    scrape = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(scrape)
        sources = [scrape]
    else:
        sources = [REGISTRY, scrape]
    scrape.register(_Read(families))
    return b"".join(generate_latest(registry) for registry in sources)
