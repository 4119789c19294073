"""What a scrape reads from the database: the upload queue by state and how long loads took.

The queue lives in mapserver.jobs, shared by every node and worker, so it is read there when /metrics is
asked rather than counted by any one process; the numbers are the same whichever node answers.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from psycopg2 import sql

from mapserver.web.db import run_query
from mapserver.web.errors import DatabaseUnavailable

# States a job waits or works in; reported even at 0, so that an alert on them has a series to watch.
PENDING = ("queued", "running", "needs_mapping")
# Seconds: a small file loads in about a second, a province's buildings or a city's timetable in minutes.
LOAD_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

_BY_STATE = ("SELECT state, count(*), COALESCE(EXTRACT(epoch FROM now() - min(created_at)), 0)::float8 "
             "FROM mapserver.jobs GROUP BY state")
_LOADS = sql.SQL(
    "SELECT layer_slug, count(*), sum(d), {buckets} FROM ("
    " SELECT layer_slug, EXTRACT(epoch FROM finished_at - started_at)::float8 AS d FROM mapserver.jobs"
    " WHERE state = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL) loads "
    "GROUP BY layer_slug ORDER BY layer_slug"
).format(buckets=sql.SQL(", ").join(
    sql.SQL("count(*) FILTER (WHERE d <= {})").format(sql.Literal(bound)) for bound in LOAD_BUCKETS))


def read() -> list[Metric]:
    """The job families, and mapserver_database_up saying whether they could be read (when not, the
    process's own metrics are still worth a scrape)."""
    up = GaugeMetricFamily("mapserver_database_up", "Whether this scrape could read the database.")
    try:
        families = [*_queue(), _loads()]
    except DatabaseUnavailable:
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [*families, up]


def _queue() -> list[Metric]:
    with run_query(_BY_STATE) as cur:
        rows = {state: (count, age) for state, count, age in cur.fetchall()}
    jobs = GaugeMetricFamily("mapserver_jobs", "Upload jobs by state (queued, running and needs_mapping are the "
                             "queue).", labels=["state"])
    for state in sorted(set(PENDING) | set(rows)):
        jobs.add_metric([state], rows.get(state, (0, 0))[0])
    oldest = GaugeMetricFamily("mapserver_jobs_oldest_queued_seconds",
                               "Age of the oldest queued job (0 when none waits): a stuck queue grows it.")
    oldest.add_metric([], rows.get("queued", (0, 0))[1])
    return [jobs, oldest]


def _loads() -> Metric:
    family = HistogramMetricFamily("mapserver_job_load_duration_seconds",
                                   "How long finished uploads took from start to finish, by layer.", labels=["layer"])
    with run_query(_LOADS) as cur:
        for layer, count, total, *cumulative in cur.fetchall():
            buckets = [(str(bound), n) for bound, n in zip(LOAD_BUCKETS, cumulative, strict=True)]
            family.add_metric([layer], [*buckets, ("+Inf", count)], sum_value=total)
    return family
