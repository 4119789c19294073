"""gunicorn settings shared by `make run` and the benchmarks.

Threaded workers: a request spends most of its time waiting on PostgreSQL, so threads keep both cores
busy, and they keep HTTP connections alive for app clients. The thread that answered a kept-alive
connection serves that client's next request itself (mapserver.web.keepalive), so a process has as many
threads as the clients it may be busy with at once; each uses at most one pooled database connection
(POOL_MAX_CONNECTIONS, 8).
"""

import os

workers = int(os.environ.get("WORKERS", 2))
threads = int(os.environ.get("THREADS", 8))
worker_class = "mapserver.web.keepalive.KeepAliveThreadWorker"
keepalive = 5
