"""A GTFS feed's timetable as a versioned dataset: read and checked (feed), written (store), published and
rolled back along its history like a layer (etl.publish with the NETWORKS history)."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from etl import archive, sources
from etl import publish as publish_mod
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, file_sha256
from etl.report import LoadReport
from etl.timetable.feed import read_feed
from etl.timetable.store import record_report, write_version

NETWORK = "transit"
OWNER = "transport"  # the layer whose agency owns the timetable: its editors may load and publish it
STEPS = 3


@contextmanager
def _feed_folder(path: Path, options: LoadOptions):
    """The folder holding the feed's files: `path` itself, or the zip unpacked (size- and path-checked)."""
    if path.is_dir():
        found = next(path.rglob("stops.txt"), None)
        if found is None:
            raise _not_gtfs(path)
        yield found.parent
        return
    sources.check_size(path, options.max_bytes)
    if path.suffix.lower() != ".zip":
        raise _not_gtfs(path)
    with tempfile.TemporaryDirectory(prefix="mapserver-gtfs-") as tmp:
        archive.extract(path, Path(tmp), options.archive_limits)
        found = next(Path(tmp).rglob("stops.txt"), None)
        if found is None:
            raise _not_gtfs(path)
        yield found.parent


def _not_gtfs(path: Path) -> LoadRefused:
    return LoadRefused("a timetable is loaded from a GTFS feed (a zip with stops.txt, routes.txt, trips.txt, "
                       "stop_times.txt)", "thời gian biểu được nạp từ bộ dữ liệu GTFS (tệp zip có stops.txt, "
                       "routes.txt, trips.txt, stop_times.txt)", source=path.name)


def _progress(options: LoadOptions, step: int) -> None:
    """Read, written, published: three steps a job page can show."""
    if options.on_progress is not None:
        options.on_progress(step, STEPS)


def load_feed(conn, path: Path, options: LoadOptions, network: str = NETWORK) -> LoadReport:
    """Load the feed at `path` as a new version of the network and publish it (unless told not to)."""
    path = Path(path)
    report = LoadReport(layer=network, source=path.name, dry_run=options.dry_run,
                        started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    started = time.monotonic()
    report.crs_in = "EPSG:4326"  # GTFS coordinates are WGS84 by definition
    with _feed_folder(path, options) as folder:
        timetable = read_feed(folder, options.area, report)
    _progress(options, 1)
    if not options.dry_run:
        digest = file_sha256(path) if path.is_file() else None
        write_version(conn, network, timetable, report, source_sha256=digest, actor=options.actor)
        _progress(options, 2)
        if options.publish:
            publish_mod.publish(conn, network, report.version, actor=options.actor, history=publish_mod.NETWORKS)
            publish_mod.prune(conn, network, options.keep_versions, history=publish_mod.NETWORKS)
            report.published = True
    _progress(options, STEPS)
    report.seconds = round(time.monotonic() - started, 3)
    if report.version is not None:
        record_report(conn, network, report)
    return report
