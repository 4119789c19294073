"""gunicorn settings shared by `make run` and the benchmarks.

Threaded workers: a request spends most of its time waiting on PostgreSQL, so threads keep both cores
busy, and they keep HTTP connections alive for app clients. The thread that answered a kept-alive
connection serves that client's next request itself (mapserver.web.keepalive), so a process has as many
threads as the clients it may be busy with at once; each uses at most one connection of each pool
(POOL_MAX_CONNECTIONS, 8; the read pool too, with DATABASE_READ_URL).

Metrics: every worker writes its counters into files of PROMETHEUS_MULTIPROC_DIR, which any worker's
/metrics adds up. Unless the operator names that folder, each run gets its own under var/metrics/ (removed
at exit); either way it starts empty, and a dead worker's gauges are dropped (`child_exit`) while its
counters stay counted.

Access log: the app writes one JSON line per request (mapserver/operations/traffic.py); `--access-logfile`
sends those lines where gunicorn would send its own, which it no longer writes.
"""

import logging
import os
import shutil
from pathlib import Path

from gunicorn.glogging import Logger

from common.logs import ACCESS_LOGGER

workers = int(os.environ.get("WORKERS", 2))
threads = int(os.environ.get("THREADS", 8))
worker_class = "mapserver.web.keepalive.KeepAliveThreadWorker"
keepalive = 5
# gunicorn's control socket lives at one path per user (~/.gunicorn/gunicorn.ctl): every checkout's server, and
# every test's, would take it from the one before. Nothing here uses it.
control_socket_disable = True

RUNS = Path(__file__).resolve().parent / "var" / "metrics"  # the folders this file makes, one per run


class AppAccessLog(Logger):
    """gunicorn's logger, its access log being the app's JSON lines instead of gunicorn's own."""

    def setup(self, cfg):
        self.access_log = logging.getLogger(ACCESS_LOGGER)
        self.access_log.propagate = False
        super().setup(cfg)

    def access(self, resp, req, environ, request_time):
        """The app has written the request's line already."""


logger_class = AppAccessLog


def _metrics_dir() -> Path:
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_starting(server) -> None:
    """The operator's PROMETHEUS_MULTIPROC_DIR, else a new folder for this run, set in the master's
    environment before any worker imports prometheus_client (which reads it then: not with --preload).
    Either way from empty counters: prometheus_client would add up a previous run's files, and count a
    crashed run's gauges as live. Runs whose master is gone leave their folders behind: remove those."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(RUNS / f"gunicorn-{os.getpid()}")
    folder = _metrics_dir()
    if folder.parent == RUNS:
        for old in RUNS.glob("gunicorn-*"):
            if old != folder and not _running(old.name.removeprefix("gunicorn-")):
                shutil.rmtree(old, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.db"):
        leftover.unlink()


def _running(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # someone else's process
    return True


def child_exit(server, worker) -> None:
    """A worker gone (stopped, crashed, recycled): its gauges no longer count; its counters do.
    (Imported here, never before PROMETHEUS_MULTIPROC_DIR is set: prometheus_client chooses its mode on
    import, and the workers, forked from this process, would inherit a single-process one.)"""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_metrics_dir()))


def on_exit(server) -> None:
    if _metrics_dir().parent == RUNS:
        shutil.rmtree(_metrics_dir(), ignore_errors=True)
