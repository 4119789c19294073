"""The app under gunicorn as `make run` serves it: kept-alive connections stay with the thread that answered
them (mapserver.web.keepalive), and that must never cost another client its answer."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from mapserver.web.keepalive import LINGER_MS
from tests.serving import gunicorn

PATH = "/api/collections/health/items?limit=2"


@pytest.fixture(scope="module")
def one_thread(db_url, tmp_path_factory):
    """One worker with one thread: whatever a lingering thread holds up, nobody else can answer."""
    with gunicorn(db_url, log=tmp_path_factory.mktemp("gunicorn") / "log", WORKERS="1", THREADS="1") as server:
        yield server


def _connection(base: str) -> http.client.HTTPConnection:
    url = urlsplit(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def _get(conn: http.client.HTTPConnection, path: str = PATH) -> http.client.HTTPResponse:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response


def test_make_run_serves_with_the_keepalive_worker(one_thread):
    assert "Using worker: mapserver.web.keepalive.KeepAliveThreadWorker" in one_thread.log.read_text()


def test_a_client_is_answered_request_after_request_on_one_connection(one_thread):
    conn = _connection(one_thread.base)
    first = _get(conn)
    sock = conn.sock
    answers = [first] + [_get(conn) for _ in range(30)]
    assert all(r.status == 200 and r.getheader("Connection") != "close" for r in answers)
    assert conn.sock is sock  # never reopened
    conn.close()


def test_a_connection_idle_past_the_linger_is_still_kept_alive(one_thread):
    conn = _connection(one_thread.base)
    assert _get(conn).status == 200
    sock = conn.sock
    time.sleep(20 * LINGER_MS / 1000)  # the thread has given the connection back to the worker's poller
    assert _get(conn).status == 200 and conn.sock is sock
    conn.close()


def _status_of_next_answer(stream) -> int:
    """Read one whole answer (the app's carry Content-Length) off a stream of several."""
    status = int(stream.readline().split()[1])
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    stream.read(length)
    return status


def test_pipelined_requests_are_answered_in_order(one_thread):
    url = urlsplit(one_thread.base)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                              for p in ("/api/collections/health", "/api/collections/nonexistent", PATH)))
        with sock.makefile("rb") as stream:
            statuses = [_status_of_next_answer(stream) for _ in range(3)]
    assert statuses == [200, 404, 200]


def test_a_busy_client_does_not_starve_another(one_thread):
    """A keeps its one connection busy without a pause; B's request must be answered while A goes on,
    not after A stops (A stops by itself after CAP requests)."""
    cap = 3000
    sent_by_a, b_answered = [0], threading.Event()

    def busy() -> None:
        conn = _connection(one_thread.base)
        while sent_by_a[0] < cap and not b_answered.is_set():
            assert _get(conn, "/healthz").status == 200
            sent_by_a[0] += 1
        conn.close()

    a = threading.Thread(target=busy)
    a.start()
    while sent_by_a[0] < 20 and a.is_alive():  # A holds the only thread
        time.sleep(0.01)
    b = _connection(one_thread.base)
    status = _get(b).status
    b_answered.set()
    a.join()
    assert status == 200 and sent_by_a[0] < cap
    b.close()


def test_a_client_that_leaves_while_its_thread_lingers_frees_it(one_thread):
    for _ in range(3):
        conn = _connection(one_thread.base)
        assert _get(conn).status == 200
        conn.close()
    conn = _connection(one_thread.base)
    assert _get(conn).status == 200
    conn.close()


def test_a_stop_is_clean_while_a_connection_is_kept_alive(db_url):
    with gunicorn(db_url, WORKERS="1", THREADS="2") as server:
        conn = _connection(server.base)
        assert _get(conn).status == 200
        assert server.stop() == 0
        conn.close()
