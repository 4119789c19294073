"""Live layers under load: 1,000 open change streams beside the read API, and 100 writes a second.

gunicorn as `make run` starts it (bench_api) and the stream service (`mapserver live serve`) on one bench
database. The read API's throughput (wrk, items in ~2 km boxes as bench_api measures them) is taken with
no stream, with BENCH_LIVE_STREAMS open (one asyncio client process holds them), and with none again; the
ratio is to the mean of the two without (target >= 90 %). Then BENCH_LIVE_WRITES_PER_S alerts a second
for BENCH_LIVE_WRITE_SECONDS go through the write API (POST /api/collections/alerts/items, an admin
token): every stream must get every event, in order, once, and the time from the write to each
stream's copy is printed (p50/p95; target p95 <= 1 s), counted from the 201 (the commit is just before
it) and, an upper bound, from the moment the POST was sent. Then the stream service's memory (RSS).

BENCH_SECONDS (15) is each read-API measurement; BENCH_LIVE_FEATURES (100,000) the points of its layer;
BENCH_LIVE_PROCESSES (1) the stream service's processes.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import statistics
import tempfile
import threading
import time
from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psycopg2
import requests

from benchmarks.bench_api import WRK_SCRIPT, _vacuum, http_load, write_points
from common.settings import DEFAULTS
from etl.pipeline import LoadOptions, load_file
from etl.schema import bring_up
from layers import load_catalog
from mapserver.accounts import tokens
from mapserver.live.stream.service import open_files_as_allowed
from mapserver.web.catalog import published
from tests import pg
from tests.live.conftest import stream_service
from tests.live.writers import alert
from tests.serving import gunicorn

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", 15))
FEATURES = int(os.environ.get("BENCH_LIVE_FEATURES", 100_000))
STREAMS = int(os.environ.get("BENCH_LIVE_STREAMS", 1000))
WRITES_PER_S = float(os.environ.get("BENCH_LIVE_WRITES_PER_S", 100))
WRITE_SECONDS = float(os.environ.get("BENCH_LIVE_WRITE_SECONDS", 60))
PROCESSES = int(os.environ.get("BENCH_LIVE_PROCESSES", 1))
WRITERS = 16  # threads sending the writes on their schedule (a slow answer does not delay the next write)
OPENING = 100  # streams being opened at once
DELIVERY_WAIT_S = 60.0  # after the last write, how long the streams may take to get everything
ITEMS = "/api/collections/health/items?bbox={w},{s},{e},{n}&limit=100"  # bench_api's items in ~2 km boxes
_EVENT_ID = re.compile(rb"(?:^|\n)id: (\d+)\nevent: ")


def load_bench_db(url: str, workdir: Path) -> tuple[str, str]:
    """A bench database: migrated, the live layers, FEATURES health points; (its URL, an admin token)."""
    dsn = pg.dsn_for(url, pg.create_database(url, "mapserver_bench"))
    csv = workdir / "health.csv"
    write_points(csv, FEATURES, DEFAULTS["AREA_BBOX"])
    conn = psycopg2.connect(dsn)
    try:
        catalog = load_catalog()
        bring_up(conn, catalog)
        load_file(conn, catalog["health"], csv, LoadOptions(area=DEFAULTS["AREA_BBOX"], progress=False))
        with conn, conn.cursor() as cur:
            admin = tokens.create(cur, name="bench-admin", role="admin", agency=None, days=1, created_by="bench")[0]
        _vacuum(conn, published(conn.cursor(), "health").table_name)
    finally:
        conn.close()
    return dsn, admin


# ---- the client process holding the streams ----------------------------------------------------------

class _Stream:
    """One held stream: the ids of its events and when each arrived (time.time(), comparable across
    processes on this machine)."""

    def __init__(self):
        self.ids, self.times, self.buffer = array("q"), array("d"), b""

    def feed(self, chunk: bytes, now: float) -> None:
        data = self.buffer + chunk
        end = data.rfind(b"\n\n") + 2
        self.buffer = data[end:] if end > 1 else data
        for found in _EVENT_ID.finditer(data, 0, end if end > 1 else 0):
            self.ids.append(int(found.group(1)))
            self.times.append(now)


async def _hold_one(session, url: str, stream: _Stream, opened: asyncio.Semaphore, ready: Callable[[], None]):
    async with opened:
        response = await session.get(url, headers={"Accept": "text/event-stream"})
        response.raise_for_status()
        stream.feed(await response.content.readuntil(b"\n\n"), time.time())
    ready()
    async for chunk in response.content.iter_any():
        stream.feed(chunk, time.time())


async def _hold(url: str, count: int, pipe) -> None:
    import aiohttp

    loop = asyncio.get_running_loop()
    streams = [_Stream() for _ in range(count)]
    left = [count]
    all_open = asyncio.Event()

    def one_open() -> None:
        left[0] -= 1
        if not left[0]:
            all_open.set()

    opened = asyncio.Semaphore(OPENING)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        tasks = [asyncio.create_task(_hold_one(session, url, s, opened, one_open)) for s in streams]
        await all_open.wait()
        pipe.send("open")
        expected = await loop.run_in_executor(None, pipe.recv)
        deadline = time.monotonic() + DELIVERY_WAIT_S
        while any(len(s.ids) < len(expected) for s in streams) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
    pipe.send(_delivery(streams, expected))


def _delivery(streams: list[_Stream], expected: list[tuple[int, float, float]]) -> dict:
    """Every stream compared with the table's events; latencies of the streams that got them all."""
    ids = [e[0] for e in expected]
    sent, done = np.array([e[1] for e in expected]), np.array([e[2] for e in expected])
    complete = [s for s in streams if list(s.ids) == ids]
    arrivals = np.array([np.frombuffer(s.times, dtype=np.float64) for s in complete]) if complete and ids else None
    result = {"streams": len(streams), "complete": len(complete), "events": len(ids),
              "short": sum(len(s.ids) < len(ids) for s in streams), "other": len(streams) - len(complete)}
    if arrivals is not None:
        for name, start in (("done", done), ("sent", sent)):
            latency = (arrivals - start).ravel()
            result[name] = {q: float(np.percentile(latency, q)) for q in (50, 95, 99)} | {"max": float(latency.max())}
    return result


