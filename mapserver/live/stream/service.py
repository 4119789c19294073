"""One process of the stream service: the follower, the keep-alives, the sweep and the HTTP site, until
SIGTERM or SIGINT. Should one of its tasks stop, the process stops (its supervisor starts it again)."""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web

from common.settings import database_url
from etl.live.sweep import sweep
from layers import Layer
from mapserver.live.stream.hub import Hub
from mapserver.live.stream.queries import DOWN, Queries
from mapserver.live.stream.server import create_app

log = logging.getLogger(__name__)
QUERY_THREADS = 4  # the follower, backlogs of streams that resume, tokens, the sweep
SHUTDOWN_S = 5.0  # streams are closed at once on stop; writes still in flight get this long
LISTEN_BACKLOG = 4096  # a thousand clients reconnecting together after a restart wait in the kernel, not refused


def run(settings: dict[str, Any], catalog: dict[str, Layer], host: str, port: int, process: str,
        ready: Callable[[], None]) -> None:
    """Serve on host:port (SO_REUSEPORT: other processes may serve the same port) until stopped."""
    open_files_as_allowed()
    asyncio.run(_serve(settings, catalog, host, port, process, ready))


def open_files_as_allowed() -> None:
    """A stream is an open socket: raise the soft limit of open files (often 1,024) to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _serve(settings: dict[str, Any], catalog: dict[str, Layer], host: str, port: int, process: str,
                 ready: Callable[[], None]) -> None:
    url, timeout_s = database_url(settings), int(settings["CONNECT_TIMEOUT_S"])
    queries = Queries(url, QUERY_THREADS, int(settings["STATEMENT_TIMEOUT_MS"]), timeout_s)
    hub = Hub(url, queries, timeout_s, float(settings["LIVE_STREAM_KEEPALIVE_S"]),
              int(settings["LIVE_STREAM_QUEUE_MAX"]))
    await hub.start()
    tasks = [asyncio.create_task(hub.follow()), asyncio.create_task(hub.keepalive()),
             asyncio.create_task(_sweeping(queries, catalog, float(settings["LIVE_SWEEP_S"])))]
    runner = web.AppRunner(create_app(hub, catalog, process, settings["DEFAULT_LANGUAGE"]), access_log=None,
                           handler_cancellation=True, shutdown_timeout=SHUTDOWN_S)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=True, backlog=LISTEN_BACKLOG).start()
    log.info("stream: process %s serving http://%s:%d from event %d", process, host, port, hub.last)
    ready()
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stopped.set)
    stop = asyncio.create_task(stopped.wait())
    await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
    hub.close_all()
    await runner.cleanup()
    for task in tasks:
        task.cancel()
    queries.close()
    failed = [task for task in tasks if task.done() and not task.cancelled() and task.exception()]
    if failed:
        raise failed[0].exception()


async def _sweeping(queries: Queries, catalog: dict[str, Layer], every_s: float) -> None:
    """Expire events for features whose `valid_to` has passed: every process sweeps, each feature expires
    once (etl.live.sweep)."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await queries.on_connection(sweep, catalog)
        except DOWN as exc:
            log.warning("stream: sweep skipped, database unavailable (%s)", str(exc).strip())
