"""The change-stream service for tests: started as `mapserver live serve` starts it, on a free port, and a
small blocking SSE client that reads it the way EventSource does (ids, event types, data, comments).

    with stream_service(dsn, processes=2) as stream:         # or the `live_stream` fixture (on live_db)
        client = SseClient(f"{stream.base}/api/collections/alerts/changes")
        client.events(3)                                      # the next three events, as dicts
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
import requests

from etl.live.events import add_event, lock_events
from tests.pg import ROOT

_SERVING = re.compile(r"stream: serving (http://\S+) with")


@dataclass
class StreamService:
    """A running stream service: its base URL, its process group, its log."""

    base: str
    proc: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def health(self) -> dict:
        return requests.get(f"{self.base}/healthz", timeout=10).json()


@contextmanager
def stream_service(database_url: str, log: Path, processes: int = 1, **env: str) -> Iterator[StreamService]:
    """`python -m mapserver.live.stream --bind 127.0.0.1:0` (what `mapserver live serve` runs), until every
    process serves; `env` adds settings (MAPSERVER_LIVE_SWEEP_S, ...). Stopped (SIGTERM) when the block ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mapserver.live.stream", "--bind", "127.0.0.1:0", "--processes", str(processes)],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, **env}, stdout=out, stderr=out,
            start_new_session=True)
    service = StreamService(_wait_until_serving(proc, log), proc, log)
    try:
        yield service
    finally:
        service.stop()


def _wait_until_serving(proc: subprocess.Popen, log: Path) -> str:
    for _ in range(300):
        found = _SERVING.search(log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise RuntimeError(f"the stream service exited with {proc.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    raise RuntimeError(f"the stream service did not start:\n{log.read_text()}")


@pytest.fixture(scope="module")
def live_stream(live_db, tmp_path_factory) -> Iterator[str]:
    """The stream service on the module's live database (beside `live_server`); yields its base URL."""
    with stream_service(live_db[0], tmp_path_factory.mktemp("stream") / "stream.log") as service:
        yield service.base


class SseClient:
    """One stream read as EventSource reads it: `last_id` follows every `id:` line, data-less ones too."""

    def __init__(self, url: str, last_event_id: str | None = None, timeout_s: float = 30, **headers: str):
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.response = requests.get(url, stream=True, timeout=(10, timeout_s),
                                     headers={"Accept": "text/event-stream", **headers})
        self.last_id: str | None = last_event_id
        self.retry_ms: int | None = None
        self.comments: list[str] = []
        self._chunks = self.response.iter_content(chunk_size=None)
        self._buffer = b""
        self._ready: deque[dict] = deque()

    def events(self, count: int) -> list[dict]:
        """The next `count` events: {"id", "event", "data"} with `data` parsed; a read timeout raises."""
        while len(self._ready) < count:
            if not self._read():
                raise EOFError(f"the stream ended after {len(self._ready)} of {count} events")
        return [self._ready.popleft() for _ in range(count)]

    def opened(self) -> SseClient:
        """Once the stream's first message (`retry`, and the id it starts from) has been read."""
        while self.retry_ms is None:
            if not self._read():
                raise EOFError("the stream ended before its first message")
        return self

    def read_to_end(self) -> list[dict]:
        """Every event until the server ends the stream (a read timeout raises)."""
        while self._read():
            pass
        found, self._ready = list(self._ready), deque()
        return found

    def close(self) -> None:
        self.response.close()

    def _read(self) -> bool:
        """One chunk more, its complete messages parsed; False at the end of the stream."""
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        *blocks, self._buffer = (self._buffer + chunk).split(b"\n\n")
        self._ready.extend(e for e in map(self._parse, blocks) if e is not None)
        return True

    def _parse(self, block: bytes) -> dict | None:
        fields: dict[str, str] = {}
        for line in block.decode().split("\n"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                self.comments.append(value)
            elif name == "retry":
                self.retry_ms = int(value)
            else:
                fields[name] = value
        if "id" in fields:
            self.last_id = fields["id"]
        if "data" not in fields:
            return None
        return {"id": fields.get("id"), "event": fields.get("event", "message"), "data": json.loads(fields["data"])}


def add_events(database_url: str, slug: str, feature_ids: list[str], kind: str = "create",
               padding: int = 0) -> list[int]:
    """Events as a write adds them (under the event lock, one transaction); returns their ids. `padding`
    characters of description make each event that much larger."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            lock_events(cur)
            return [add_event(cur, slug, fid, kind, None, {
                "type": "Feature", "id": fid, "geometry": None,
                "properties": {"headline": f"Cảnh báo {fid}", "description": "x" * padding}}) for fid in feature_ids]
    finally:
        conn.close()
