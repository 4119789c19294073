"""The upload queue in PostgreSQL: enqueue, claim with SKIP LOCKED, heartbeat, finish, reclaim.

A job loads a layer's file, or (target `timetable`) the transit network's GTFS timetable; its `layer` is then
the layer whose agency owns the timetable. A claimed job is `running` with a heartbeat; a worker that dies
stops beating, and the next `reclaim_stale` puts its job back in the queue, or fails it once it is out of
attempts. A web upload whose columns or values do not all match waits in `needs_mapping` (its file kept)
until the clerk's mapping puts it back in the queue (`remap`), or until `expire_mappings` gives up on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_COLUMNS = ("j.id, j.layer_slug, j.file_path, j.source_name, j.options, j.state, j.attempts, j.max_attempts, "
            "j.progress, j.report, j.error, j.created_by, a.slug, j.created_at, j.started_at, j.finished_at, "
            "j.survey, j.rejected_csv IS NOT NULL, j.target")
_FROM = "mapserver.jobs j LEFT JOIN mapserver.agencies a ON a.id = j.agency_id"


@dataclass(frozen=True)
class Job:
    id: int
    layer: str
    file_path: str
    source_name: str
    options: dict[str, Any]
    state: str
    attempts: int
    max_attempts: int
    progress: float
    report: dict[str, Any] | None
    error: dict[str, Any] | None
    created_by: str
    agency: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    survey: dict[str, Any] | None = None  # etl.survey's, when the job stopped for a mapping
    has_rejected_csv: bool = False
    target: str = "layer"  # layer | timetable

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "layer": self.layer, "source": self.source_name,
                "state": self.state, "progress": round(self.progress, 3), "attempts": self.attempts,
                "max_attempts": self.max_attempts, "options": self.options, "report": self.report,
                "error": self.error, "created_by": self.created_by,
                "created_at": self.created_at.isoformat(),
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "survey": self.survey if self.state == "needs_mapping" else None,
                "rejected_csv": self.has_rejected_csv}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def enqueue(cur, *, layer: str, file_path: str, source_name: str, options: dict[str, Any], created_by: str,
            agency: str | None, client_addr: str | None, max_attempts: int, target: str = "layer") -> int:
    cur.execute(
        "INSERT INTO mapserver.jobs (layer_slug, file_path, source_name, options, created_by, agency_id, "
        "client_addr, max_attempts, target) VALUES (%s, %s, %s, %s, %s, (SELECT id FROM mapserver.agencies "
        "WHERE slug = %s), %s, %s, %s) RETURNING id",
        (layer, file_path, source_name, _json(options), created_by, agency, client_addr, max_attempts, target))
    return int(cur.fetchone()[0])


def get(cur, job_id: int) -> Job | None:
    cur.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE j.id = %s", (job_id,))
    row = cur.fetchone()
    return Job(*row) if row else None


def for_version(cur, layer: str, version: int, target: str = "layer") -> Job | None:
    """The job whose load made this version (None for a version loaded by the CLI)."""
    cur.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE j.layer_slug = %s AND j.target = %s AND j.state = 'done' "
                "AND j.report->>'version' = %s ORDER BY j.id DESC LIMIT 1", (layer, target, str(version)))
    row = cur.fetchone()
    return Job(*row) if row else None


def rejected_csv(cur, job_id: int) -> bytes | None:
    """The gzipped CSV of the job's rejected rows."""
    cur.execute("SELECT rejected_csv FROM mapserver.jobs WHERE id = %s", (job_id,))
    row = cur.fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


def for_layer(cur, layer: str, limit: int = 10, target: str = "layer") -> list[Job]:
    """The layer's latest jobs (with target `timetable`: those of the timetable the layer's agency owns)."""
    cur.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE j.layer_slug = %s AND j.target = %s "
                "ORDER BY j.id DESC LIMIT %s", (layer, target, limit))
    return [Job(*row) for row in cur.fetchall()]


def claim(cur, worker: str) -> Job | None:
    """Take the oldest queued job; SKIP LOCKED lets many workers claim at once without waiting."""
    cur.execute(
        "UPDATE mapserver.jobs SET state = 'running', attempts = attempts + 1, worker = %s, progress = 0, "
        "started_at = now(), heartbeat_at = now() WHERE id = (SELECT id FROM mapserver.jobs WHERE state = 'queued' "
        "ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id", (worker,))
    row = cur.fetchone()
    return get(cur, row[0]) if row else None


