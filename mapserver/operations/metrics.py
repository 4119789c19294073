"""What each server process counts as it answers. Under gunicorn, prometheus_client keeps these in files of
the multi-process folder (PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py), so any worker's /metrics adds
up every worker's; the gauges count live processes only (gunicorn.conf.py marks a dead worker's files).

What the database knows (the job queue, load durations) is read at scrape time instead: mapserver/operations/jobs.py.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds. Most read answers take a few milliseconds; tiles cut cold and large pages take up to seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("mapserver_http_requests", "Requests answered, by route (the URL rule, not the path), "
                   "method and status.", ["route", "method", "status"])
LATENCY = Histogram("mapserver_http_request_duration_seconds", "Time from a request's arrival until its answer "
                    "was handed to the client, by route.", ["route"], buckets=LATENCY_BUCKETS)

POOL_IN_USE = Gauge("mapserver_db_pool_connections_in_use", "Pooled database connections held by a request.",
                    ["pool"], multiprocess_mode="livesum")
POOL_WAITING = Gauge("mapserver_db_pool_waiting", "Requests waiting for a pooled connection (being handed one, "
                     "or one being opened).", ["pool"], multiprocess_mode="livesum")
POOL_REFUSED = Counter("mapserver_db_pool_refused", "Requests given no connection (all in use, or the database "
                       "refused): each a 503.", ["pool"])
POOL_MAX = Gauge("mapserver_db_pool_max_connections", "Connections the pools may open, over the live processes.",
                 ["pool"], multiprocess_mode="livesum")
