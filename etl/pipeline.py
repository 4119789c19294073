"""One load, end to end: read -> crs -> validate -> load -> publish, streaming in chunks."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shapely
from tqdm import tqdm

from etl import address, load
from etl import crs as crs_mod
from etl import publish as publish_mod
from etl.errors import LoadRefused
from etl.read import open_source
from etl.report import LoadReport
from etl.validate import column_map, validate_batch
from layers import Layer


@dataclass
class LoadOptions:
    area: tuple[float, float, float, float]
    publish: bool = True
    dry_run: bool = False
    crs: str | None = None
    source_layer: str | None = None
    chunk_rows: int = 50_000
    keep_versions: int = 5
    actor: str = "cli"
    progress: bool | None = None  # None: show a bar when stderr is a terminal
    on_progress: Callable[[int, int], None] | None = None  # (rows read, rows in the file) after each chunk
    normalise_addresses: bool = True
    ward_distance_factor: float = 3.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_file(conn, layer: Layer, path: Path, options: LoadOptions) -> LoadReport:
    """Load `path` into a new version of `layer`; refuse the whole file or reject rows, never half-publish."""
    path = Path(path)
    report = LoadReport(layer=layer.slug, source=path.name, dry_run=options.dry_run)
    started = time.monotonic()
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (load.LOCK_CLASS, layer.slug))
    try:
        _load_version(conn, layer, path, options, report)
        if report.version is not None and options.publish:
            publish_mod.publish(conn, layer.slug, report.version)
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


def _load_version(conn, layer: Layer, path: Path, options: LoadOptions, report: LoadReport) -> None:
    with open_source(path, layer=options.source_layer, batch_rows=options.chunk_rows) as (info, batches):
        source_crs = crs_mod.resolve(options.crs or info.crs, path.name)
        report.crs_in = crs_mod.describe(source_crs)
        if info.feature_count == 0:
            _refuse_if_nothing(report, path)
        mapping = column_map(layer, info.fields, path.name)
        with conn.cursor() as cur:
            version = load.next_version(cur, layer)
            table_name = layer.version_table(version)
            if not options.dry_run:
                load.create_version_table(cur, layer, table_name)
            seen: set[str] = set()
            show = sys.stderr.isatty() if options.progress is None else options.progress
            with tqdm(total=info.feature_count or None, unit=" rows", disable=not show, desc=layer.slug) as bar:
                for batch in batches:
                    batch.geometries = crs_mod.to_wgs84(batch.geometries, source_crs)
                    report.rows_read += len(batch.attributes)
                    frame = validate_batch(batch, layer, mapping, options.area, seen, report)
                    if options.normalise_addresses:
                        frame = address.normalise(frame, layer, report, batch.first_row, options.ward_distance_factor)
                    if not frame.empty:
                        report.extend_bbox(tuple(float(v) for v in shapely.total_bounds(frame["geom"].to_numpy())))
                    if not options.dry_run:
                        report.rows_loaded += load.copy_rows(cur, layer, table_name, frame)
                    else:
                        report.rows_loaded += len(frame)
                    bar.update(len(batch.attributes))
                    if options.on_progress:
                        options.on_progress(report.rows_read, info.feature_count)
            _refuse_if_nothing(report, path)
            if options.dry_run:
                conn.rollback()
                return
            for stmt in load.index_statements(layer, table_name):
                cur.execute(stmt)
            cur.execute(
                "INSERT INTO mapserver.layer_versions (layer_slug, version, table_name, status, feature_count, bbox,"
                " source_name, source_sha256, report, created_by) VALUES (%s, %s, %s, 'ready', %s, %s, %s, %s, %s, %s)",
                (layer.slug, version, table_name, report.rows_loaded, report.bbox, path.name, file_sha256(path),
                 json.dumps(report.to_dict(), ensure_ascii=False), options.actor))
        report.version = version
        conn.commit()


def _refuse_if_nothing(report: LoadReport, path: Path) -> None:
    if report.rows_read == 0:
        raise LoadRefused("the file has no rows", "tệp không có dòng dữ liệu nào", source=path.name)
    if report.rows_loaded == 0:
        first = report.rejections[0] if report.rejections else None
        detail = f" (first: row {first.row}, {first.field}: {first.reason})" if first else ""
        raise LoadRefused(f"none of the {report.rows_read} rows is valid{detail}",
                          f"không có dòng nào hợp lệ trong {report.rows_read} dòng{detail}", source=path.name)
