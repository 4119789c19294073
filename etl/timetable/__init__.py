"""A GTFS feed's timetable as a versioned dataset: read and checked (feed), written (store), published and
rolled back along its history like a layer (etl.publish with the NETWORKS history)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from etl import publish as publish_mod
from etl import sources
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, file_sha256
from etl.report import LoadReport
from etl.timetable.feed import read_feed
from etl.timetable.store import record_report, write_version

NETWORK = "transit"


@contextmanager
def _feed_folder(path: Path, options: LoadOptions):
    if path.is_dir() and (path / "stops.txt").exists():
        yield path
        return
    with sources.prepare(path, limits=options.archive_limits, max_bytes=options.max_bytes) as prepared:
        if prepared.gtfs is None:
            raise LoadRefused("a timetable is loaded from a GTFS feed (a zip with stops.txt, routes.txt, trips.txt, "
                              "stop_times.txt)", "thời gian biểu được nạp từ bộ dữ liệu GTFS (tệp zip có stops.txt, "
                              "routes.txt, trips.txt, stop_times.txt)", source=path.name)
        yield prepared.gtfs


def load_feed(conn, path: Path, options: LoadOptions, network: str = NETWORK) -> LoadReport:
    """Load the feed at `path` as a new version of the network and publish it (unless told not to)."""
    path = Path(path)
    report = LoadReport(layer=network, source=path.name, dry_run=options.dry_run,
                        started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    started = time.monotonic()
    with _feed_folder(path, options) as folder:
        timetable = read_feed(folder, options.area, report)
    if not options.dry_run:
        digest = file_sha256(path) if path.is_file() else None
        write_version(conn, network, timetable, report, source_sha256=digest, actor=options.actor)
        if options.publish:
            publish_mod.publish(conn, network, report.version, actor=options.actor, history=publish_mod.NETWORKS)
            publish_mod.prune(conn, network, options.keep_versions, history=publish_mod.NETWORKS)
            report.published = True
    report.seconds = round(time.monotonic() - started, 3)
    if report.version is not None:
        record_report(conn, network, report)
    return report
