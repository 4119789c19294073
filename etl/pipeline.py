"""One load, end to end: read -> crs -> validate -> load -> publish, streaming in chunks."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg2
import pyarrow as pa
import shapely
from tqdm import tqdm

from etl import address, gtfs, indexes, load, matching, sources, space_order, unfinished
from etl import crs as crs_mod
from etl import encoding as encoding_mod
from etl import publish as publish_mod
from etl.archive import ArchiveLimits
from etl.errors import LoadRefused
from etl.read import COORDINATE_NAMES, Batch, open_source
from etl.rejected import RejectedRows
from etl.report import LoadReport
from etl.validate import SeenIds, near_duplicates, validate_batch
from layers import Layer

log = logging.getLogger(__name__)
# Arrow's own allocator (mimalloc) keeps freed chunks' pages for later: a load's peak memory was 20-26 MB higher
# with it (bench_etl, 200k and 1M points), for no speed. The C allocator gives them back.
pa.set_memory_pool(pa.system_memory_pool())
ORDER_HELD_CHUNKS = 2  # a file of up to two chunks is put in space order in memory; a larger one via bucket files


@dataclass
class LoadOptions:
    area: tuple[float, float, float, float]
    publish: bool = True
    dry_run: bool = False
    crs: str | None = None
    source_layer: str | None = None
    chunk_rows: int = 25_000
    keep_versions: int = 5
    actor: str = "cli"
    progress: bool | None = None  # None: show a bar when stderr is a terminal
    encoding: str | None = None  # tcvn3, vni or a codec name; None: detect legacy Vietnamese text
    max_bytes: int | None = None  # refuse larger uploads (MAX_UPLOAD_BYTES)
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    near_duplicate_metres: float = 5.0
    index_memory: str = indexes.MAINTENANCE_WORK_MEM  # each index-building session's maintenance_work_mem
    # (work done, work in all) after each chunk: reading the file is the first third, writing the rows in space
    # order the second, indexing the last (counted in rows of the file: etl.pipeline._progress)
    on_progress: Callable[[int, int], None] | None = None
    normalise_addresses: bool = True
    ward_distance_factor: float = 3.0
    fields: dict[str, str | None] = field(default_factory=dict)  # layer field -> the file's column (etl.matching)
    profile_fields: dict[str, str] = field(default_factory=dict)  # an import profile's: used where the file has them
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {value as written: code}
    rejected_rows: Path | None = None  # write every rejected row here as CSV (etl.rejected)


def options_from_config(config: Mapping[str, Any], **overrides: Any) -> LoadOptions:
    """The load options the app's settings ask for; the CLI and the worker both start from these."""
    limits = ArchiveLimits(max_uncompressed_bytes=int(config["ARCHIVE_MAX_UNCOMPRESSED_BYTES"]),
                           max_ratio=float(config["ARCHIVE_MAX_RATIO"]),
                           max_members=int(config["ARCHIVE_MAX_MEMBERS"]))
    settings = {"area": tuple(config["AREA_BBOX"]), "chunk_rows": int(config["ETL_CHUNK_ROWS"]),
                "keep_versions": int(config["KEEP_VERSIONS"]), "max_bytes": int(config["MAX_UPLOAD_BYTES"]),
                "archive_limits": limits, "near_duplicate_metres": float(config["NEAR_DUPLICATE_METRES"]),
                "index_memory": str(config["ETL_INDEX_MEMORY"]),
                "ward_distance_factor": float(config["ADDRESS_WARD_DISTANCE_FACTOR"])}
    return LoadOptions(**{**settings, **overrides})


def file_sha256(path: Path) -> str:
    """The checksum of a file, or of a folder's files in name order (a shapefile folder)."""
    digest = hashlib.sha256()
    for part in sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]:
        with open(part, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_file(conn, layer: Layer, path: Path, options: LoadOptions) -> LoadReport:
    """Load `path` into a new version of `layer`; refuse the whole file or reject rows, never half-publish."""
    path = Path(path)
    report = LoadReport(layer=layer.slug, source=path.name, dry_run=options.dry_run,
                        started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    started = time.monotonic()
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (load.LOCK_CLASS, layer.slug))
    try:
        unfinished.drop(conn, layer.slug)
        _load_version(conn, layer, path, options, report)
        if report.version is not None and options.publish:
            publish_mod.publish(conn, layer.slug, report.version, actor=options.actor)
            publish_mod.prune(conn, layer.slug, options.keep_versions)
            report.published = True
    except BaseException:
        conn.rollback()
        raise
    finally:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (load.LOCK_CLASS, layer.slug))
        conn.commit()
        report.seconds = round(time.monotonic() - started, 3)
    return report


@contextmanager
def open_upload(path: Path, layer: Layer, options: LoadOptions):
    """(SourceInfo, batches) of a file as the load reads it: unpacked, transcoded, the chosen layer or sheet.
    The load and the survey before it (etl.survey) read through this."""
    with _readable(path, layer, options) as (readable, source_layer), \
            open_source(readable, layer=_inner_layer(readable, source_layer), batch_rows=options.chunk_rows,
                        encoding=encoding_mod.gdal_encoding(options.encoding, path.name)) as (info, batches):
        yield info, batches


