"""The queue itself: SKIP LOCKED claims, and running jobs whose worker went silent."""

from __future__ import annotations

import psycopg2
import pytest

from mapserver import jobs


@pytest.fixture
def two_conns(fresh_db_url):
    a, b = psycopg2.connect(fresh_db_url), psycopg2.connect(fresh_db_url)
    yield a, b
    a.close()
    b.close()


def _enqueue(conn, n: int = 1, max_attempts: int = 3) -> list[int]:
    with conn, conn.cursor() as cur:
        return [jobs.enqueue(cur, layer="health", file_path=f"/nowhere/{i}.geojson", source_name=f"{i}.geojson",
                             options={}, created_by="test", agency="so-y-te", client_addr=None,
                             max_attempts=max_attempts) for i in range(n)]


def test_two_workers_claim_different_jobs_without_waiting(two_conns):
    a, b = two_conns
    first, second = _enqueue(a, 2)
    with a.cursor() as cur_a, b.cursor() as cur_b:
        cur_b.execute("SET lock_timeout = '2s'")  # waiting on a's row lock would raise instead of passing
        claimed_a = jobs.claim(cur_a, "worker-a")  # a's transaction stays open: its row is locked
        claimed_b = jobs.claim(cur_b, "worker-b")
        assert (claimed_a.id, claimed_b.id) == (first, second)
        assert jobs.claim(cur_b, "worker-b") is None
    a.commit()
    b.commit()
    with a.cursor() as cur:
        assert jobs.get(cur, first).state == jobs.get(cur, second).state == "running"


def _beat_in_the_past(conn, job_id: int, seconds: int) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE mapserver.jobs SET heartbeat_at = now() - make_interval(secs => %s) WHERE id = %s",
                    (seconds, job_id))


def test_a_silent_running_job_is_queued_again_then_failed_when_out_of_attempts(two_conns):
    conn, _ = two_conns
    (job_id,) = _enqueue(conn, max_attempts=2)
    for attempt, expected in ((1, "queued"), (2, "failed")):
        with conn, conn.cursor() as cur:
            assert jobs.claim(cur, "w").attempts == attempt
        with conn, conn.cursor() as cur:
            assert jobs.reclaim_stale(cur, 60) == []  # beating recently: left alone
        _beat_in_the_past(conn, job_id, 120)
        with conn, conn.cursor() as cur:
            assert jobs.reclaim_stale(cur, 60) == [(job_id, expected)]
    with conn.cursor() as cur:
        job = jobs.get(cur, job_id)
    assert job.state == "failed" and job.finished_at is not None
    assert "stopped" in job.error["messages"]["en"] and job.error["messages"]["vi"]


def test_a_reclaimed_job_cannot_be_finished_by_its_old_worker(two_conns):
    conn, _ = two_conns
    (job_id,) = _enqueue(conn)
    with conn, conn.cursor() as cur:
        jobs.claim(cur, "old")
    _beat_in_the_past(conn, job_id, 120)
    with conn, conn.cursor() as cur:
        jobs.reclaim_stale(cur, 60)
        jobs.claim(cur, "new")
        assert not jobs.finish(cur, job_id, "old", report={"version": 9})
        assert jobs.finish(cur, job_id, "new", report={"version": 2})
        assert jobs.get(cur, job_id).report == {"version": 2}
