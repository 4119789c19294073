"""`mapserver worker`: run queued uploads through the ETL, outside any web request.

Each thread has its own connection and takes one job at a time; a second thread beats the
job's heartbeat (and writes its progress) while the load runs, even while the load waits
for the layer's advisory lock behind another upload to the same layer. A web upload is surveyed
first (etl.survey) and stops for the clerk's mapping when its columns or values do not all match. A timetable
job loads a GTFS feed as a new version of the transit network (etl.timetable), audited as `transit.load`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from isal import igzip

from common import audit
from common.database import connect
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file, options_from_config
from etl.survey import survey_file
from etl.timetable import NETWORK, load_feed
from layers import Layer
from mapserver import jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    database_url: str
    load: LoadOptions  # from the app's settings; each job adds its own options
    heartbeat_s: float
    stale_s: float
    poll_s: float
    mapping_keep_s: float  # how long a job waits for its mapping (and keeps its file)

    @classmethod
    def from_config(cls, config) -> WorkerSettings:
        from common.settings import database_url

        return cls(database_url(config), options_from_config(config, progress=False),
                   float(config["JOB_HEARTBEAT_S"]), float(config["JOB_STALE_S"]), float(config["JOB_POLL_S"]),
                   float(config["JOB_MAPPING_KEEP_S"]))


class Heartbeat(threading.Thread):
    """Tell the queue this job is alive, with its latest progress, every `interval` seconds."""

    def __init__(self, settings: WorkerSettings, job_id: int, worker: str):
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.settings, self.job_id, self.worker = settings, job_id, worker
        self.progress = 0.0
        self._stop_event = threading.Event()

    def set_progress(self, rows_read: int, rows_total: int) -> None:
        if rows_total:
            self.progress = rows_read / rows_total

    def run(self) -> None:
        conn = None
        while not self._stop_event.wait(self.settings.heartbeat_s):
            try:
                conn = conn if conn is not None and not conn.closed else connect(
                    self.settings.database_url, application_name="mapserver-heartbeat")
                with conn, conn.cursor() as cur:
                    jobs.heartbeat(cur, self.job_id, self.worker, self.progress)
            except psycopg2.Error as exc:
                log.warning("heartbeat of job %s failed: %s", self.job_id, exc)
                conn = None
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


class Worker:
    """Take jobs until `stop` is set; a job started is finished before the thread returns."""

    def __init__(self, settings: WorkerSettings, catalog: dict[str, Layer]):
        self.settings, self.catalog = settings, catalog

    def run(self, stop: threading.Event, threads: int) -> None:
        pool = [threading.Thread(target=self.loop, args=(stop, f"{socket.gethostname()}:{os.getpid()}:{i}"),
                                 name=f"worker-{i}") for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            while t.is_alive():
                t.join(0.5)  # short joins keep the main thread responsive to signals

    def loop(self, stop: threading.Event, name: str) -> None:
        conn = None
        while not stop.is_set():
            try:
                conn = conn if conn is not None and not conn.closed else connect(
                    self.settings.database_url, application_name="mapserver-worker")
                job = self.take(conn, name)
                if job is None:
                    stop.wait(self.settings.poll_s)
                else:
                    self.execute(conn, job, name)
            except psycopg2.Error as exc:  # database restarting or connection lost: wait and reconnect
                log.warning("worker %s: database unavailable: %s", name, exc)
                conn = None
                stop.wait(self.settings.poll_s)
        if conn is not None:
            conn.close()

    def take(self, conn, name: str) -> jobs.Job | None:
        with conn, conn.cursor() as cur:
            for job_id, state in jobs.reclaim_stale(cur, self.settings.stale_s):
                log.warning("job %s: its worker stopped beating; now %s", job_id, state)
            expired = jobs.expire_mappings(cur, self.settings.mapping_keep_s)
            job = jobs.claim(cur, name)
        for job_id, file_path in expired:
            log.info("job %s: no mapping was given in time; its file is deleted", job_id)
            _delete_upload(file_path)
        return job

    def execute(self, conn, job: jobs.Job, name: str) -> None:
        log.info("job %s: loading %s into %s (attempt %s/%s)", job.id, job.source_name, job.layer,
                 job.attempts, job.max_attempts)
        beat = Heartbeat(self.settings, job.id, name)
        beat.start()
        try:
            with tempfile.TemporaryDirectory(prefix="mapserver-rejected-") as tmp:
                self._run(conn, job, name, self._options(job, beat, Path(tmp) / "rejected.csv"))
        except Exception as exc:
            log.exception("job %s failed", job.id)
            if conn.closed:
                raise  # the loop reconnects; with its heartbeat stopped the job is reclaimed as stale
            conn.rollback()
            with conn, conn.cursor() as cur:
                state = jobs.retry_or_fail(cur, job.id, name, {"messages": {
                    "en": f"the load stopped on an unexpected error ({type(exc).__name__})",
                    "vi": f"quá trình nạp dừng do lỗi không lường trước ({type(exc).__name__})"}})
            if state == "failed":
                self._forget_file(job)
        finally:
            beat.stop()

    def _run(self, conn, job: jobs.Job, name: str, options: LoadOptions) -> None:
        """Survey a web upload first (it stops when a mapping is needed), then load it and record the outcome."""
        layer, path = self.catalog[job.layer], Path(job.file_path)
        try:
            if job.target == "timetable":
                report = load_feed(conn, path, options)
            else:
                if job.options.get("confirm_mapping"):
                    found = survey_file(layer, path, options, job.options.get("ignored_columns") or ())
                    if not found.complete:
                        self._needs_mapping(conn, job, name, found.to_dict())
                        return
                report = load_file(conn, layer, path, options)
        except LoadRefused as err:
            self._end(conn, job, name, error=err.to_dict(), rejected=_packed(options.rejected_rows))
        else:
            self._end(conn, job, name, report=report.to_dict(), rejected=_packed(options.rejected_rows))

    def _options(self, job: jobs.Job, beat: Heartbeat, rejected_rows: Path) -> LoadOptions:
        given = job.options
        return dataclasses.replace(self.settings.load, publish=bool(given.get("publish")), crs=given.get("crs"),
                                   source_layer=given.get("source_layer"), fields=given.get("fields") or {},
                                   profile_fields=given.get("profile_fields") or {},
                                   values=given.get("values") or {}, rejected_rows=rejected_rows,
                                   actor=job.created_by, on_progress=beat.set_progress)

    def _needs_mapping(self, conn, job: jobs.Job, name: str, survey: dict) -> None:
        """Wait for the clerk's mapping, keeping the file; the audit log says why the upload stopped."""
        with conn, conn.cursor() as cur:
            if jobs.needs_mapping(cur, job.id, name, survey):
                audit.record(cur, actor=job.created_by, action="layer.mapping_needed", target=job.layer,
                             agency=self.catalog[job.layer].agency, result="ok",
                             details={"job": job.id, "source": job.source_name,
                                      "missing_required": survey["missing_required"],
                                      "unmatched_columns": survey["unmatched_columns"],
                                      "unknown_values": {v["field"]: v["rows"] for v in survey["values"]}})

    def _end(self, conn, job: jobs.Job, name: str, *, report=None, error=None, rejected: bytes | None = None) -> None:
        """Record the outcome (with the rejected rows) and its audit row together; drop the uploaded file."""
        with conn, conn.cursor() as cur:
            if jobs.finish(cur, job.id, name, report=report, error=error, rejected_csv=rejected):
                details = {"job": job.id, "source": job.source_name}
                details.update(error or {k: report[k] for k in ("version", "published", "rows_read", "rows_loaded",
                                                                 "rows_rejected")})
                action, target = _load_audit(job)
                audit.record(cur, actor=job.created_by, action=action, target=target,
                             agency=self.catalog[job.layer].agency, result="refused" if error else "ok",
                             details=details)
        self._forget_file(job)

    @staticmethod
    def _forget_file(job: jobs.Job) -> None:
        """The upload is not needed once the job has ended."""
        _delete_upload(job.file_path)


def _load_audit(job: jobs.Job) -> tuple[str, str]:
    """What the audit log calls a job's load, and its target: the layer, or the timetable's network."""
    return ("transit.load", NETWORK) if job.target == "timetable" else ("layer.load", job.layer)


def _delete_upload(file_path: str) -> None:
    """The uploaded file; its folder goes when empty."""
    path = Path(file_path)
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _packed(path: Path | None) -> bytes | None:
    """The rejected rows' CSV, gzipped for the database (a CSV of Vietnamese text packs ~8:1); None when no row
    was rejected."""
    if path is None or not path.exists() or path.stat().st_size == 0:
        return None
    packed = io.BytesIO()
    with open(path, "rb") as plain, igzip.open(packed, "wb", compresslevel=1) as gz:
        shutil.copyfileobj(plain, gz, 1 << 20)
    return packed.getvalue()