def fixed_text(batches: Iterable[Batch], text_fix: encoding_mod.TextFix | None,
               on_detect: Callable[[encoding_mod.TextFix], None] | None = None) -> Iterator[Batch]:
    """Each batch with its text in Unicode: as `text_fix` says, or (None) as the first batch's text shows."""
    for batch in batches:
        if text_fix is None:
            text_fix = encoding_mod.detect(batch.attributes)
            if on_detect is not None:
                on_detect(text_fix)
        batch.attributes = text_fix.apply(batch.attributes)
        yield batch


@contextmanager
def _readable(path: Path, layer: Layer, options: LoadOptions):
    """The file to read: unpacked from an archive, or built from a GTFS feed, in a temporary folder."""
    with sources.prepare(path, limits=options.archive_limits, max_bytes=options.max_bytes,
                         wanted=options.source_layer,
                         text_codec=encoding_mod.gdal_encoding(options.encoding, path.name)) as prepared:
        if prepared.gtfs is None:
            yield prepared.path, options.source_layer
            return
        with tempfile.TemporaryDirectory(prefix="mapserver-gtfs-") as tmp:
            yield gtfs.to_layer_file(prepared.gtfs, layer, Path(tmp)), None


def _load_version(conn, layer: Layer, path: Path, options: LoadOptions, report: LoadReport) -> None:
    with open_upload(path, layer, options) as (info, batches):
        report.source_layers = [name for name in info.layers if name]
        if info.feature_count == 0:
            _refuse_if_nothing(report, path)
        declared = crs_mod.resolve(options.crs or info.crs, path.name)
        source_crs, note = crs_mod.identify(declared) if declared is not None else (None, None)
        if note:
            report.warn(note)
        report.crs_in = crs_mod.describe(source_crs)
        plan = _plan(layer, info.fields, options, report, path.name)
        text_fix = encoding_mod.declared_fix(options.encoding)
        axes = source_crs if source_crs is not None else crs_mod.Unreferenced(options.area, path.name)
        stream = partial(_stream, batches, info.feature_count, layer, plan, text_fix, axes, options, report)
        if options.dry_run:
            stream(None)
            _refuse_if_nothing(report, path)
            return
        # The checksum is taken while the file is read: reading keeps one core busy, the indexes later take both.
        with space_order.SpaceOrder(ORDER_HELD_CHUNKS * options.chunk_rows, info.feature_count) as order, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="checksum") as hasher:
            checksum = hasher.submit(file_sha256, path)
            reading = time.monotonic()
            stream(order)
            reading = time.monotonic() - reading
            _refuse_if_nothing(report, path)
            copying = _copy_and_index(conn, layer, path, options, report, order, checksum)
        log.info("%s: %d rows read and validated in %.2f s, copied in space order in %.2f s, indexed in %.2f s",
                 layer.slug, report.rows_loaded, reading, copying, report.seconds_indexing)


def _copy_and_index(conn, layer: Layer, path: Path, options: LoadOptions, report: LoadReport,
                    order: space_order.SpaceOrder, checksum: Future[str]) -> float:
    """The new version's table, written in space order by two sessions, then indexed and recorded; returns the
    seconds spent copying."""
    version = _create_version_table(conn, layer)
    try:
        with load.sibling(conn) as other:
            copying = time.monotonic()
            with load.ParallelCopy([conn, other], layer.version_table(version)) as copy:
                written = 0
                for rows in order.sorted(options.chunk_rows):
                    copy.put(rows)
                    written += len(rows)
                    _progress(options, report.rows_read + written, report.rows_read)
                report.rows_loaded = copy.finish()
            copying = time.monotonic() - copying
            _index_and_record(conn, other, layer, path, options, report, version, checksum.result())
            _progress(options, 3 * report.rows_read, report.rows_read)
    except BaseException:
        conn.rollback()
        _drop_unfinished(conn, layer)
        raise
    return copying


def _create_version_table(conn, layer: Layer) -> int:
    """The new version's empty table, committed (recorded as unfinished) so that two sessions can fill and index it;
    no reader reaches it before it is published."""
    with conn.cursor() as cur:
        version = load.next_version(cur, layer)
        unfinished.begin(cur, layer.slug, version, layer.version_table(version))
        load.create_version_table(cur, layer, layer.version_table(version))
    conn.commit()
    return version


def _index_and_record(conn, other, layer: Layer, path: Path, options: LoadOptions, report: LoadReport,
                      version: int, checksum: str) -> None:
    """Index the filled table (in both sessions) and record it as a version."""
    table_name = layer.version_table(version)
    indexing = time.monotonic()
    indexes.build(conn, other, layer, table_name, options.index_memory)
    report.seconds_indexing = round(time.monotonic() - indexing, 3)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO mapserver.layer_versions (layer_slug, version, table_name, status, feature_count, bbox,"
            " source_name, source_sha256, report, created_by) VALUES (%s, %s, %s, 'ready', %s, %s, %s, %s, %s, %s)",
            (layer.slug, version, table_name, report.rows_loaded, report.bbox, path.name, checksum,
             json.dumps(report.to_dict(), ensure_ascii=False), options.actor))
        unfinished.finish(cur, layer.slug, version)
    conn.commit()
    report.version = version


