"""The upload queue in PostgreSQL: enqueue, claim with SKIP LOCKED, heartbeat, finish, reclaim.

A claimed job is `running` with a heartbeat; a worker that dies stops beating, and the next
`reclaim_stale` puts its job back in the queue, or fails it once it is out of attempts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_COLUMNS = ("j.id, j.layer_slug, j.file_path, j.source_name, j.options, j.state, j.attempts, j.max_attempts, "
            "j.progress, j.report, j.error, j.created_by, a.slug, j.created_at, j.started_at, j.finished_at")
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

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "layer": self.layer, "source": self.source_name, "state": self.state,
                "progress": round(self.progress, 3), "attempts": self.attempts, "max_attempts": self.max_attempts,
                "options": self.options, "report": self.report, "error": self.error, "created_by": self.created_by,
                "created_at": self.created_at.isoformat(),
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def enqueue(cur, *, layer: str, file_path: str, source_name: str, options: dict[str, Any], created_by: str,
            agency: str | None, client_addr: str | None, max_attempts: int) -> int:
    cur.execute(
        "INSERT INTO mapserver.jobs (layer_slug, file_path, source_name, options, created_by, agency_id, "
        "client_addr, max_attempts) VALUES (%s, %s, %s, %s, %s, (SELECT id FROM mapserver.agencies "
        "WHERE slug = %s), %s, %s) RETURNING id",
        (layer, file_path, source_name, _json(options), created_by, agency, client_addr, max_attempts))
    return int(cur.fetchone()[0])


def get(cur, job_id: int) -> Job | None:
    cur.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE j.id = %s", (job_id,))
    row = cur.fetchone()
    return Job(*row) if row else None


def for_layer(cur, layer: str, limit: int = 10) -> list[Job]:
    cur.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE j.layer_slug = %s ORDER BY j.id DESC LIMIT %s",
                (layer, limit))
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
           error: dict[str, Any] | None = None) -> bool:
    """Done with a report, or failed with an error; False when the job was taken back meanwhile."""
    cur.execute(
        "UPDATE mapserver.jobs SET state = %s, progress = CASE WHEN %s THEN 1 ELSE progress END, report = %s, "
        "error = %s, finished_at = now(), heartbeat_at = now() WHERE id = %s AND worker = %s AND state = 'running'",
        ("failed" if error else "done", error is None, _json(report) if report else None,
         _json(error) if error else None, job_id, worker))
    return cur.rowcount == 1


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
