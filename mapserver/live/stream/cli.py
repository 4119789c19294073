"""`mapserver live serve`: the stream service, in one process or several on one port.

Several processes (`--processes`, one per core) each bind the port with SO_REUSEPORT, so the kernel spreads
new streams over them, and each follows the change table itself. The parent first binds the port too
(without listening: it takes no connections) so that the port stays this service's while its processes
start, and `--bind HOST:0` serves on a free port, printed when every process is ready.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import wait

import click

from common import logs, settings
from layers import load_catalog
from mapserver.live.stream import service


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8001", show_default=True, help="HOST:PORT to serve on (PORT 0: a free one).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes serving the port (SO_REUSEPORT), e.g. one per core.")
def serve_command(bind: str, processes: int) -> None:
    """Serve the change streams of live layers (Server-Sent Events) until Ctrl-C or SIGTERM."""
    logs.configure()
    config, catalog = settings.load(), load_catalog()
    host, port = _host_port(bind)
    with _reserved(host, port) as port:
        def serve(index: int, ready: Callable[[], None]) -> None:
            service.run(config, catalog, host, port, f"{index}/{processes}", ready)

        def announce() -> None:
            click.echo(f"stream: serving http://{host}:{port} with {processes} process(es)", err=True)

        if processes == 1:
            serve(1, announce)
        else:
            sys.exit(_supervise(serve, processes, announce))


def _host_port(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"{bind!r}: expected HOST:PORT", param_hint="--bind")
    return host.strip("[]"), int(port)


@contextmanager
def _reserved(host: str, port: int) -> Iterator[int]:
    """The port, bound with SO_REUSEPORT and not listening (connections go to listening sockets only)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        yield sock.getsockname()[1]


def _supervise(serve: Callable[[int, Callable[[], None]], None], count: int, announce: Callable[[], None]) -> int:
    """Fork `count` processes (before any loop, thread or connection exists); stop them all when told to or
    when one stops, so that the service manager sees the service stop. Returns the exit status."""
    context = multiprocessing.get_context("fork")
    readiness, children = [], []
    for index in range(1, count + 1):
        reader, writer = context.Pipe(duplex=False)
        child = context.Process(target=serve, args=(index, lambda w=writer: w.send(True)), name=f"stream-{index}")
        child.start()
        writer.close()
        readiness.append(reader)
        children.append(child)

    def stop(*_args) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sentinels = [child.sentinel for child in children]
    while readiness:
        for ready in wait([*readiness, *sentinels]):
            if ready in sentinels:
                return _stop_all(children, stop)
            ready.recv()
            readiness.remove(ready)
    announce()
    wait(sentinels)
    return _stop_all(children, stop)


def _stop_all(children: list, stop: Callable[[], None]) -> int:
    stop()
    for child in children:
        child.join()
    return max(abs(child.exitcode or 0) for child in children)