def _drop_unfinished(conn, layer: Layer) -> None:
    try:
        unfinished.drop(conn, layer.slug)
    except psycopg2.Error as exc:  # connection lost: the record stays, the next load or `db migrate` drops it
        log.warning("could not drop the unfinished version of %s: %s", layer.slug, exc)


def _stream(batches, total: int | None, layer: Layer, plan: matching.Plan, text_fix, source_crs,
            options: LoadOptions, report: LoadReport, order: space_order.SpaceOrder | None) -> None:
    """Fix text, reproject and validate each chunk, and hand its rows to `order` (None: a dry run) with their
    space keys."""
    seen = SeenIds()
    show = sys.stderr.isatty() if options.progress is None else options.progress
    writer = RejectedRows(options.rejected_rows) if options.rejected_rows else nullcontext()
    with tqdm(total=total or None, unit=" rows", disable=not show, desc=layer.slug) as bar, writer as rejected:
        for batch in fixed_text(batches, text_fix, partial(_note_encoding, report)):
            batch.geometries = _to_wgs84(batch.geometries, source_crs, report)
            report.rows_read += len(batch.attributes)
            frame = validate_batch(batch, layer, plan, options.area, seen, report)
            if options.normalise_addresses:
                frame = address.normalise(frame, layer, report, batch.first_row, options.ward_distance_factor)
            near_duplicates(frame, batch.first_row, options.near_duplicate_metres, report)
            rejections = report.take_batch()
            if rejected is not None:
                rejected.write(batch.attributes, batch.first_row, rejections)
            if not frame.empty:
                geoms = frame["geom"].to_numpy()
                report.extend_bbox(tuple(float(v) for v in shapely.total_bounds(geoms)))
                if order is not None:
                    keys = pa.array(space_order.hilbert_keys(geoms, options.area), type=pa.uint64())
                    order.add(load.arrow_rows(layer, frame, batch.first_row).append_column(space_order.KEY, keys))
            report.rows_loaded += len(frame)
            bar.update(len(batch.attributes))
            _progress(options, report.rows_read, total)


def _progress(options: LoadOptions, done: int, rows: int | None) -> None:
    """Progress in thirds of the work (see LoadOptions.on_progress): read, written, indexed."""
    if options.on_progress:
        options.on_progress(done, 3 * (rows or 0))


def _plan(layer: Layer, columns: list[str], options: LoadOptions, report: LoadReport, source: str) -> matching.Plan:
    """Match the columns (refusing a file without a required one) and say in the report what was matched."""
    found, match = matching.plan(layer, columns, options.fields, options.values, source,
                                 ignore=COORDINATE_NAMES, profile=options.profile_fields)
    report.columns = dict(found.columns)
    report.unmatched_columns = match.unmatched_columns
    if match.unmatched_columns:
        report.warn(f"column(s) not loaded, matching no field: {', '.join(match.unmatched_columns)} / "
                    f"cột không được nạp vì không khớp trường nào: {', '.join(match.unmatched_columns)}")
    return found


def _inner_layer(readable: Path, source_layer: str | None) -> str | None:
    """--source-layer names a file inside an archive or folder, or a layer inside a GeoPackage."""
    return source_layer if source_layer and source_layer not in (readable.stem, readable.name) else None


def _note_encoding(report: LoadReport, text_fix: encoding_mod.TextFix) -> None:
    if text_fix.name:
        report.encoding = text_fix.name
        report.warn(f"attribute text was converted from {text_fix.name} to Unicode")


def _to_wgs84(geoms, source_crs, report: LoadReport):
    """Reproject a chunk; a file without a CRS (crs_mod.Unreferenced) must be mostly lon/lat, or mostly lat/lon
    (then swapped and reported)."""
    if not isinstance(source_crs, crs_mod.Unreferenced):
        return crs_mod.to_wgs84(geoms, source_crs)
    geoms = source_crs.to_lonlat(geoms)
    if source_crs.swapped and not report.axes_swapped:
        report.axes_swapped = True
        report.warn("the coordinates were in lat/lon order (x holds latitudes); they were swapped to lon/lat")
    return geoms


def _refuse_if_nothing(report: LoadReport, path: Path) -> None:
    if report.rows_read == 0:
        raise LoadRefused("the file has no rows", "tệp không có dòng dữ liệu nào", source=path.name)
    if report.rows_loaded == 0:
        first = report.rejections[0] if report.rejections else None
        en = f" (first: row {first.row}, {first.field}: {first.reason})" if first else ""
        vi = f" (dòng đầu tiên: dòng {first.row}, {first.field}: {first.reason_vi})" if first else ""
        raise LoadRefused(f"none of the {report.rows_read} rows is valid{en}",
                          f"không có dòng nào hợp lệ trong {report.rows_read} dòng{vi}", source=path.name)
