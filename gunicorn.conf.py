"""gunicorn settings shared by `make run` and the benchmarks.

Threaded workers: a request spends most of its time waiting on PostgreSQL, so a few threads per
process keep both cores busy, and they keep HTTP connections alive for app clients.
"""

import os

workers = int(os.environ.get("WORKERS", 2))
threads = int(os.environ.get("THREADS", 4))
worker_class = "gthread"
keepalive = 5