def hold_streams(url: str, count: int, pipe) -> None:
    """The client process: `count` streams held until told which events they should have had."""
    open_files_as_allowed()
    asyncio.run(_hold(url, count, pipe))


# ---- the writes -------------------------------------------------------------------------------------

def write_alerts(base: str, admin: str, rate: float, seconds: float) -> dict[str, tuple[float, float, int]]:
    """POST one alert every 1/rate s for `seconds`; {feature id: (sent, answered, status)}."""
    total = int(rate * seconds)
    start = time.time() + 0.5
    results: dict[str, tuple[float, float, int]] = {}
    counter = iter(range(total))
    lock = threading.Lock()
    headers = {"Content-Type": "application/geo+json", "Authorization": f"Bearer {admin}"}

    def run() -> None:
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            time.sleep(max(0.0, start + i / rate - time.time()))
            fid = f"bench-{i}"
            body = json.dumps(alert(fid, lon=106.70 + (i % 100) * 0.001, lat=10.78))
            sent = time.time()
            status = session.post(f"{base}/api/collections/alerts/items", data=body, headers=headers,
                                  timeout=30).status_code
            results[fid] = (sent, time.time(), status)

    threads = [threading.Thread(target=run) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def expected_events(dsn: str, after: int, writes: dict[str, tuple[float, float, int]]
                    ) -> list[tuple[int, float, float]]:
    """The table's alert events after `after`, each with its write's send and answer times."""
    rows = pg.fetch(dsn, "SELECT id, feature_id FROM mapserver.live_events WHERE layer_slug = 'alerts' AND id > %s "
                         "ORDER BY id", (after,))
    return [(event_id, writes[fid][0], writes[fid][1]) for event_id, fid in rows]


# ---- the report -------------------------------------------------------------------------------------

def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the stream service's processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for p in [pid, *map(int, children)]:
        status = Path(f"/proc/{p}/status").read_text()
        total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    return total / 1024


def _read_rate(base: str, workdir: Path, seconds: float = SECONDS) -> float:
    script = workdir / "items.lua"
    script.write_text(WRK_SCRIPT)
    return http_load(base, ITEMS, script, seconds)[0]


def cpu_s(*pids: int) -> float:
    """CPU time (user + system) used so far by processes and their children."""
    total = 0
    for pid in pids:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for p in [pid, *map(int, children)]:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _quantiles(name: str, q: dict[str, float]) -> str:
    return (f"  commit-to-client from {name:<5} p50 {q[50] * 1000:6.0f} ms   p95 {q[95] * 1000:6.0f} ms   "
            f"p99 {q[99] * 1000:6.0f} ms   max {q['max'] * 1000:6.0f} ms")


def _say(text: str) -> None:
    print(text, flush=True)


def report_delivery(writes: dict, delivery: dict, write_s: float) -> None:
    ok = sum(1 for _, _, status in writes.values() if status == 201)
    _say(f"writes: {ok:,} of {len(writes):,} answered 201 in {write_s:.0f} s ({ok / write_s:.0f}/s, "
         f"asked {WRITES_PER_S:.0f}/s)")
    _say(f"delivery: {delivery['complete']:,} of {delivery['streams']:,} streams got all {delivery['events']:,} "
         f"events in order, once ({delivery['short']} short, {delivery['other']} not matching)")
    if "done" in delivery:
        verdict = "meets" if delivery["done"][95] <= 1.0 else "MISSES"
        _say(_quantiles("201", delivery["done"]) + f"  ({verdict} target p95 <= 1 s)")
        _say(_quantiles("POST", delivery["sent"]) + "  (upper bound: includes the write itself)")


def report_reads(rates: dict[str, float], idle_cpu_s: float) -> None:
    ratio = rates["streams"] / statistics.mean([rates["none"], rates["none again"]])
    _say(f"read API items: {rates['none']:.0f} req/s without streams, {rates['streams']:.0f} with {STREAMS:,} open, "
         f"{rates['none again']:.0f} without again: {ratio:.0%} ({'meets' if ratio >= 0.9 else 'MISSES'} target 90 %); "
         f"the stream service and the client used {idle_cpu_s:.2f} s of CPU in the {SECONDS:.0f} s with streams")


def main() -> None:
    url = os.environ.get("DATABASE_URL") or pg.server_url()
    _say(f"bench_live: {STREAMS:,} streams, {WRITES_PER_S:.0f} writes/s for {WRITE_SECONDS:.0f} s, stream service "
         f"x{PROCESSES} process(es), gunicorn -c gunicorn.conf.py, read API load from wrk {SECONDS:.0f} s")
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        workdir = Path(tmp)
        dsn, admin = load_bench_db(url, workdir)
        try:
            with stream_service(dsn, workdir / "stream.log", processes=PROCESSES) as stream, \
                    gunicorn(dsn, MAPSERVER_LIVE_STREAM_URL=stream.base) as server:
                _measure(dsn, admin, server.base, stream, workdir)
        finally:
            pg.drop_database(url, pg.current_dbname(dsn))


def _measure(dsn: str, admin: str, base: str, stream, workdir: Path) -> None:
    _read_rate(base, workdir, 3)  # warm the caches
    rates = {"none": _read_rate(base, workdir)}
    idle_mb = rss_mb(stream.proc.pid)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    holder = context.Process(target=hold_streams, args=(f"{stream.base}/api/collections/alerts/changes", STREAMS,
                                                        theirs))
    holder.start()
    assert ours.recv() == "open"
    open_mb = rss_mb(stream.proc.pid)
    _say(f"stream service RSS: {idle_mb:.0f} MB with no stream, {open_mb:.0f} MB with {STREAMS:,} "
         f"({(open_mb - idle_mb) * 1024 / STREAMS:.1f} KB a stream)")
    cpu_before = cpu_s(stream.proc.pid, holder.pid)
    rates["streams"] = _read_rate(base, workdir)
    idle_cpu_s = cpu_s(stream.proc.pid, holder.pid) - cpu_before
    after = pg.fetch(dsn, "SELECT coalesce(max(id), 0) FROM mapserver.live_events")[0][0]
    started = time.time()
    writes = write_alerts(base, admin, WRITES_PER_S, WRITE_SECONDS)
    write_s = time.time() - started
    ours.send(expected_events(dsn, after, writes))
    delivery = ours.recv()
    _say(f"stream service RSS after the writes: {rss_mb(stream.proc.pid):.0f} MB")
    holder.join()
    report_delivery(writes, delivery, write_s)
    rates["none again"] = _read_rate(base, workdir)
    report_reads(rates, idle_cpu_s)
