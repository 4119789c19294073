"""The real app over real HTTP on a free loopback port, for as long as a block or fixture needs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Yields the base URL (`http://127.0.0.1:PORT`); the server stops when the block ends. The serving loop
    looks for the stop every 50 ms, not every 500 ms (socketserver's default): a stop used to cost half a second
    of each test that serves an app of its own."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bound_socket() -> socket.socket:
    """A loopback socket bound to a free port, for gunicorn to inherit (`--bind fd://N`): the port stays taken
    from its choice to gunicorn's listen, so another test process (a second pytest worker, another checkout's
    suite) cannot pick it in between, as it could when only the number was passed."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class Gunicorn:
    """A running gunicorn: its base URL, its process, and where its log goes."""

    def __init__(self, proc: subprocess.Popen, base: str, log: Path | None):
        self.proc, self.base, self.log = proc, base, log

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a service manager stops it; returns its exit status."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


@contextmanager
def gunicorn(database_url: str, log: Path | None = None, **env: str) -> Iterator[Gunicorn]:
    """The app under gunicorn started as `make run` starts it (gunicorn.conf.py), on a free port; `env` adds
    settings (WORKERS, THREADS, MAPSERVER_...); `log` receives gunicorn's own log. Stopped when the block ends."""
    out = log.open("wb") if log else subprocess.DEVNULL
    with _bound_socket() as sock:
        port = sock.getsockname()[1]
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"fd://{sock.fileno()}",
             "mapserver:create_app()"], cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, **env},
            stdout=out, stderr=out, start_new_session=True, pass_fds=(sock.fileno(),))
    server = Gunicorn(proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        server.stop()
        if log:
            out.close()


def _wait_until_up(server: Gunicorn) -> None:
    for _ in range(150):
        if server.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.proc.returncode}")
        try:
            if requests.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or a worker still booting
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")