def heartbeat(cur, job_id: int, worker: str, progress: float) -> None:
    cur.execute("UPDATE mapserver.jobs SET heartbeat_at = now(), progress = %s "
                "WHERE id = %s AND worker = %s AND state = 'running'", (min(max(progress, 0.0), 1.0), job_id, worker))


def finish(cur, job_id: int, worker: str, *, report: dict[str, Any] | None = None,
           error: dict[str, Any] | None = None, rejected_csv: bytes | None = None) -> bool:
    """Done with a report, or failed with an error; False when the job was taken back meanwhile.

    `rejected_csv`: the gzipped rejected rows, kept for the clerk's download (a refused load has them too)."""
    cur.execute(
        "UPDATE mapserver.jobs SET state = %s, progress = CASE WHEN %s THEN 1 ELSE progress END, report = %s, "
        "error = %s, rejected_csv = %s, finished_at = now(), heartbeat_at = now() "
        "WHERE id = %s AND worker = %s AND state = 'running'",
        ("failed" if error else "done", error is None, _json(report) if report else None,
         _json(error) if error else None, rejected_csv, job_id, worker))
    return cur.rowcount == 1


def needs_mapping(cur, job_id: int, worker: str, survey: dict[str, Any]) -> bool:
    """Stop the job for the clerk's mapping, with what the survey found; never retried, its file kept."""
    cur.execute("UPDATE mapserver.jobs SET state = 'needs_mapping', survey = %s, progress = 0, worker = NULL, "
                "finished_at = now() WHERE id = %s AND worker = %s AND state = 'running'",
                (_json(survey), job_id, worker))
    return cur.rowcount == 1


def remap(cur, job_id: int, options: dict[str, Any]) -> bool:
    """Queue a job that waits for its mapping again, to load its file with `options`; False when it no longer
    waits (mapped meanwhile, or expired)."""
    cur.execute("UPDATE mapserver.jobs SET state = 'queued', options = %s, attempts = 0, progress = 0, "
                "error = NULL, report = NULL, started_at = NULL, finished_at = NULL "
                "WHERE id = %s AND state = 'needs_mapping'", (_json(options), job_id))
    return cur.rowcount == 1


_MAPPING_EXPIRED = {"messages": {
    "en": "the mapping was not given in time and the uploaded file was deleted; please upload it again",
    "vi": "chưa có ánh xạ cột trong thời hạn nên tệp tải lên đã bị xóa; vui lòng tải tệp lên lại"}}


def expire_mappings(cur, keep_seconds: float) -> list[tuple[int, str]]:
    """Fail the jobs that have waited for a mapping longer than `keep_seconds`: (id, file to delete)."""
    cur.execute("UPDATE mapserver.jobs SET state = 'failed', error = %s WHERE id IN (SELECT id FROM mapserver.jobs "
                "WHERE state = 'needs_mapping' AND finished_at < now() - make_interval(secs => %s) "
                "FOR UPDATE SKIP LOCKED) RETURNING id, file_path", (_json(_MAPPING_EXPIRED), keep_seconds))
    return [(int(i), p) for i, p in cur.fetchall()]


# Back to the queue while attempts remain, else failed; the caller adds which jobs (WHERE ...).
_REQUEUE = ("UPDATE mapserver.jobs SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END, "
            "error = %s, worker = NULL, finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END ")
_WORKER_STOPPED = {"messages": {
    "en": "the worker running this job stopped (restart or crash) before it finished",
    "vi": "tiến trình xử lý tác vụ này đã dừng (khởi động lại hoặc lỗi) trước khi xong"}}


def retry_or_fail(cur, job_id: int, worker: str, error: dict[str, Any]) -> str:
    """After an unexpected error: the job's new state, or 'taken' when another worker reclaimed it."""
    cur.execute(_REQUEUE + "WHERE id = %s AND worker = %s AND state = 'running' RETURNING state",
                (_json(error), job_id, worker))
    row = cur.fetchone()
    return row[0] if row else "taken"


def reclaim_stale(cur, stale_seconds: float) -> list[tuple[int, str]]:
    """Running jobs whose worker stopped beating: queued again, or failed when out of attempts."""
    cur.execute(_REQUEUE + "WHERE id IN (SELECT id FROM mapserver.jobs WHERE state = 'running' "
                "AND heartbeat_at < now() - make_interval(secs => %s) FOR UPDATE SKIP LOCKED) RETURNING id, state",
                (_json(_WORKER_STOPPED), stale_seconds))
    return [(int(i), s) for i, s in cur.fetchall()]
