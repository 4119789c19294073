"""gunicorn settings shared by `make run` and the benchmarks.

Threaded workers: a request spends much of its time waiting on PostgreSQL, so a second thread per
process keeps the cores busy, and threaded workers keep HTTP connections alive for app clients.
More threads only contend for the interpreter lock: on 2 cores, under the read-API benchmark's load, it served
items/nearest at about 690/1160 requests/s with 2 threads per worker and 500/920 with 4.
"""

import os

workers = int(os.environ.get("WORKERS", 2))
threads = int(os.environ.get("THREADS", 2))
worker_class = "gthread"
keepalive = 5
