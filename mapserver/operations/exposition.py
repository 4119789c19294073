"""The Prometheus text a scrape receives: every process's metrics, and the families read for this scrape."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import Metric


class _Read:
    """Families already read (from the database) as a collector, for one scrape's registry."""

    def __init__(self, families: Iterable[Metric]):
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def written_files(folder: str | Path) -> list[str]:
    """The folder's metric files, less those a worker is creating this instant: prometheus_client
    opens a new file before it sizes it, and reading one still empty raises (a scrape during a
    worker's start answered 500)."""
    files = []
    for path in Path(folder).glob("*.db"):
        try:
            if path.stat().st_size >= 8:
                files.append(str(path))
        except FileNotFoundError:
            continue
    return files


class _WorkersFiles:
    """Every process's files in `folder`, read only once a worker has sized them."""

    def __init__(self, folder: str):
        self._folder = folder

    def collect(self) -> Iterable[Metric]:
        return multiprocess.MultiProcessCollector.merge(written_files(self._folder), accumulate=True)


def render(families: Iterable[Metric]) -> bytes:
    """Under gunicorn (PROMETHEUS_MULTIPROC_DIR) the files of all workers, dead ones' counters included;
    in a single process (the development server, tests) its own registry; then `families`."""
    scrape = CollectorRegistry()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        scrape.register(_WorkersFiles(folder))
        sources = [scrape]
    else:
        sources = [REGISTRY, scrape]
    scrape.register(_Read(families))
    return b"".join(generate_latest(registry) for registry in sources)
