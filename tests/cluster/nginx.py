"""nginx for a test: the reference configuration (deploy/nginx/mapserver.conf) in front of the test's nodes.

The file is used as shipped, with its DEPLOY values (the nodes, the address served, the cache and log
paths) replaced by the test's; any other difference between the tests and the shipped file would be a
test of something else. The master runs in the foreground (`daemon off`) with its pid, logs, cache and
temporary files under var/test-nginx/<id>/, on a free port: no system path, no system service.

nginx connects to the nodes from 127.0.0.2 (`proxy_bind`), the test client reaches nginx from 127.0.0.1:
as on separate machines, the nodes can tell nginx (TRUSTED_PROXIES=127.0.0.2/32) from the client.

    with gunicorn(url) as a, gunicorn(url) as b, nginx([a.base, b.base]) as front:
        requests.get(f"{front.base}/api/tiles/health.json")
        front.logged("/api/tiles/health.json")   # its access-log lines: upstream, cache, request_id...
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.pg import ROOT
from tests.serving import free_port

NGINX = Path(os.environ.get("NGINX", "/usr/sbin/nginx"))
REFERENCE = ROOT / "deploy" / "nginx" / "mapserver.conf"
PROXY_ADDRESS = "127.0.0.2"  # nginx's address as the nodes see it
TRUSTED_PROXIES = f"{PROXY_ADDRESS}/32"
FAIL_TIMEOUT_S = 10  # how long the shipped file leaves out a failing node (its upstream lines' fail_timeout)
STREAM_FAIL_TIMEOUT_S = 5  # the same for a failing stream service
_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")  # nginx opens them all at start-up


class Nginx:
    """A running nginx: its base URL, its folder, its access log."""

    def __init__(self, proc: subprocess.Popen, base: str, folder: Path):
        self.proc, self.base, self.folder = proc, base, folder

    def access_log(self) -> list[dict]:
        """The requests logged so far, one dict each (the reference log format, mapserver_json)."""
        path = self.folder / "access.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def logged(self, uri: str, count: int = 1, timeout_s: float = 10) -> list[dict]:
        """The access-log lines of requests for `uri`, once there are at least `count`: nginx writes a line
        after the answer has gone, so a client can read the answer before its line is there."""
        deadline = time.monotonic() + timeout_s
        while True:
            lines = [line for line in self.access_log() if line["uri"] == uri]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self, timeout: float = 30) -> int:
        """A graceful stop (SIGQUIT: requests in flight finish), as `systemctl stop nginx` does."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
        return self.proc.wait(timeout=timeout)


def _replace(text: str, pattern: str, replacement: str, count: int = 1) -> str:
    """One DEPLOY value replaced; the reference file having another shape is an error, not a silent no-op."""
    found = re.findall(pattern, text, flags=re.MULTILINE)
    if len(found) != count:
        raise ValueError(f"{REFERENCE.name}: expected {count} line(s) matching {pattern!r}, found {len(found)}")
    return re.sub(pattern, lambda _match: replacement, text, flags=re.MULTILINE)


def _servers(bases: Sequence[str], fail_timeout_s: int) -> str:
    return "".join(f"    server {urlsplit(base).netloc} max_fails=3 fail_timeout={fail_timeout_s}s;\n"
                   for base in bases)


def render(upstreams: Sequence[str], port: int, folder: Path, streams: Sequence[str] = ()) -> str:
    """The reference configuration with the test's nodes and stream services (base URLs; no stream service:
    the reference's placeholders stay), listen port and folders."""
    text = REFERENCE.read_text()
    text = _replace(text, rf"^(?:    server \S+ max_fails=3 fail_timeout={FAIL_TIMEOUT_S}s;\n)+",
                    _servers(upstreams, FAIL_TIMEOUT_S))
    if streams:
        text = _replace(text, rf"^(?:    server \S+ max_fails=3 fail_timeout={STREAM_FAIL_TIMEOUT_S}s;\n)+",
                        _servers(streams, STREAM_FAIL_TIMEOUT_S))
    text = _replace(text, r"^    listen 80;$", f"    listen 127.0.0.1:{port};\n    proxy_bind {PROXY_ADDRESS};")
    text = _replace(text, r"proxy_cache_path /var/cache/nginx/mapserver ", f"proxy_cache_path {folder / 'cache'} ")
    return _replace(text, r"access_log /var/log/nginx/mapserver\.access\.log ", f"access_log {folder / 'access.log'} ")


def _main_config(folder: Path) -> str:
    """The top of nginx.conf, which Debian's package would provide, pointed at the test's folder."""
    temp = "".join(f"    {name}_temp_path {folder / 'temp' / name};\n" for name in _TEMP_PATHS)
    user = "user nobody nogroup;\n" if os.getuid() == 0 else ""  # as root, workers run as nobody (Debian: www-data)
    return (f"daemon off;\n{user}worker_processes 2;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} notice;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n{temp}    include {folder / 'mapserver.conf'};\n}}\n")


@contextmanager
def nginx(upstreams: Sequence[str], streams: Sequence[str] = ()) -> Iterator[Nginx]:
    """nginx with the reference configuration in front of `upstreams` (base URLs, e.g. Gunicorn.base) and
    `streams` (stream services' base URLs), on a free loopback port; stopped, and its folder removed, when
    the block ends."""
    folder = ROOT / "var" / "test-nginx" / uuid.uuid4().hex[:8]
    (folder / "temp").mkdir(parents=True)
    port = free_port()
    (folder / "mapserver.conf").write_text(render(upstreams, port, folder, streams))
    (folder / "nginx.conf").write_text(_main_config(folder))
    command = [str(NGINX), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
    if checked.returncode:
        raise RuntimeError(f"nginx -t refused the configuration: {checked.stderr}")
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    front = Nginx(proc, f"http://127.0.0.1:{port}", folder)
    try:
        _wait_until_listening(front, port)
        yield front
    finally:
        front.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_listening(front: Nginx, port: int) -> None:
    for _ in range(100):
        if front.proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {front.proc.returncode}: {front.error_log()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}: {front.error_log()}")
